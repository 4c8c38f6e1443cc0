"""Organizations, users, memberships and API tokens.

Tokens are 256 bits from ``secrets``, shown once and stored as their SHA-256: a fast hash is
the right one for high-entropy secrets (nothing to brute-force), and it lets a request find its
token with one indexed lookup.  ``last_used_at`` is written at most once a minute per token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from pixlake.clock import utcnow
from pixlake.entities.accounts import (
    ROLES,
    WRITE_ROLES,
    Caller,
    Organization,
    Role,
    TokenInfo,
    User,
)
from pixlake.errors import (
    ForbiddenError,
    InvalidInputError,
    ResourceNotFoundError,
    UnauthorizedError,
)
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "authenticate",
    "check_membership",
    "create_token",
    "ensure_member",
    "hash_token",
    "list_tokens",
    "require_organization",
    "resolve_organization",
    "revoke_token",
]

TOKEN_PREFIX = "pxl_"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(value: str, field: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise InvalidInputError(
            f"{field} {value!r} is not valid",
            details=[
                {
                    "field": field,
                    "message": "expected 1 to 100 letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit",
                }
            ],
        )
    return value


def _get_or_create_org(tx: UnitOfWork, name: str) -> tuple[Organization, bool]:
    org = tx.accounts.organization_named(name)
    if org is not None:
        return org, False
    return tx.accounts.add_organization(name), True


def check_membership(username: str, *, organization: str | None, role: Role | None) -> None:
    """Refuse a bad username, organization name or role before anything is written."""
    _check_name(username, "username")
    if organization is not None:
        _check_name(organization, "organization")
    if role is not None and role not in ROLES:
        raise InvalidInputError(
            f"role {role!r} is not one of {', '.join(ROLES)}",
            details=[{"field": "role", "message": f"expected one of {', '.join(ROLES)}"}],
        )
    if role is not None and organization is None:
        raise InvalidInputError(
            "a role is a role in an organization: name the organization too",
            details=[{"field": "role", "message": "given without an organization"}],
        )


def ensure_member(
    tx: UnitOfWork, username: str, *, organization: str | None, role: Role | None
) -> tuple[User, Organization]:
    """The user (created when missing) and the organization it is now a member of.

    A new user's default organization is ``organization`` when given, else a personal one
    named after the user.  The user joins ``organization``: as its owner when this creates
    it, else as ``role`` (a ``member`` by default); ``role`` also changes the role of a user
    who is in it already.  Without ``organization``, the user's default one is returned.
    """
    joined: Role = role or "member"
    user = tx.accounts.user_named(username)
    if user is None:
        org, created = _get_or_create_org(tx, organization or username)
        user = tx.accounts.add_user(username, default_organization_id=org.id)
        tx.accounts.set_role(user.id, org.id, "owner" if created else joined)
    if organization is None:
        return user, tx.accounts.organization(user.default_organization_id)
    org, created = _get_or_create_org(tx, organization)
    if tx.accounts.role(user.id, org.id) is None:
        tx.accounts.set_role(user.id, org.id, "owner" if created else joined)
    elif role is not None:
        tx.accounts.set_role(user.id, org.id, role)
    return user, org


def create_token(
    db: Database,
    username: str,
    *,
    organization: str | None = None,
    name: str = "",
    role: Role | None = None,
    expires_in: timedelta | None = None,
) -> tuple[str, TokenInfo]:
    """A new token for ``username``, creating the user and organization when missing.

    A new user's default organization is ``organization`` when given, else a personal one
    named after the user.  The user joins ``organization``: as its owner when this call
    creates it, else as ``role`` (a ``member`` by default); ``role`` also changes the role of
    a user who is in it already.  The token stops working after ``expires_in`` (never, by
    default, until revoked).  Returns the token, which is not kept anywhere, and its
    description.
    """
    check_membership(username, organization=organization, role=role)
    if expires_in is not None and expires_in <= timedelta(0):
        raise InvalidInputError(
            "a token's lifetime must be positive",
            details=[{"field": "expires_in", "message": "expected a positive duration"}],
        )
    with db.transaction() as tx:
        user, org = ensure_member(tx, username, organization=organization, role=role)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = tx.accounts.add_token(
            user,
            org,
            prefix=token[: len(TOKEN_PREFIX) + 6],
            token_hash=hash_token(token),
            name=name,
            expires_at=None if expires_in is None else utcnow() + expires_in,
        )
    return token, info


def list_tokens(db: Database, username: str) -> list[TokenInfo]:
    with db.read() as tx:
        user = tx.accounts.user_named(username)
        if user is None:
            raise ResourceNotFoundError(f"no user named {username!r}")
        return tx.accounts.tokens_of(user)


def revoke_token(db: Database, token_or_prefix: str) -> TokenInfo:
    """Revoke a token, given whole or by the prefix that listings show."""
    with db.transaction() as tx:
        if token_or_prefix.startswith(TOKEN_PREFIX) and len(token_or_prefix) > 20:
            found = tx.accounts.tokens_matching(token_hash=hash_token(token_or_prefix))
        else:
            found = tx.accounts.tokens_matching(prefix=token_or_prefix)
        if not found:
            raise ResourceNotFoundError("no token matches; give the whole token or its prefix")
        if len(found) > 1:
            raise InvalidInputError(
                f"{len(found)} tokens share the prefix {token_or_prefix!r}; give the whole token"
            )
        return tx.accounts.revoke(found[0].id, at=utcnow())


def authenticate(db: Database, token: str) -> Caller:
    """The caller a token belongs to, or ``UnauthorizedError``.

    Every request pays for this, so it is one indexed query: the token, its user and each of
    the user's memberships, one row per organization.
    """
    with db.read() as tx:
        found = tx.accounts.credential(hash_token(token))
    if found is None or found.revoked_at is not None:
        raise UnauthorizedError(
            "this API token is unknown or revoked; create one with `pixlake token create USERNAME`"
        )
    now = utcnow()
    if found.expires_at is not None and _aware(found.expires_at) <= now:
        raise UnauthorizedError(
            f"this API token expired at {_aware(found.expires_at):%Y-%m-%d %H:%M} UTC; create a "
            "new one with `pixlake token create USERNAME`"
        )
    if found.last_used_at is None or now - _aware(found.last_used_at) > _LAST_USED_RESOLUTION:
        with db.transaction() as tx:
            tx.accounts.touch(found.token_id, at=now)
    return Caller(
        user_id=found.user_id,
        username=found.username,
        default_organization=found.memberships[found.default_organization_id][0],
        memberships=found.memberships,
        token_id=found.token_id,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def resolve_organization(db: Database, caller: Caller, ref: str | None) -> Organization:
    """An organization of the caller's, by id or name; ``None`` (or "null") means the default.

    An organization the caller does not belong to answers exactly like one that does not exist.
    """
    if ref is None or ref in ("", "null", "None"):
        return caller.default_organization
    for org, _role in caller.memberships.values():
        if org.name == ref or str(org.id) == ref:
            return org
    raise ResourceNotFoundError(f"no organization named {ref!r} among yours")


def require_organization(caller: Caller, organization_id: uuid.UUID, *, write: bool) -> None:
    """Refuse a caller who is not a member (404) or may not write (403)."""
    role = caller.role_in(organization_id)
    if role is None:
        raise ResourceNotFoundError(f"no organization {organization_id} among yours")
    if write and role not in WRITE_ROLES:
        raise ForbiddenError(f"your role in this organization ({role}) cannot change it")
