"""Thumbnails: made once per image blob, read through the source's grant, collected with it."""

from __future__ import annotations

import io
import time
import uuid
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from pixlake.clock import utcnow
from pixlake.core import datalake, jobs, thumbnails
from pixlake.core.datalake import NewPicture
from pixlake.core.garbage import collect_garbage
from pixlake.entities.datalake import PictureFilter
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.jobs import ThreadJobRunner
from pixlake.store.db.models import BlobRow, ThumbnailRow
from tests.conftest import make_image
from tests.core.conftest import World


def _picture(world: World, data: bytes, name: str = "a.jpg") -> str:
    digest = world.put(world.alice, data)
    datalake.add_pictures(
        world.db, world.alice, world.alice.default_organization.id, [NewPicture(name, digest)]
    )
    return digest


def _thumbnails(world: World) -> int:
    with world.db.read() as tx:
        return tx.session.scalar(select(func.count()).select_from(ThumbnailRow)) or 0


def test_a_thumbnail_is_a_small_webp_made_once(world: World) -> None:
    digest = _picture(world, make_image(1, size=(1200, 800)))
    org = world.alice.default_organization.id
    first = thumbnails.thumbnail_of(world.db, world.store, world.alice, org, digest=digest)
    again = thumbnails.thumbnail_of(world.db, world.store, world.alice, org, digest=digest)
    assert again == first and _thumbnails(world) == 1
    assert (first.width, first.height) == (256, 171) and first.media_type == "image/webp"
    with world.store.open(first.digest) as f, Image.open(f) as image:
        assert image.format == "WEBP" and image.size == (256, 171)


def test_a_thumbnail_is_turned_as_the_exif_orientation_says(world: World) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the picture rotated by 90 degrees
    out = io.BytesIO()
    Image.new("RGB", (400, 200), "red").save(out, "JPEG", exif=exif)
    digest = _picture(world, out.getvalue())
    made = thumbnails.thumbnail_of(
        world.db, world.store, world.alice, world.alice.default_organization.id, digest=digest
    )
    assert (made.width, made.height) == (128, 256)


def test_another_organization_cannot_read_a_thumbnail(world: World) -> None:
    digest = _picture(world, make_image(2))
    with pytest.raises(ResourceNotFoundError, match="no picture bytes"):
        thumbnails.thumbnail_of(
            world.db, world.store, world.bob, world.bob.default_organization.id, digest=digest
        )
    with pytest.raises(ResourceNotFoundError, match="no organization"):
        thumbnails.thumbnail_of(
            world.db, world.store, world.bob, world.alice.default_organization.id, digest=digest
        )
    assert _thumbnails(world) == 0


def test_bytes_that_are_no_image_get_a_clear_error_and_no_row(world: World) -> None:
    digest = world.put(world.alice, b"not an image at all")
    with pytest.raises(InvalidInputError, match="not an image"):
        thumbnails.thumbnail_of(
            world.db, world.store, world.alice, world.alice.default_organization.id, digest=digest
        )
    assert _thumbnails(world) == 0


def test_a_thumbnail_keeps_no_source_and_goes_with_it(world: World) -> None:
    digest = _picture(world, make_image(3, size=(600, 400)))
    org = world.alice.default_organization.id
    made = thumbnails.thumbnail_of(world.db, world.store, world.alice, org, digest=digest)
    now = timedelta(0)
    assert collect_garbage(world.db, world.store, grace=now).blobs == 0  # the picture keeps both
    (picture,) = datalake.browse_pictures(
        world.db, world.alice, org, where=PictureFilter(), limit=10
    ).pictures
    datalake.delete_pictures(world.db, world.alice, org, ids=[picture.id])
    collect_garbage(world.db, world.store, grace=now)  # the source, and with it the row
    collect_garbage(world.db, world.store, grace=now)  # then the thumbnail's own bytes
    with world.db.read() as tx:
        left = set(tx.session.scalars(select(BlobRow.digest)))
    assert digest not in left and made.digest not in left and _thumbnails(world) == 0
    assert not world.store.exists(made.digest)


def _runner(world: World) -> ThreadJobRunner:
    return ThreadJobRunner(
        world.db,
        world.store,
        handlers={thumbnails.KIND: thumbnails.run_thumbnails},
        background=[thumbnails.KIND],
    )


def _wait(world: World, job_id: uuid.UUID) -> dict[str, object]:
    org = world.alice.default_organization.id
    for _ in range(500):
        job = jobs.get_job(world.db, world.alice, org, job_id=job_id)
        if job.status in ("succeeded", "failed"):
            assert job.status == "succeeded", job.error
            assert job.result is not None
            return dict(job.result)
        time.sleep(0.02)
    raise AssertionError("the thumbnails job did not end")


def test_a_job_makes_the_missing_thumbnails_and_resumes_where_others_stopped(
    world: World,
) -> None:
    org = world.alice.default_organization.id
    digests = [_picture(world, make_image(10 + i), f"p{i}.jpg") for i in range(5)]
    for digest in digests[:2]:  # made by a page already, or by a run that was stopped
        thumbnails.thumbnail_of(world.db, world.store, world.alice, org, digest=digest)
    runner = _runner(world)
    try:
        first = thumbnails.request_thumbnails(world.db, runner, world.alice, org)
        assert _wait(world, first) == {"made": 3, "failed": 0}
        assert _thumbnails(world) == 5
        again = thumbnails.request_thumbnails(world.db, runner, world.alice, org)
        assert again != first and _wait(world, again) == {"made": 0, "failed": 0}
    finally:
        runner.shutdown()


def test_one_thumbnails_job_waits_to_start_at_a_time_per_organization(world: World) -> None:
    org = world.alice.default_organization.id
    with world.db.transaction() as tx:  # queued by another process, not started yet
        queued = tx.jobs.add(
            org, created_by=world.alice.user_id, kind=thumbnails.KIND, params={}, runner="x:1"
        )
    runner = _runner(world)
    try:
        assert thumbnails.request_thumbnails(world.db, runner, world.alice, org) == queued.id
        other = world.bob.default_organization.id
        assert thumbnails.request_thumbnails(world.db, runner, world.bob, other) != queued.id
    finally:
        runner.shutdown()


def test_a_request_while_a_job_runs_queues_another(world: World) -> None:
    org = world.alice.default_organization.id
    with world.db.transaction() as tx:  # running: it may have passed the new pictures' place
        running = tx.jobs.add(
            org, created_by=world.alice.user_id, kind=thumbnails.KIND, params={}, runner="x:1"
        )
        tx.jobs.start(running.id, at=utcnow())
    _picture(world, make_image(77))
    runner = _runner(world)
    try:
        queued = thumbnails.request_thumbnails(world.db, runner, world.alice, org)
        assert queued != running.id and _wait(world, queued) == {"made": 1, "failed": 0}
    finally:
        runner.shutdown()
