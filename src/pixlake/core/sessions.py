"""Passwords and sign-in sessions: how a person, rather than a script, is let in.

A password is kept as its Argon2id hash (``argon2-cffi``'s defaults: 64 MiB, 3 passes), never
as itself; a password a user signs in with is rehashed when those defaults have grown since.
A sign-in opens a session: 256 random bits (``pxs_…``) that the browser keeps in a cookie and
the database keeps as their SHA-256, like API tokens (``core.accounts``).  A session ends at
sign-out, after :data:`IDLE_TIMEOUT` without use, :data:`LIFETIME` after it began, or when
the user's password changes.

Wrong passwords are answered alike whether the user exists or not, and in about the same
time (an unknown user's password is checked against a hash made for that purpose).  After
:data:`FREE_FAILURES` failures in a row for a username, known or not, each further attempt
waits twice as long as the one before (capped at :data:`MAX_DELAY`): until then it is refused
with :class:`~pixlake.errors.ApiLimitError`, the right password included.

The form a page sends with a state-changing request carries :func:`csrf_token`, a keyed hash
of the session's own token: the server recomputes it from the cookie, so it needs no storage,
and a page of another site, which cannot read the cookie, cannot make it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pixlake.clock import utcnow
from pixlake.core.accounts import authenticate, check_membership, ensure_member, hash_token
from pixlake.entities.accounts import Caller, Role, User, WebSession
from pixlake.errors import (
    AlreadyExistsError,
    ApiLimitError,
    InvalidInputError,
    ResourceNotFoundError,
    UnauthorizedError,
)
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "FREE_FAILURES",
    "IDLE_TIMEOUT",
    "LIFETIME",
    "MAX_DELAY",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "SESSION_PREFIX",
    "SignedIn",
    "authenticate_session",
    "create_user",
    "csrf_token",
    "set_password",
    "sign_in",
    "sign_in_with_token",
    "sign_out",
]

SESSION_PREFIX: Final = "pxs_"
MIN_PASSWORD_LENGTH: Final = 8
#: Argon2 takes any length, but a request body must stay small.
MAX_PASSWORD_LENGTH: Final = 1024
LIFETIME: Final = timedelta(days=14)
IDLE_TIMEOUT: Final = timedelta(days=2)
FREE_FAILURES: Final = 5
MAX_DELAY: Final = timedelta(minutes=15)
#: A run of failures older than this is forgotten.
FAILURE_MEMORY: Final = timedelta(hours=1)
_LAST_SEEN_RESOLUTION: Final = timedelta(minutes=1)
_WRONG: Final = "wrong username or password"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: its token (for the cookie; shown nowhere else) and its record."""

    token: str
    session: WebSession


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    """A hash to check a password against when the user does not exist, so that an unknown
    user costs the same time as a known one."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _check_password(password: str, username: str) -> None:
    problem = None
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"expected at least {MIN_PASSWORD_LENGTH} characters"
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = f"expected at most {MAX_PASSWORD_LENGTH} characters"
    elif not password.strip():
        problem = "expected more than white space"
    elif password == username:
        problem = "expected something other than the username"
    if problem is not None:
        raise InvalidInputError(
            f"this password cannot be used: {problem}",
            details=[{"field": "password", "message": problem}],
        )


def create_user(
    db: Database,
    username: str,
    password: str,
    *,
    organization: str | None = None,
    role: Role | None = None,
) -> User:
    """A user who can sign in with ``password``, created (with its organization) when missing.

    The organization and the role follow ``accounts.create_token``'s rules.  A user who has a
    password already keeps it: that is :func:`set_password`'s job.
    """
    check_membership(username, organization=organization, role=role)
    _check_password(password, username)
    hashed = _hasher().hash(password)
    with db.transaction() as tx:
        user, _org = ensure_member(tx, username, organization=organization, role=role)
        if tx.accounts.password_hash(user.id) is not None:
            raise AlreadyExistsError(
                f"user {username!r} has a password already; change it with "
                f"`pixlake user password {username}`"
            )
        tx.accounts.set_password_hash(user.id, hashed)
    return user


def set_password(db: Database, username: str, password: str) -> int:
    """Change a user's password; every session of the user's ends.  How many ended."""
    _check_password(password, username)
    hashed = _hasher().hash(password)
    with db.transaction() as tx:
        user = tx.accounts.user_named(username)
        if user is None:
            raise ResourceNotFoundError(
                f"no user named {username!r}; create one with `pixlake user create {username}`"
            )
        tx.accounts.set_password_hash(user.id, hashed)
        tx.accounts.clear_sign_in_failures(username)
        return tx.accounts.delete_sessions_of(user.id)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _wait(failures: int) -> timedelta:
    """How long after the last of ``failures`` failures in a row the next attempt waits."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** (failures - FREE_FAILURES)))


def sign_in(db: Database, username: str, password: str) -> SignedIn:
    """A new session for the user whose password this is; ``UnauthorizedError`` else."""
    now = utcnow()
    key = username[:100]
    with db.read() as tx:
        past = tx.accounts.sign_in_failures(key)
        user = tx.accounts.user_named(username) if len(username) <= 100 else None
        stored = None if user is None else tx.accounts.password_hash(user.id)
    failures = 0
    if past is not None and now - _aware(past[1]) < FAILURE_MEMORY:
        failures = past[0]
        ready = _aware(past[1]) + _wait(failures)
        if now < ready:
            seconds = max(1, int((ready - now).total_seconds() + 0.999))
            raise ApiLimitError(
                f"too many failed sign-ins for this username: try again in {seconds} s"
            )
    try:
        _hasher().verify(stored or _decoy_hash(), password)
        ok = user is not None and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or stored is None:
        with db.transaction() as tx:
            tx.accounts.record_sign_in_failure(key, failures=failures + 1, at=now)
        raise UnauthorizedError(_WRONG)
    with db.transaction() as tx:
        if _hasher().check_needs_rehash(stored):
            tx.accounts.set_password_hash(user.id, _hasher().hash(password))
        if past is not None:
            tx.accounts.clear_sign_in_failures(key)
        return _open_session(tx, user.id, now)


def sign_in_with_token(db: Database, token: str) -> SignedIn:
    """A new session for the user an API token belongs to (a person who has a token and no
    password); ``UnauthorizedError`` for a token that is unknown, revoked or expired."""
    caller = authenticate(db, token)
    with db.transaction() as tx:
        return _open_session(tx, caller.user_id, utcnow())


def _open_session(tx: UnitOfWork, user_id: uuid.UUID, now: datetime) -> SignedIn:
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    tx.accounts.delete_sessions_ended(at=now, idle_since=now - IDLE_TIMEOUT)
    session = tx.accounts.add_session(
        user_id, session_hash=hash_token(token), at=now, expires_at=now + LIFETIME
    )
    return SignedIn(token, session)


def authenticate_session(db: Database, token: str) -> Caller:
    """The caller a session token belongs to, or ``UnauthorizedError`` (unknown, signed out,
    idle too long or past its lifetime)."""
    now = utcnow()
    with db.read() as tx:
        session = tx.accounts.session_by_hash(hash_token(token))
        if session is None:
            raise UnauthorizedError("not signed in, or the session has ended: sign in again")
        user = tx.accounts.user(session.user_id)
        memberships = tx.accounts.memberships(user.id)
    if (
        _aware(session.expires_at) <= now
        or now - _aware(session.last_seen_at) > IDLE_TIMEOUT
        or user.default_organization_id not in memberships
    ):
        raise UnauthorizedError("the session has ended: sign in again")
    if now - _aware(session.last_seen_at) > _LAST_SEEN_RESOLUTION:
        with db.transaction() as tx:
            tx.accounts.touch_session(session.id, at=now)
    return Caller(
        user_id=user.id,
        username=user.username,
        default_organization=memberships[user.default_organization_id][0],
        memberships=memberships,
    )


def sign_out(db: Database, token: str) -> bool:
    """End the session; whether there was one."""
    with db.transaction() as tx:
        session = tx.accounts.session_by_hash(hash_token(token))
        if session is None:
            return False
        tx.accounts.delete_session(session.id)
    return True


def csrf_token(session_token: str) -> str:
    """The token a page's forms carry for this session (see the module's text)."""
    return hmac.new(session_token.encode(), b"pixlake csrf", hashlib.sha256).hexdigest()
