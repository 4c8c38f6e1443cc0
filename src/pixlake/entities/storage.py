"""Object storage as S3 clients see it: buckets, keys, and the signed URLs that move bytes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["Bucket", "Method", "StoredObject", "Ticket", "Upload"]

#: ``datalake`` holds pictures and network thumbnails; ``models`` experiment and network
#: files and logged images (upstream's ``bucket_model`` false and true).
Bucket = Literal["datalake", "models"]
#: What a signed URL lets its bearer do: download (``GET``), upload a small object by form
#: (``POST``) or one part of a multipart upload (``PUT``).
Method = Literal["GET", "POST", "PUT"]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A signed URL handed out: one method on one object, up to a size, until it expires."""

    method: Method
    organization_id: uuid.UUID
    bucket: Bucket
    key: str
    expires_at: datetime
    #: A download's bytes.
    digest: str | None = None
    #: The most bytes an upload may send.
    max_size: int | None = None
    #: The multipart upload and part number of a part upload.
    upload_id: uuid.UUID | None = None
    part_no: int | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    """A multipart upload under way."""

    id: uuid.UUID
    organization_id: uuid.UUID
    bucket: Bucket
    key: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StoredObject:
    """The bytes a key names."""

    digest: str
    size: int
