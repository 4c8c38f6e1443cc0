"""Organizations, callers, API tokens and sign-in sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "ROLES",
    "WRITE_ROLES",
    "Caller",
    "Credential",
    "Organization",
    "Role",
    "TokenInfo",
    "User",
    "WebSession",
]

Role = Literal["owner", "admin", "member", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "admin", "member", "viewer")
WRITE_ROLES: frozenset[str] = frozenset({"owner", "admin", "member"})


@dataclass(frozen=True, slots=True)
class Organization:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the authenticated user and the organizations they belong to."""

    user_id: uuid.UUID
    username: str
    default_organization: Organization
    #: organization id -> (organization, role)
    memberships: dict[uuid.UUID, tuple[Organization, Role]] = field(default_factory=dict)
    token_id: uuid.UUID | None = None

    def role_in(self, organization_id: uuid.UUID) -> Role | None:
        entry = self.memberships.get(organization_id)
        return entry[1] if entry else None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: uuid.UUID
    username: str
    organization: Organization
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    username: str
    default_organization_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Credential:
    """What a token hash opens: the token's state, its user and each of the user's
    memberships (organization and role)."""

    token_id: uuid.UUID
    revoked_at: datetime | None
    last_used_at: datetime | None
    expires_at: datetime | None
    user_id: uuid.UUID
    username: str
    default_organization_id: uuid.UUID
    memberships: dict[uuid.UUID, tuple[Organization, Role]]


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser's session (its token is never kept, only its hash)."""

    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
