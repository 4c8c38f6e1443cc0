"""Passwords and sign-in sessions, at the service level, on a real SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from pixlake.clock import utcnow
from pixlake.core import accounts, sessions
from pixlake.errors import (
    AlreadyExistsError,
    ApiLimitError,
    InvalidInputError,
    ResourceNotFoundError,
    UnauthorizedError,
)
from pixlake.store.db.engine import Database
from pixlake.store.db.models import SignInFailureRow, UserRow, WebSessionRow
from pixlake.store.db.schema import ensure_schema

PASSWORD = "correct horse battery staple"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'a.sqlite'}")
    ensure_schema(database)
    yield database
    database.dispose()


def _stored_hash(db: Database, username: str) -> str | None:
    with db.read() as tx:
        user = tx.accounts.user_named(username)
        assert user is not None
        return tx.accounts.password_hash(user.id)


def test_a_password_is_stored_as_an_argon2id_hash_only(db: Database) -> None:
    user = sessions.create_user(db, "alice", PASSWORD, organization="acme")
    stored = _stored_hash(db, "alice")
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    caller = sessions.authenticate_session(db, sessions.sign_in(db, "alice", PASSWORD).token)
    assert caller.user_id == user.id
    assert caller.default_organization.name == "acme"
    assert caller.role_in(caller.default_organization.id) == "owner"


def test_a_user_made_by_a_token_can_be_given_a_password_once(db: Database) -> None:
    token, _ = accounts.create_token(db, "bob", organization="acme")
    sessions.create_user(db, "bob", PASSWORD, organization="globex", role="viewer")
    caller = sessions.authenticate_session(db, sessions.sign_in(db, "bob", PASSWORD).token)
    assert caller.user_id == accounts.authenticate(db, token).user_id
    assert {o.name: r for o, r in caller.memberships.values()} == {
        "acme": "owner",
        "globex": "owner",
    }
    with pytest.raises(AlreadyExistsError, match="pixlake user password bob"):
        sessions.create_user(db, "bob", "another password")
    sessions.sign_in(db, "bob", PASSWORD)  # the first password stands


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short", "at least 8"),
        (" " * 12, "more than white space"),
        ("x" * 1025, "at most 1024"),
        ("carol-the-user", "other than the username"),
    ],
)
def test_a_weak_or_huge_password_is_refused_and_nothing_is_written(
    db: Database, password: str, expected: str
) -> None:
    with pytest.raises(InvalidInputError, match=expected) as caught:
        sessions.create_user(db, "carol-the-user", password)
    assert caught.value.details == [
        {"field": "password", "message": caught.value.details[0]["message"]}
    ]
    with db.read() as tx:
        assert tx.accounts.user_named("carol-the-user") is None


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(db: Database) -> None:
    sessions.create_user(db, "dave", PASSWORD)
    with pytest.raises(UnauthorizedError) as wrong:
        sessions.sign_in(db, "dave", "not the password")
    with pytest.raises(UnauthorizedError) as unknown:
        sessions.sign_in(db, "nobody", "not the password")
    assert wrong.value.message == unknown.value.message == "wrong username or password"
    # a user who signs in by token only has no password to match
    accounts.create_token(db, "erin")
    with pytest.raises(UnauthorizedError, match="wrong username or password"):
        sessions.sign_in(db, "erin", "")


def _age_failures(db: Database, username: str, by: timedelta) -> None:
    with db.transaction() as tx:
        tx.session.execute(
            update(SignInFailureRow)
            .where(SignInFailureRow.username == username)
            .values(last_failure_at=utcnow() - by)
        )


@pytest.mark.parametrize("username", ["frank", "no-such-user"])
def test_repeated_failures_are_slowed_down_for_known_and_unknown_users(
    db: Database, username: str
) -> None:
    sessions.create_user(db, "frank", PASSWORD)
    for _ in range(sessions.FREE_FAILURES):
        with pytest.raises(UnauthorizedError):
            sessions.sign_in(db, username, "guess")
    # then one must wait before the next attempt, even with the right password
    with pytest.raises(ApiLimitError, match=r"try again in \d+ s"):
        sessions.sign_in(db, username, PASSWORD if username == "frank" else "guess")
    # once the wait is over, an attempt is heard again
    _age_failures(db, username, timedelta(seconds=3))
    if username == "frank":
        sessions.sign_in(db, "frank", PASSWORD)
        with db.read() as tx:
            assert tx.accounts.sign_in_failures("frank") is None  # success clears the run
    else:
        with pytest.raises(UnauthorizedError):
            sessions.sign_in(db, username, "guess")


def test_the_wait_doubles_up_to_its_cap_and_old_failures_are_forgotten(db: Database) -> None:
    with db.transaction() as tx:
        tx.accounts.record_sign_in_failure("gina", failures=40, at=utcnow())
    with pytest.raises(ApiLimitError) as caught:
        sessions.sign_in(db, "gina", "guess")
    found = re.search(r"try again in (\d+) s", caught.value.message)
    assert found is not None
    seconds = int(found.group(1))
    assert sessions.MAX_DELAY.total_seconds() - 5 <= seconds <= sessions.MAX_DELAY.total_seconds()
    _age_failures(db, "gina", sessions.FAILURE_MEMORY + timedelta(seconds=1))
    with pytest.raises(UnauthorizedError):
        sessions.sign_in(db, "gina", "guess")
    with db.read() as tx:
        after = tx.accounts.sign_in_failures("gina")
    assert after is not None and after[0] == 1  # a new run of failures began


def test_a_session_is_stored_hashed_and_ends_at_sign_out(db: Database) -> None:
    sessions.create_user(db, "hank", PASSWORD)
    signed = sessions.sign_in(db, "hank", PASSWORD)
    assert signed.token.startswith(sessions.SESSION_PREFIX)
    with db.read() as tx:
        stored = tx.session.scalars(select(WebSessionRow.session_hash)).all()
    assert stored == [accounts.hash_token(signed.token)]
    assert sessions.sign_out(db, signed.token) is True
    with pytest.raises(UnauthorizedError, match="sign in again"):
        sessions.authenticate_session(db, signed.token)
    assert sessions.sign_out(db, signed.token) is False
    with pytest.raises(UnauthorizedError):
        sessions.authenticate_session(db, "pxs_made-up")


@pytest.mark.parametrize(
    "ages",
    [
        {"last_seen_at": sessions.IDLE_TIMEOUT + timedelta(minutes=1)},
        {"expires_at": timedelta(seconds=1), "last_seen_at": timedelta(0)},
    ],
    ids=["idle", "past-its-lifetime"],
)
def test_an_idle_or_old_session_has_ended(db: Database, ages: dict[str, timedelta]) -> None:
    sessions.create_user(db, "ivy", PASSWORD)
    signed = sessions.sign_in(db, "ivy", PASSWORD)
    with db.transaction() as tx:
        tx.session.execute(update(WebSessionRow).values({k: utcnow() - v for k, v in ages.items()}))
    with pytest.raises(UnauthorizedError, match="ended"):
        sessions.authenticate_session(db, signed.token)
    # the next sign-in forgets the ended session
    sessions.sign_in(db, "ivy", PASSWORD)
    with db.read() as tx:
        assert len(tx.session.scalars(select(WebSessionRow.id)).all()) == 1


def test_a_new_password_ends_every_session(db: Database) -> None:
    sessions.create_user(db, "jane", PASSWORD)
    first, second = sessions.sign_in(db, "jane", PASSWORD), sessions.sign_in(db, "jane", PASSWORD)
    assert sessions.set_password(db, "jane", "a brand new password") == 2
    for signed in (first, second):
        with pytest.raises(UnauthorizedError):
            sessions.authenticate_session(db, signed.token)
    with pytest.raises(UnauthorizedError):
        sessions.sign_in(db, "jane", PASSWORD)
    sessions.sign_in(db, "jane", "a brand new password")
    with pytest.raises(ResourceNotFoundError, match="pixlake user create nobody"):
        sessions.set_password(db, "nobody", "a brand new password")


def test_a_stale_hash_is_upgraded_when_its_user_signs_in(db: Database) -> None:
    sessions.create_user(db, "kim", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with db.transaction() as tx:
        tx.session.execute(
            update(UserRow).where(UserRow.username == "kim").values(password_hash=weak)
        )
    sessions.sign_in(db, "kim", PASSWORD)
    upgraded = _stored_hash(db, "kim")
    assert upgraded != weak
    assert upgraded is not None and not PasswordHasher().check_needs_rehash(upgraded)


def test_the_csrf_token_belongs_to_its_session(db: Database) -> None:
    sessions.create_user(db, "lee", PASSWORD)
    a, b = sessions.sign_in(db, "lee", PASSWORD), sessions.sign_in(db, "lee", PASSWORD)
    assert sessions.csrf_token(a.token) == sessions.csrf_token(a.token)
    assert sessions.csrf_token(a.token) != sessions.csrf_token(b.token)
    assert a.token not in sessions.csrf_token(a.token)


def test_an_api_token_opens_a_session_for_its_user(db: Database) -> None:
    token, _ = accounts.create_token(db, "tess", organization="acme")
    signed = sessions.sign_in_with_token(db, token)
    caller = sessions.authenticate_session(db, signed.token)
    assert caller.username == "tess"
    assert caller.default_organization.name == "acme"
    accounts.revoke_token(db, token)
    with pytest.raises(UnauthorizedError, match="unknown or revoked"):
        sessions.sign_in_with_token(db, token)
