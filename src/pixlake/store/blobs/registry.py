"""Pick a blob store by URL scheme: ``file://`` here; other schemes from the
``pixlake.blob_stores`` entry-point group (a class with ``from_url(url)``)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any
from urllib.parse import urlparse

from pixlake.errors import InvalidInputError
from pixlake.store.blobs.base import BlobStore
from pixlake.store.blobs.local import LocalBlobStore

__all__ = ["open_blob_store"]

_BUILTIN: dict[str, Any] = {"file": LocalBlobStore}


def open_blob_store(url: str) -> BlobStore:
    scheme = urlparse(url).scheme or "file"
    factory = _BUILTIN.get(scheme)
    if factory is None:
        for ep in entry_points(group="pixlake.blob_stores"):
            if ep.name == scheme:
                factory = ep.load()
                break
    if factory is None:
        known = sorted({*_BUILTIN, *(ep.name for ep in entry_points(group="pixlake.blob_stores"))})
        raise InvalidInputError(
            f"PIXLAKE_STORAGE_URL {url!r} has scheme {scheme!r}; known schemes: {', '.join(known)}"
        )
    store: BlobStore = factory.from_url(url)
    return store
