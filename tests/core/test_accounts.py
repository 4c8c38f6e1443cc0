"""Accounts: users, organizations, memberships and tokens, at the service level."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pixlake.core import accounts
from pixlake.errors import (
    ForbiddenError,
    InvalidInputError,
    ResourceNotFoundError,
    UnauthorizedError,
)
from pixlake.store.db.engine import Database
from pixlake.store.db.models import ApiTokenRow, MembershipRow
from pixlake.store.db.schema import ensure_schema


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'a.sqlite'}")
    ensure_schema(database)
    yield database
    database.dispose()


def test_new_user_gets_a_personal_organization(db: Database) -> None:
    token, info = accounts.create_token(db, "frank")
    caller = accounts.authenticate(db, token)
    assert caller.default_organization.name == "frank"
    assert caller.role_in(caller.default_organization.id) == "owner"
    assert info.prefix == token[:10]


def test_named_organization_is_the_default_and_shared(db: Database) -> None:
    a, _ = accounts.create_token(db, "gina", organization="acme")
    b, _ = accounts.create_token(db, "hank", organization="acme")
    gina, hank = accounts.authenticate(db, a), accounts.authenticate(db, b)
    assert gina.default_organization == hank.default_organization
    assert gina.role_in(gina.default_organization.id) == "owner"
    assert hank.role_in(hank.default_organization.id) == "member"
    # joining another organization keeps the default
    c, _ = accounts.create_token(db, "gina", organization="globex")
    gina = accounts.authenticate(db, c)
    assert gina.default_organization.name == "acme"
    assert {o.name for o, _ in gina.memberships.values()} == {"acme", "globex"}
    assert accounts.resolve_organization(db, gina, "globex").name == "globex"
    assert accounts.resolve_organization(db, gina, None).name == "acme"
    with pytest.raises(ResourceNotFoundError):
        accounts.resolve_organization(db, accounts.authenticate(db, b), "globex")


def test_tokens_are_hashed_revocable_and_track_last_use(db: Database) -> None:
    token, info = accounts.create_token(db, "ivy")
    with db.read() as tx:
        session = tx.session
        row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.id == info.id)).one()
        assert row.token_hash != token and token not in (row.prefix, row.name)
        assert row.last_used_at is None
    accounts.authenticate(db, token)
    with db.read() as tx:
        session = tx.session
        first_use = session.scalars(select(ApiTokenRow.last_used_at)).one()
    assert first_use is not None
    earlier = first_use - timedelta(hours=1)
    accounts.authenticate(db, token)  # within a minute: not written again
    with db.read() as tx:
        session = tx.session
        assert session.scalars(select(ApiTokenRow.last_used_at)).one() == first_use
    with db.transaction() as tx:
        session = tx.session
        session.execute(update(ApiTokenRow).values(last_used_at=earlier))
    accounts.authenticate(db, token)
    with db.read() as tx:
        session = tx.session
        latest = session.scalars(select(ApiTokenRow.last_used_at)).one()
    assert latest is not None and latest > earlier
    accounts.revoke_token(db, token)
    with pytest.raises(UnauthorizedError):
        accounts.authenticate(db, token)


def test_viewers_cannot_write(db: Database) -> None:
    token, _ = accounts.create_token(db, "jack")
    caller = accounts.authenticate(db, token)
    org = caller.default_organization.id
    accounts.require_organization(caller, org, write=True)
    with db.transaction() as tx:
        session = tx.session
        session.execute(update(MembershipRow).values(role="viewer"))
    viewer = accounts.authenticate(db, token)
    accounts.require_organization(viewer, org, write=False)
    with pytest.raises(ForbiddenError, match="viewer"):
        accounts.require_organization(viewer, org, write=True)


def test_a_role_is_given_on_joining_and_can_be_changed(db: Database) -> None:
    owner, _ = accounts.create_token(db, "olga", organization="lab")
    viewer, _ = accounts.create_token(db, "vera", organization="lab", role="viewer")
    lab = accounts.authenticate(db, owner).default_organization.id
    assert accounts.authenticate(db, owner).role_in(lab) == "owner"  # she made it
    assert accounts.authenticate(db, viewer).role_in(lab) == "viewer"
    with pytest.raises(ForbiddenError, match="viewer"):
        accounts.require_organization(accounts.authenticate(db, viewer), lab, write=True)
    accounts.create_token(db, "vera", organization="lab", role="member")
    assert accounts.authenticate(db, viewer).role_in(lab) == "member"  # at once, every token
    with pytest.raises(InvalidInputError, match="not one of") as bad:
        accounts.create_token(db, "vera", organization="lab", role="god")  # type: ignore[arg-type]
    assert bad.value.details[0]["field"] == "role"
    with pytest.raises(InvalidInputError, match="name the organization"):
        accounts.create_token(db, "vera", role="viewer")


def test_a_token_stops_working_when_it_expires(db: Database) -> None:
    token, info = accounts.create_token(db, "ezra", expires_in=timedelta(hours=1))
    assert info.expires_at is not None
    assert accounts.authenticate(db, token).username == "ezra"
    with db.transaction() as tx:  # an hour later
        session = tx.session
        session.execute(
            update(ApiTokenRow).values(expires_at=info.expires_at - timedelta(hours=1, seconds=1))
        )
    with pytest.raises(UnauthorizedError, match="expired at .* create a new one"):
        accounts.authenticate(db, token)
    with pytest.raises(InvalidInputError, match="positive"):
        accounts.create_token(db, "ezra", expires_in=timedelta(0))


def test_names_with_a_final_newline_are_refused(db: Database) -> None:
    with pytest.raises(InvalidInputError):
        accounts.create_token(db, "alice\n")
    with pytest.raises(InvalidInputError):
        accounts.create_token(db, "kim", organization="acme\n")


def test_names_are_validated(db: Database) -> None:
    with pytest.raises(InvalidInputError) as info:
        accounts.create_token(db, "bad name")
    assert info.value.details[0]["field"] == "username"
    with pytest.raises(InvalidInputError):
        accounts.create_token(db, "kim", organization="../etc")


def test_revoke_by_ambiguous_or_unknown_prefix(db: Database) -> None:
    with pytest.raises(ResourceNotFoundError):
        accounts.revoke_token(db, "pxl_unknown")
