"""The blob store protocol: immutable bytes addressed by their SHA-256.

A write is staged: bytes go to a temporary object while their digest is computed, and only
when the digest matches the expected one does the blob get its name.  A partial or corrupt
upload therefore never becomes visible, and writing bytes that are already stored is free.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from pixlake.names import DIGEST_RE

__all__ = [
    "DIGEST_RE",
    "BlobInfo",
    "BlobStore",
    "BlobWriter",
    "DigestMismatch",
    "StoredBlob",
    "check_digest",
]


def check_digest(digest: str) -> str:
    """``digest`` if it is a lower-case hex SHA-256, else ``ValueError``."""
    if not DIGEST_RE.match(digest):
        raise ValueError(f"not a SHA-256 hex digest: {digest[:80]!r}")
    return digest


@dataclass(frozen=True, slots=True)
class BlobInfo:
    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A blob as the store holds it: ``mtime`` is when it was last written or stored again
    (a store *freshens* a blob it is asked to store and already holds), ``size`` what it
    takes on the store (a composite blob's manifest, not its parts)."""

    digest: str
    mtime: float
    size: int
    #: Whether this is a composite blob's manifest (its parts are blobs of their own).
    composite: bool = False


@runtime_checkable
class BlobWriter(Protocol):
    """A staged write.  ``commit`` verifies and publishes; ``abort`` discards."""

    @property
    def size(self) -> int: ...

    def write(self, chunk: bytes) -> None: ...

    def commit(self, expected_digest: str | None = None) -> BlobInfo:
        """Publish the blob.  Raises ``DigestMismatch`` (and discards) when the bytes do not
        hash to ``expected_digest``."""
        ...

    def abort(self) -> None: ...


@runtime_checkable
class BlobStore(Protocol):
    """Where bytes live.  Implementations: ``LocalBlobStore`` (a folder); S3 later."""

    url: str

    def exists(self, digest: str) -> bool: ...

    def missing(self, digests: Iterable[str]) -> set[str]:
        """The subset of ``digests`` not stored."""
        ...

    def writer(self) -> BlobWriter: ...

    def put_bytes(self, data: bytes, expected_digest: str | None = None) -> BlobInfo:
        """Store bytes held in memory (verified like a staged write).  Bytes already stored
        are not written again."""
        ...

    def compose(self, parts: Sequence[str], expected_digest: str | None = None) -> BlobInfo:
        """A blob made of stored parts, in order, verified against ``expected_digest`` when
        given (named by the digest of the parts joined, either way); ``DigestMismatch``
        (nothing stored) or ``FileNotFoundError`` for a missing part."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """A binary file object reading the blob; ``FileNotFoundError`` when absent."""
        ...

    def size(self, digest: str) -> int: ...

    def delete(self, digest: str) -> None: ...

    def stored(self, *, composites_only: bool = False) -> Iterator[StoredBlob]:
        """Every blob held (or only the composite ones), in no particular order; what is
        being written is not listed."""
        ...

    def parts_of(self, digest: str) -> list[str]:
        """The parts of a composite blob, in order; ``[]`` for any other."""
        ...

    def remove_stale(self, digest: str, written_before: float) -> int | None:
        """Remove the blob unless it was written, or stored again, at ``written_before``
        (a ``time.time()``) or later: the bytes this frees on the store, or ``None`` when
        nothing was removed."""
        ...


class DigestMismatch(ValueError):
    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"the bytes hash to {actual}, not to the announced {expected}")
        self.expected = expected
        self.actual = actual
