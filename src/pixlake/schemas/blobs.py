"""Wire models: content-addressed blobs."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pixlake.schemas.common import WireModel

__all__ = ["BlobPublic", "BlobRejected", "BlobsMissing", "BlobsMissingQuery", "BlobsStored"]


class BlobsMissingQuery(WireModel):
    digests: list[str] = Field(description="SHA-256 digests (hex) the client holds")


class BlobsMissing(BaseModel):
    missing: list[str] = Field(description="those the organization has not sent yet, in order")


class BlobPublic(BaseModel):
    digest: str
    size: int
    media_type: str
    width: int | None = None
    height: int | None = None


class BlobRejected(BaseModel):
    digest: str
    reason: str


class BlobsStored(BaseModel):
    stored: list[BlobPublic]
    rejected: list[BlobRejected]
