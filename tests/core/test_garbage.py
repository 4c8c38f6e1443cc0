"""Garbage collection against a real SQLite database and a real local store: what nothing
needs goes, grants, records and files; whatever a row, a job or a composite needs, or that is
younger than the grace period, stays."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pixlake.core import blobs, datalake, experiments, networks, projects
from pixlake.core.garbage import GarbageReport, collect_garbage
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import Picture
from pixlake.errors import InvalidInputError
from pixlake.store.db.models import BlobRow, DataAssetRow, JobRow, OrganizationBlobRow
from pixlake.store.db.models.base import utcnow
from tests.conftest import make_image
from tests.core.conftest import World

NOW = timedelta(0)  # a grace period of none: everything written before the call is old


def picture(w: World, caller: Caller, name: str, data: bytes) -> Picture:
    digest = w.put(caller, data)
    added = datalake.add_pictures(
        w.db, caller, caller.default_organization.id, [datalake.NewPicture(name, digest)]
    )
    (created,) = added.created
    return created


def forget(w: World, caller: Caller, *pictures: Picture) -> None:
    datalake.delete_pictures(
        w.db, caller, caller.default_organization.id, ids=[p.id for p in pictures]
    )


def recorded(w: World) -> set[str]:
    with w.db.read() as tx:
        session = tx.session
        return set(session.scalars(select(BlobRow.digest)))


def granted(w: World) -> set[tuple[str, str]]:
    with w.db.read() as tx:
        session = tx.session
        return {
            (str(org), digest)
            for org, digest in session.execute(
                select(OrganizationBlobRow.organization_id, OrganizationBlobRow.digest)
            )
        }


def test_the_bytes_of_deleted_pictures_go_and_the_others_stay(world: World) -> None:
    kept = picture(world, world.alice, "kept.jpg", make_image(1))
    gone = picture(world, world.alice, "gone.jpg", make_image(2))
    forget(world, world.alice, gone)
    size = world.store.size(gone.digest)

    report = collect_garbage(world.db, world.store, grace=NOW)

    assert report == GarbageReport(grants=1, blobs=1, files=1, bytes_freed=size, dry_run=False)
    assert recorded(world) == {kept.digest}
    assert world.store.missing([kept.digest, gone.digest]) == {gone.digest}
    assert collect_garbage(world.db, world.store, grace=NOW) == GarbageReport(0, 0, 0, 0, False)


def test_bytes_another_organization_refers_to_stay_with_every_grant(world: World) -> None:
    data = make_image(3)
    mine = picture(world, world.alice, "a.jpg", data)
    theirs = picture(world, world.bob, "b.jpg", data)
    assert mine.digest == theirs.digest
    forget(world, world.alice, mine)

    grants = granted(world)

    report = collect_garbage(world.db, world.store, grace=NOW)

    # Needed bytes keep every grant of them: Alice sent them, and may refer to them again.
    assert report == GarbageReport(0, 0, 0, 0, False)
    assert granted(world) == grants and len(grants) == 2
    with world.store.open(theirs.digest) as f:
        assert f.read() == data


def test_nothing_younger_than_the_grace_period_goes(world: World) -> None:
    forget(world, world.alice, picture(world, world.alice, "young.jpg", make_image(4)))
    unreferenced = world.put(world.alice, b"sent, not yet referred to")

    report = collect_garbage(world.db, world.store)  # the default: a day

    assert report == GarbageReport(0, 0, 0, 0, False)
    assert unreferenced in recorded(world)
    assert world.store.exists(unreferenced)


def test_a_dry_run_counts_and_removes_nothing(world: World) -> None:
    gone = picture(world, world.alice, "gone.jpg", make_image(5))
    forget(world, world.alice, gone)
    before = (recorded(world), granted(world))

    report = collect_garbage(world.db, world.store, grace=NOW, dry_run=True)

    size = world.store.size(gone.digest)
    assert report == GarbageReport(grants=1, blobs=1, files=1, bytes_freed=size, dry_run=True)
    assert (recorded(world), granted(world)) == before
    assert world.store.exists(gone.digest)


def test_network_files_and_thumbnails_are_references(world: World) -> None:
    oid = world.alice.default_organization.id
    made = networks.create_network(world.db, world.alice, oid, name="net", type="detection")
    weights = world.put(world.alice, b"weights" * 100)
    networks.store_file(
        world.db, world.alice, oid, network_id=made.id, name="model-latest", digest=weights
    )
    thumbnail = world.put(world.alice, make_image(6, (400, 300), "PNG"))
    networks.set_thumbnail(
        world.db, world.store, world.alice, oid, network_id=made.id, digest=thumbnail
    )
    needed = recorded(world)
    assert len(needed) == 3 and {weights, thumbnail} < needed  # and the small thumbnail

    assert collect_garbage(world.db, world.store, grace=NOW).blobs == 0
    assert recorded(world) == needed

    networks.delete_network(world.db, world.alice, oid, network_id=made.id)
    report = collect_garbage(world.db, world.store, grace=NOW)
    assert report.blobs == len(needed) and recorded(world) == set()
    assert world.store.missing(needed) == needed


def test_an_experiment_image_keeps_its_bytes(world: World) -> None:
    oid = world.alice.default_organization.id
    project = projects.create_project(world.db, world.alice, oid, name="street")
    run = experiments.create_experiment(
        world.db, world.alice, oid, project_id=project.id, name="run-1"
    )
    image = world.put(world.alice, make_image(7))
    logged = {"object_name": f"{run.id}/sample.jpg", "sha256": image}
    experiments.log_data(
        world.db, world.alice, oid, experiment_id=run.id, name="sample", type="image", data=logged
    )

    assert collect_garbage(world.db, world.store, grace=NOW).blobs == 0
    assert world.store.exists(image)

    experiments.delete_data(world.db, world.alice, oid, experiment_id=run.id, name="sample")
    assert collect_garbage(world.db, world.store, grace=NOW).blobs == 1
    assert not world.store.exists(image)


def test_an_image_naming_bytes_its_organization_never_sent_keeps_nothing(world: World) -> None:
    """Knowing a digest is not holding the bytes: a row naming another organization's digest
    (the API refuses to write one; a row written before it did) does not keep them."""
    alices = picture(world, world.alice, "secret.jpg", make_image(8))
    bob = world.bob.default_organization.id
    project = projects.create_project(world.db, world.bob, bob, name="pinning")
    run = experiments.create_experiment(world.db, world.bob, bob, project_id=project.id, name="run")
    own = world.put(world.bob, make_image(9))
    logged = {"object_name": f"{run.id}/own.jpg", "sha256": own}
    experiments.log_data(
        world.db, world.bob, bob, experiment_id=run.id, name="own", type="image", data=logged
    )
    with pytest.raises(InvalidInputError, match="not uploaded first") as refused:
        experiments.log_data(
            world.db,
            world.bob,
            bob,
            experiment_id=run.id,
            name="pin",
            type="image",
            data={"object_name": f"{run.id}/pin.jpg", "sha256": alices.digest},
        )
    assert refused.value.details == [
        {"field": "data.sha256", "message": refused.value.details[0]["message"]}
    ]
    with world.db.transaction() as tx:  # as if written before the API refused it
        session = tx.session
        session.execute(
            update(DataAssetRow)
            .where(DataAssetRow.name == "own")
            .values(data={"object_name": "x", "sha256": alices.digest})
        )
        session.add(
            JobRow(
                organization_id=bob,
                kind="dataset_import",
                status="queued",
                params={"document": alices.digest, "name": "pinned"},
            )
        )
    forget(world, world.alice, alices)

    collect_garbage(world.db, world.store, grace=NOW)

    assert alices.digest not in recorded(world)
    assert not world.store.exists(alices.digest)


def compose(w: World, parts: list[str], pieces: list[bytes]) -> tuple[str, bytes]:
    """Alice's composite of ``parts`` (whose bytes are ``pieces``): its digest and bytes."""
    whole = b"".join(pieces)
    digest = hashlib.sha256(whole).hexdigest()
    oid = w.alice.default_organization.id
    blobs.compose(
        w.db,
        w.store,
        w.alice,
        oid,
        parts=parts,
        expected_digest=digest,
        expected_size=len(whole),
        max_parts=10,
        max_size=10**6,
    )
    return digest, whole


def test_the_parts_of_a_needed_composite_stay(world: World) -> None:
    oid = world.alice.default_organization.id
    pieces = [b"first half " * 50, b"second half " * 50]
    parts = [world.put(world.alice, piece) for piece in pieces]
    digest, whole = compose(world, parts, pieces)
    made = networks.create_network(world.db, world.alice, oid, name="big", type="detection")
    networks.store_file(world.db, world.alice, oid, network_id=made.id, name="model", digest=digest)

    assert collect_garbage(world.db, world.store, grace=NOW).blobs == 0
    with world.store.open(digest) as f:
        assert f.read() == whole

    networks.delete_network(world.db, world.alice, oid, network_id=made.id)
    report = collect_garbage(world.db, world.store, grace=NOW)
    assert (report.blobs, report.files) == (3, 3)  # the manifest and both parts
    assert world.store.missing([digest, *parts]) == {digest, *parts}


def test_a_young_composite_keeps_old_parts(world: World) -> None:
    pieces = [b"sent two days ago, " * 20, b"composed just now" * 20]
    parts = [world.put(world.alice, piece) for piece in pieces]
    two_days_ago = time.time() - 2 * 86400
    with world.db.transaction() as tx:
        session = tx.session
        for table in (BlobRow, OrganizationBlobRow):
            session.execute(
                update(table)
                .where(table.digest.in_(parts))
                .values(created_at=utcnow() - timedelta(days=2))
            )
    for part in parts:
        os.utime(world.store.path(part), (two_days_ago, two_days_ago))
    digest, whole = compose(world, parts, pieces)

    report = collect_garbage(world.db, world.store, grace=timedelta(hours=1))

    assert report == GarbageReport(0, 0, 0, 0, False)
    with world.store.open(digest) as f:
        assert f.read() == whole


@pytest.mark.parametrize(
    ("status", "stays"), [("queued", True), ("running", True), ("succeeded", False)]
)
def test_an_unfinished_job_keeps_the_blobs_it_names(world: World, status: str, stays: bool) -> None:
    document = world.put(world.alice, b'{"format": "pixlake-import/2"}')
    with world.db.transaction() as tx:
        session = tx.session
        session.add(
            JobRow(
                organization_id=world.alice.default_organization.id,
                kind="dataset_import",
                status=status,
                params={"document": document, "name": "cars"},
            )
        )

    collect_garbage(world.db, world.store, grace=NOW)

    assert (document in recorded(world)) is stays
    assert world.store.exists(document) is stays


def test_stored_files_without_a_record_go_once_old(world: World) -> None:
    orphan = world.store.put_bytes(b"stored, never recorded: its upload stopped").digest
    offered = world.store.path(orphan).parent / ".in-0123abcd"
    offered.write_bytes(b"a client's file, waiting for adoption")

    young = collect_garbage(world.db, world.store)  # a day's grace
    assert (young.files, young.temporary) == (0, 0) and offered.exists()
    report = collect_garbage(world.db, world.store, grace=NOW)

    assert (report.blobs, report.files, report.temporary) == (0, 1, 1)
    assert not world.store.exists(orphan)
    assert not offered.exists()  # a write never finished, as old as the grace


def test_bytes_stored_again_are_fresh_again(world: World) -> None:
    data = b"bytes a client sends again just as the collection runs"
    info = world.store.put_bytes(data)
    path = world.store.path(info.digest)
    long_ago = time.time() - 3 * 86400
    os.utime(path, (long_ago, long_ago))

    world.store.put_bytes(data)  # kept as it is, and freshened

    assert path.stat().st_mtime > long_ago + 86400
    assert collect_garbage(world.db, world.store, grace=timedelta(hours=1)).files == 0
    assert world.store.exists(info.digest)


def test_a_negative_grace_period_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="negative"):
        collect_garbage(world.db, world.store, grace=timedelta(seconds=-1))
