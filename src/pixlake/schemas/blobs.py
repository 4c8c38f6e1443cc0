"""Wire models: content-addressed blobs."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pixlake.schemas.common import WireModel

__all__ = [
    "BlobPublic",
    "BlobRejected",
    "BlobsCompose",
    "BlobsMissing",
    "BlobsMissingQuery",
    "BlobsRead",
    "BlobsStored",
    "BlobsAdopt",
    "LocalStorePublic",
]


class BlobsMissingQuery(WireModel):
    digests: list[str] = Field(description="SHA-256 digests (hex) the client holds")


class AdoptedFile(WireModel):
    name: str = Field(
        pattern=r"^[0-9a-f]{1,64}$",
        description="the file is `<root>/sha256/<digest[0:2]>/.in-<name>` in the local store",
    )
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the blob it must hash to")


class BlobsAdopt(WireModel):
    files: list[AdoptedFile] = Field(description="files written into the store, to verify")


class BlobsRead(WireModel):
    digests: list[str] = Field(description="SHA-256 digests (hex) of blobs to download together")


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


class BlobsCompose(WireModel):
    """Concatenate part blobs already sent into one blob (how large files travel)."""

    parts: list[str] = Field(description="SHA-256 digests of the parts, in order")
    sha256: str = Field(description="digest of the concatenation, verified before it is stored")
    size: int = Field(description="size of the concatenation in bytes")


class LocalStorePublic(BaseModel):
    root: str = Field(description="absolute path of the store's folder on the server's machine")
    identity: str = Field(description="the token in the file `identity` under `root`")
    uploads: bool = Field(
        description="whether the SDK may write blobs' bytes into the store for the server to "
        "verify (`POST .../blobs/adopt`): only when the store belongs to the server's user "
        "and no other user may write in it"
    )
    layout: str = Field(
        description="where a blob's file is under `root`: `sha256/` then the digest's first "
        "two hex digits, `/`, and the other 62 (blobs kept in parts have no such file)"
    )
