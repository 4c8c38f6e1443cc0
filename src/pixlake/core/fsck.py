"""Checking the store: do the database and the bytes agree?

``check_store`` looks for what a crash, a full disk or a hand in the store's folder can
leave behind, and, with ``repair``, fixes what is safe to fix:

=====================  ============================================  ==========================
finding                what it means                                 ``repair``
=====================  ============================================  ==========================
``missing-bytes``      a blob record whose bytes the store lacks     nothing: re-uploading the
                                                                     files restores them (the
                                                                     SDK sends what is missing)
``corrupt-bytes``      stored bytes that do not hash to their name   moved to ``quarantine/``:
                                                                     the record then counts as
                                                                     missing, and a re-upload
                                                                     restores the right bytes
``size-mismatch``      stored bytes of another size than recorded    as ``corrupt-bytes``
``unrecorded-bytes``   stored bytes without a record (an upload       removed (as ``pixlake gc``
                       stopped between storing and recording)        does), past the grace
``temporary-file``     a write that never finished                   removed, past the grace
``ownerless-grant``    a grant of bytes to no organization, or of    removed
                       bytes without a record
``ungranted-picture``  a picture whose organization holds no grant   nothing: reported, as it
                       of its bytes                                  breaks decision 0001
=====================  ============================================  ==========================

Hashing reads every byte: by default a sample is hashed (``sample``, a fraction of the
blobs, at least ``min_sample``), every blob with ``sample=1``.  Nothing younger than the
grace period is judged, so that writes in flight are left alone.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final

from pixlake.core.garbage import DEFAULT_GRACE
from pixlake.store.blobs import BlobStore, LocalBlobStore
from pixlake.store.db.engine import Database

__all__ = ["FINDINGS", "Finding", "FsckReport", "check_store"]

#: Every kind of finding, in the order they are reported.
FINDINGS: Final = (
    "missing-bytes",
    "corrupt-bytes",
    "size-mismatch",
    "unrecorded-bytes",
    "temporary-file",
    "ownerless-grant",
    "ungranted-picture",
)
#: Blob records looked up at a time.
_BATCH: Final = 1000


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    subject: str  # a digest, a file, a grant
    detail: str
    repaired: bool = False


@dataclass(slots=True)
class FsckReport:
    findings: list[Finding] = field(default_factory=list)
    blobs: int = 0  # blob records checked
    files: int = 0  # stored files checked
    hashed: int = 0  # of which hashed
    repair: bool = False

    @property
    def unrepaired(self) -> list[Finding]:
        return [f for f in self.findings if not f.repaired]

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def _hash(store: BlobStore, digest: str) -> tuple[str, int]:
    hasher, size = hashlib.sha256(), 0
    with store.open(digest) as stream:
        while chunk := stream.read(1024 * 1024):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def _quarantine(store: LocalBlobStore, digest: str) -> None:
    folder = store.root / "quarantine"
    folder.mkdir(exist_ok=True, mode=0o700)
    for path in (store.path(digest), store.root / "composite" / digest[:2] / digest[2:]):
        if path.is_file():
            path.replace(folder / f"{digest}-{time.time_ns()}")


def _records(db: Database) -> Iterator[list[tuple[str, int]]]:
    after = ""
    while True:
        with db.read() as tx:
            rows = tx.blobs.records_after(after, limit=_BATCH)
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def check_store(
    db: Database,
    store: BlobStore,
    *,
    repair: bool = False,
    sample: float = 0.01,
    min_sample: int = 100,
    grace: timedelta = DEFAULT_GRACE,
    seed: int | None = None,
) -> FsckReport:
    """What is wrong with the store (see the module's text), fixed where safe with
    ``repair``.  Memory grows with the findings, not with the store."""
    if not 0 <= sample <= 1:
        raise ValueError("sample is a fraction of the blobs, from 0 to 1")
    report = FsckReport(repair=repair)
    local = store if isinstance(store, LocalBlobStore) else None
    written_before = time.time() - grace.total_seconds()
    rng = random.Random(seed)
    _check_records(db, store, report, local=local, sample=sample, min_sample=min_sample, rng=rng)
    _check_files(db, store, report, written_before=written_before)
    if local is not None:
        _check_temporary(local, report, grace=grace)
    _check_grants(db, report)
    report.findings.sort(key=lambda f: (FINDINGS.index(f.kind), f.subject))
    return report


def _check_records(
    db: Database,
    store: BlobStore,
    report: FsckReport,
    *,
    local: LocalBlobStore | None,
    sample: float,
    min_sample: int,
    rng: random.Random,
) -> None:
    """1. every record: are its bytes there, whole, of the recorded size?"""
    add = report.findings.append
    for batch in _records(db):
        report.blobs += len(batch)
        absent = store.missing([digest for digest, _ in batch])
        for digest, size in batch:
            if digest in absent:
                add(Finding("missing-bytes", digest, "recorded, not in the store; re-upload it"))
                continue
            stored = store.size(digest)
            kind = None
            if stored != size:
                kind, detail = "size-mismatch", f"{stored} bytes stored, {size} recorded"
            elif report.hashed < min_sample or rng.random() < sample:
                actual, _ = _hash(store, digest)
                report.hashed += 1
                if actual != digest:
                    kind, detail = "corrupt-bytes", f"the bytes hash to {actual}"
            if kind is not None:
                fixed = report.repair and local is not None
                if fixed:
                    assert local is not None
                    _quarantine(local, digest)
                add(Finding(kind, digest, detail, fixed))


def _check_files(
    db: Database, store: BlobStore, report: FsckReport, *, written_before: float
) -> None:
    """2. every stored file: is it recorded?"""
    batch_files: list[str] = []

    def unrecorded() -> None:
        with db.read() as tx:
            known = tx.blobs.recorded(batch_files)
        for digest in batch_files:
            if digest not in known:
                removed = report.repair and store.remove_stale(digest, written_before) is not None
                report.findings.append(
                    Finding("unrecorded-bytes", digest, "stored without a record", removed)
                )
        batch_files.clear()

    for blob in store.stored():
        report.files += 1
        if blob.mtime < written_before:
            batch_files.append(blob.digest)
            if len(batch_files) >= _BATCH:
                unrecorded()
    if batch_files:
        unrecorded()


def _check_temporary(local: LocalBlobStore, report: FsckReport, *, grace: timedelta) -> None:
    """3. writes that never finished"""
    repair = report.repair
    for path in list(local.temporary_files(grace.total_seconds())):
        if repair:
            path.unlink(missing_ok=True)
        report.findings.append(
            Finding("temporary-file", str(_relative(path, local.root)), "unfinished", repair)
        )


def _check_grants(db: Database, report: FsckReport) -> None:
    """4. grants and pictures: an organization holds the bytes of each of its pictures"""
    repair = report.repair
    add = report.findings.append
    with db.transaction() if repair else db.read() as tx:
        orphans = tx.blobs.ownerless_grants()
        for org, digest in orphans:
            add(
                Finding(
                    "ownerless-grant", f"{org}/{digest}", "no such organization or blob", repair
                )
            )
        if repair:
            tx.blobs.revoke(orphans)
        for picture, digest in tx.blobs.ungranted_pictures():
            add(Finding("ungranted-picture", str(picture), f"its organization holds no {digest}"))


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path
