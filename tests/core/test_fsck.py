"""``check_store`` against a real SQLite database and a real local store: a clean store has
no finding; each kind of damage is found, named, and repaired where that is safe."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete

from pixlake.core.fsck import FINDINGS, check_store
from pixlake.store.db.models import OrganizationBlobRow
from tests.conftest import make_image
from tests.core.conftest import World
from tests.core.test_garbage import picture

NOW = timedelta(0)


def _age(path: Path) -> None:
    long_ago = time.time() - 3 * 86400
    os.utime(path, (long_ago, long_ago))


def test_a_clean_store_has_no_finding(world: World) -> None:
    for i in range(3):
        picture(world, world.alice, f"p{i}.jpg", make_image(i))
    picture(world, world.bob, "p0.jpg", make_image(0))  # the same bytes, another organization
    report = check_store(world.db, world.store, sample=1.0, grace=NOW)
    assert report.findings == []
    assert (report.blobs, report.files, report.hashed) == (3, 3, 3)


def test_each_kind_of_damage_is_found_and_the_safe_ones_repaired(world: World) -> None:
    lost = picture(world, world.alice, "lost.jpg", make_image(1))
    rotten = picture(world, world.alice, "rotten.jpg", make_image(2))
    shrunk = picture(world, world.alice, "shrunk.jpg", make_image(3))
    ungranted = picture(world, world.bob, "ungranted.jpg", make_image(4))
    world.store.path(lost.digest).unlink()
    path = world.store.path(rotten.digest)  # same size, other bytes
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.chmod(0o600)
    path.write_bytes(bytes(data))
    path = world.store.path(shrunk.digest)
    path.chmod(0o600)
    path.write_bytes(path.read_bytes()[:-10])
    stray = b"bytes an upload stored and never recorded"
    stray_digest = world.store.put_bytes(stray).digest
    _age(world.store.path(stray_digest))
    unfinished = world.store.tmp_dir / "upload-99-1"
    unfinished.write_bytes(b"half an upload")
    _age(unfinished)
    with world.db.transaction() as tx:
        session = tx.session
        session.execute(
            delete(OrganizationBlobRow).where(OrganizationBlobRow.digest == ungranted.digest)
        )
    database = world.db.engine.url.database
    assert database is not None
    with contextlib.closing(sqlite3.connect(database)) as raw:  # keys off: a grant to nobody
        raw.execute(
            "INSERT INTO organization_blobs VALUES (?, ?, ?)",
            ("0" * 32, lost.digest, "2020-01-01 00:00:00"),
        )
        raw.commit()

    found = check_store(world.db, world.store, sample=1.0, grace=NOW)
    kinds = {(f.kind, f.subject) for f in found.findings}
    assert kinds == {
        ("missing-bytes", lost.digest),
        ("corrupt-bytes", rotten.digest),
        ("size-mismatch", shrunk.digest),
        ("unrecorded-bytes", stray_digest),
        ("temporary-file", "tmp/upload-99-1"),
        ("ownerless-grant", f"{'0' * 8}-{'0' * 4}-{'0' * 4}-{'0' * 4}-{'0' * 12}/{lost.digest}"),
        ("ungranted-picture", str(ungranted.id)),
    }
    assert [f.kind for f in found.findings] == sorted(
        (f.kind for f in found.findings), key=FINDINGS.index
    )
    assert not any(f.repaired for f in found.findings)

    fixed = check_store(world.db, world.store, repair=True, sample=1.0, grace=NOW)
    assert {f.kind for f in fixed.findings if f.repaired} == {
        "corrupt-bytes",
        "size-mismatch",
        "unrecorded-bytes",
        "temporary-file",
        "ownerless-grant",
    }
    assert not world.store.exists(stray_digest) and not unfinished.exists()
    quarantined = list((world.store.root / "quarantine").iterdir())
    assert len(quarantined) == 2  # the bytes are kept aside, not destroyed

    after = check_store(world.db, world.store, sample=1.0, grace=NOW)
    assert {(f.kind, f.subject) for f in after.findings} == {
        ("missing-bytes", lost.digest),
        ("missing-bytes", rotten.digest),  # quarantined: a re-upload restores them
        ("missing-bytes", shrunk.digest),
        ("ungranted-picture", str(ungranted.id)),
    }
    assert hashlib.sha256(make_image(2)).hexdigest() == rotten.digest


def test_young_files_are_left_to_their_writers(world: World) -> None:
    world.store.put_bytes(b"an upload being recorded right now")
    (world.store.tmp_dir / "upload-1-1").write_bytes(b"being written")
    assert check_store(world.db, world.store, repair=True).findings == []
    assert (world.store.tmp_dir / "upload-1-1").exists()


def test_a_sample_hashes_a_fraction_but_at_least_the_minimum(world: World) -> None:
    for i in range(6):
        picture(world, world.alice, f"p{i}.jpg", make_image(i))
    assert check_store(world.db, world.store, sample=0.0, min_sample=2).hashed == 2
    assert check_store(world.db, world.store, sample=1.0, min_sample=0).hashed == 6
