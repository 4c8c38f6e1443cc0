"""Wire models: who am I, organizations."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

__all__ = ["Me", "OrganizationPublic", "OrganizationsPublic", "Health"]


class OrganizationPublic(BaseModel):
    id: uuid.UUID
    name: str
    role: str | None = None


class OrganizationsPublic(BaseModel):
    data: list[OrganizationPublic]
    count: int


class Me(BaseModel):
    username: str
    user_id: uuid.UUID
    sdk_version: str
    default_organization: OrganizationPublic
    organizations: list[OrganizationPublic]


class Health(BaseModel):
    status: str
    version: str
    database: str
    storage: str
