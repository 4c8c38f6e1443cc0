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
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pixlake.core.entities import ROLES, WRITE_ROLES, Caller, Organization, Role, TokenInfo
from pixlake.errors import (
    ForbiddenError,
    InvalidInputError,
    ResourceNotFoundError,
    UnauthorizedError,
)
from pixlake.store.db.engine import Database
from pixlake.store.db.models import (
    ApiTokenRow,
    MembershipRow,
    OrganizationRow,
    UserRow,
    utcnow,
)

__all__ = [
    "authenticate",
    "create_token",
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


def _get_or_create_org(session: Session, name: str) -> tuple[OrganizationRow, bool]:
    row = session.scalar(select(OrganizationRow).where(OrganizationRow.name == name))
    if row is not None:
        return row, False
    row = OrganizationRow(id=uuid.uuid4(), name=name)
    session.add(row)
    session.flush()
    return row, True


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
    if expires_in is not None and expires_in <= timedelta(0):
        raise InvalidInputError(
            "a token's lifetime must be positive",
            details=[{"field": "expires_in", "message": "expected a positive duration"}],
        )
    joined: Role = role or "member"
    with db.transaction() as session:
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            org_name = organization or username
            org, created = _get_or_create_org(session, org_name)
            user = UserRow(id=uuid.uuid4(), username=username, default_organization_id=org.id)
            session.add(user)
            session.flush()
            session.add(
                MembershipRow(
                    user_id=user.id, organization_id=org.id, role="owner" if created else joined
                )
            )
            session.flush()
        if organization is not None:
            org, created = _get_or_create_org(session, organization)
            member = session.get(MembershipRow, (user.id, org.id))
            if member is None:
                session.add(
                    MembershipRow(
                        user_id=user.id,
                        organization_id=org.id,
                        role="owner" if created else joined,
                    )
                )
            elif role is not None:
                member.role = role
        else:
            org = session.get_one(OrganizationRow, user.default_organization_id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiTokenRow(
            id=uuid.uuid4(),
            user_id=user.id,
            prefix=token[: len(TOKEN_PREFIX) + 6],
            token_hash=hash_token(token),
            name=name,
            expires_at=None if expires_in is None else utcnow() + expires_in,
        )
        session.add(row)
        session.flush()
        info = _token_info(row, user.username, Organization(org.id, org.name))
    return token, info


def _token_info(row: ApiTokenRow, username: str, org: Organization) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        username=username,
        organization=org,
        prefix=row.prefix,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
    )


def list_tokens(db: Database, username: str) -> list[TokenInfo]:
    with db.read() as session:
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        if user is None:
            raise ResourceNotFoundError(f"no user named {username!r}")
        org = session.get_one(OrganizationRow, user.default_organization_id)
        rows = session.scalars(
            select(ApiTokenRow)
            .where(ApiTokenRow.user_id == user.id)
            .order_by(ApiTokenRow.created_at)
        )
        return [_token_info(r, username, Organization(org.id, org.name)) for r in rows]


def revoke_token(db: Database, token_or_prefix: str) -> TokenInfo:
    """Revoke a token, given whole or by the prefix that listings show."""
    with db.transaction() as session:
        query = select(ApiTokenRow)
        if token_or_prefix.startswith(TOKEN_PREFIX) and len(token_or_prefix) > 20:
            query = query.where(ApiTokenRow.token_hash == hash_token(token_or_prefix))
        else:
            query = query.where(ApiTokenRow.prefix == token_or_prefix)
        rows = list(session.scalars(query))
        if not rows:
            raise ResourceNotFoundError("no token matches; give the whole token or its prefix")
        if len(rows) > 1:
            raise InvalidInputError(
                f"{len(rows)} tokens share the prefix {token_or_prefix!r}; give the whole token"
            )
        row = rows[0]
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        user = session.get_one(UserRow, row.user_id)
        org = session.get_one(OrganizationRow, user.default_organization_id)
        return _token_info(row, user.username, Organization(org.id, org.name))


def authenticate(db: Database, token: str) -> Caller:
    """The caller a token belongs to, or ``UnauthorizedError``.

    Every request pays for this, so it is one indexed query: the token, its user and each of
    the user's memberships, one row per organization.
    """
    digest = hash_token(token)
    tokens, users = ApiTokenRow.__table__.c, UserRow.__table__.c
    members, orgs = MembershipRow.__table__.c, OrganizationRow.__table__.c
    with db.read() as session:
        rows = session.execute(
            select(
                tokens.id,
                tokens.revoked_at,
                tokens.last_used_at,
                tokens.expires_at,
                users.id,
                users.username,
                users.default_organization_id,
                orgs.id,
                orgs.name,
                members.role,
            )
            .select_from(
                ApiTokenRow.__table__.join(UserRow.__table__, users.id == tokens.user_id)
                .join(MembershipRow.__table__, members.user_id == users.id)
                .join(OrganizationRow.__table__, orgs.id == members.organization_id)
            )
            .where(tokens.token_hash == digest)
        ).all()
    if not rows or rows[0][1] is not None:
        raise UnauthorizedError(
            "this API token is unknown or revoked; create one with `pixlake token create USERNAME`"
        )
    token_id, _revoked, last_used, expires_at, user_id, username, default_id = rows[0][:7]
    now = utcnow()
    if expires_at is not None and _aware(expires_at) <= now:
        raise UnauthorizedError(
            f"this API token expired at {_aware(expires_at):%Y-%m-%d %H:%M} UTC; create a new "
            "one with `pixlake token create USERNAME`"
        )
    memberships: dict[uuid.UUID, tuple[Organization, Role]] = {
        row[7]: (Organization(row[7], row[8]), cast(Role, row[9])) for row in rows
    }
    if last_used is None or now - _aware(last_used) > _LAST_USED_RESOLUTION:
        with db.transaction() as session:
            session.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now)
            )
    return Caller(
        user_id=user_id,
        username=username,
        default_organization=memberships[default_id][0],
        memberships=memberships,
        token_id=token_id,
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
