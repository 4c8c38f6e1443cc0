"""Pick a blob store by URL scheme: ``file://`` here; other schemes from the
``pixlake.blob_stores`` entry-point group (a class with ``from_url(url)``)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any
from urllib.parse import urlparse

from pixlake.errors import ConfigurationError
from pixlake.store.blobs.base import BlobStore
from pixlake.store.blobs.local import LocalBlobStore

__all__ = ["open_blob_store"]

_BUILTIN: dict[str, Any] = {"file": LocalBlobStore}
#: What every store must have: the protocol's attribute and methods.
_REQUIRED = (
    "url",
    *sorted(
        name
        for name in vars(BlobStore)
        if callable(getattr(BlobStore, name)) and not name.startswith("_")
    ),
)


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
        raise ConfigurationError(
            f"PIXLAKE_STORAGE_URL {url!r} has scheme {scheme!r}; known schemes: {', '.join(known)}"
        )
    store: BlobStore = factory.from_url(url)
    lacking = [name for name in _REQUIRED if not hasattr(store, name)]
    if lacking:
        origin = f"{type(store).__module__}.{type(store).__qualname__}"
        raise ConfigurationError(
            f"the blob store for {scheme}:// URLs ({origin}) lacks {', '.join(lacking)}, "
            "which this version of pixlake needs; upgrade the package that provides it"
        )
    return store
