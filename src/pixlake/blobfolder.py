"""The layout of a blob store kept in a local folder: a contract between the store and a
client on its machine (decision 0016).

The server's ``LocalBlobStore`` writes this layout; the SDK, when it runs on the server's
machine, reads blobs from it and writes new ones beside where they belong for the server to
adopt (``pixlake.sdk`` copies files rather than send them over HTTP).  Both import these
names from here, so the SDK loads no server code.  Standard library only (nothing at all).
"""

from __future__ import annotations

from typing import Final

__all__ = ["ADOPTED_PREFIX", "IDENTITY_FILE", "LAYOUT", "adopted_relpath", "blob_relpath"]

#: The store's identity token, in a file of this name under its root.
IDENTITY_FILE: Final = "identity"
#: Where a plain blob's file is under the root, as the store tells clients that read it
#: (which compare it to the layout they know: ``blob_relpath``).
LAYOUT: Final = "sha256/<first 2 hex digits>/<other 62>"
#: A file a client wrote for the store to adopt: ``<blob's shard folder>/<ADOPTED_PREFIX><name>``.
ADOPTED_PREFIX: Final = ".in-"


def blob_relpath(digest: str) -> str:
    """Where the plain blob ``digest`` (64 hex digits) is under the root, as ``LAYOUT``
    says: ``sha256/ab/cdef…``."""
    return f"sha256/{digest[:2]}/{digest[2:]}"


def adopted_relpath(digest: str, name: str) -> str:
    """Where a client writes the bytes of blob ``digest`` for the store to adopt under the
    name ``name``: in the blob's own shard folder, ``sha256/ab/.in-<name>``."""
    return f"sha256/{digest[:2]}/{ADOPTED_PREFIX}{name}"
