"""Content-addressed blob storage."""

from pixlake.store.blobs.base import (
    BlobInfo,
    BlobStore,
    BlobWriter,
    DigestMismatch,
    StoredBlob,
    check_digest,
)
from pixlake.store.blobs.local import LocalBlobStore
from pixlake.store.blobs.registry import open_blob_store

__all__ = [
    "BlobInfo",
    "BlobStore",
    "BlobWriter",
    "DigestMismatch",
    "LocalBlobStore",
    "StoredBlob",
    "check_digest",
    "open_blob_store",
]
