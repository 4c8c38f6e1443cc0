"""What the experiment repositories do beyond the services' tests: violations named by the
call, one named-asset base under file and data assets, points and log lines numbered on."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from sqlalchemy import select

from pixlake.clock import utcnow
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db import lines
from pixlake.store.db.engine import Database
from pixlake.store.db.models import LineBlockRow
from pixlake.store.db.repositories import NewFile, StoredExperiment
from tests.store.db.repositories.conftest import Seed, add_blob

DIGEST = "a" * 64


def run(seed: Seed, name: str = "run-1") -> StoredExperiment:
    with seed.db.transaction() as tx:
        return tx.experiments.add(
            seed.project_pk,
            owner_id=seed.user_id,
            name=name,
            description="",
            previous_pk=None,
            dataset_version_pk=None,
            source_network_pk=None,
            at=utcnow(),
        )


def test_a_duplicate_experiment_name_is_named(seed: Seed) -> None:
    run(seed)
    with pytest.raises(AlreadyExistsError, match="an experiment named 'run-1' already exists"):
        run(seed)
    other = run(seed, "run-2")
    with pytest.raises(AlreadyExistsError, match="an experiment named 'run-1' already exists"):
        with seed.db.transaction() as tx:
            tx.experiments.update(other.pk, name="run-1", at=utcnow())


def test_an_experiment_of_a_project_gone_is_not_found(seed: Seed) -> None:
    with pytest.raises(ResourceNotFoundError, match="the project"):
        with seed.db.transaction() as tx:
            tx.experiments.add(
                seed.project_pk + 100,
                owner_id=seed.user_id,
                name="x",
                description="",
                previous_pk=None,
                dataset_version_pk=None,
                source_network_pk=None,
                at=utcnow(),
            )


def _file(db: Database, experiment: StoredExperiment, name: str) -> int:
    with db.transaction() as tx:
        return tx.experiments.files.add(
            experiment.pk, [NewFile(name, DIGEST, f"{experiment.id}/{name}")], at=utcnow()
        )[0]


def test_file_assets_name_their_violations(seed: Seed) -> None:
    experiment = run(seed)
    with pytest.raises(ResourceNotFoundError, match="bytes of a file are gone"):
        _file(seed.db, experiment, "weights")
    add_blob(seed.db, DIGEST)
    key = _file(seed.db, experiment, "weights")
    with pytest.raises(AlreadyExistsError, match="already has a file of one of these names"):
        _file(seed.db, experiment, "weights")
    _file(seed.db, experiment, "config")
    with pytest.raises(AlreadyExistsError, match="already has a file named 'config'"):
        with seed.db.transaction() as tx:
            tx.experiments.files.rename(key, name="config", object_name="x", at=utcnow())
    with pytest.raises(ResourceNotFoundError, match="are gone from the store"):
        with seed.db.transaction() as tx:
            tx.experiments.files.replace(key, digest="b" * 64, large=False, at=utcnow())
    with seed.db.read() as tx:
        assert [f.name for f in tx.experiments.files.of(experiment.pk)] == ["config", "weights"]


def test_file_and_data_assets_share_the_named_asset_base(seed: Seed) -> None:
    experiment = run(seed)
    add_blob(seed.db, DIGEST)
    _file(seed.db, experiment, "same")
    with seed.db.transaction() as tx:
        tx.experiments.data.add(
            experiment.pk, name="same", type="value", data={"value": 1}, has_x=False, at=utcnow()
        )
    with pytest.raises(AlreadyExistsError, match="already has data named 'same'"):
        with seed.db.transaction() as tx:
            tx.experiments.data.add(
                experiment.pk, name="same", type="value", data={}, has_x=False, at=utcnow()
            )
    with seed.db.transaction() as tx:
        for assets in (tx.experiments.files, tx.experiments.data):
            key = assets.key(experiment.pk, "same")
            assert key is not None
            assets.delete(key)
            assert assets.key(experiment.pk, "same") is None


def test_points_are_numbered_on_and_downsampled_with_the_last(seed: Seed) -> None:
    experiment = run(seed)
    with seed.db.transaction() as tx:
        line = tx.experiments.data.add(
            experiment.pk, name="loss", type="line", data=None, has_x=False, at=utcnow()
        )
        tx.experiments.data.replace_points(line.pk, None, [1.0, 2.0, "NaN"])
        tx.experiments.data.append_points(line.pk, None, [4.0, 5.0, 6.0, 7.0])
    with seed.db.read() as tx:
        whole = tx.experiments.data.series(line.pk, max_points=None)
        assert (whole.size, whole.idx, whole.y, whole.x) == (
            7,
            [0, 1, 2, 3, 4, 5, 6],
            [1.0, 2.0, "NaN", 4.0, 5.0, 6.0, 7.0],
            None,
        )
        assert tx.experiments.data.series(line.pk, max_points=3).idx == [0, 3, 6]
    with seed.db.transaction() as tx:
        tx.experiments.data.replace_points(line.pk, ["a", "b"], [1.0, 2.0])
    with seed.db.read() as tx:
        assert tx.experiments.data.stored(line.pk).has_x
        assert tx.experiments.data.series(line.pk, max_points=None).x == ["a", "b"]


def test_copied_data_keeps_a_lines_points(seed: Seed) -> None:
    source, target = run(seed), run(seed, "run-2")
    with seed.db.transaction() as tx:
        line = tx.experiments.data.add(
            source.pk, name="loss", type="line", data=None, has_x=False, at=utcnow()
        )
        tx.experiments.data.replace_points(line.pk, [10, 20], [0.5, "Infinity"])
        tx.experiments.data.copy(source.pk, target.pk, at=utcnow())
    with seed.db.read() as tx:
        copied = tx.experiments.data.of(target.pk, with_data=True, max_points=None)
        assert [(d.name, d.data, d.size) for d in copied] == [
            ("loss", {"x": [10, 20], "y": [0.5, "Infinity"]}, 2)
        ]


def test_log_lines_are_numbered_on(seed: Seed) -> None:
    experiment = run(seed)
    with seed.db.transaction() as tx:
        assert tx.experiments.append_log(experiment.pk, ["a", "b"], part="train", at=utcnow()) == 2
        assert tx.experiments.append_log(experiment.pk, [], part="", at=utcnow()) == 2
        assert tx.experiments.append_log(experiment.pk, ["c"], part="eval", at=utcnow()) == 3
    with seed.db.read() as tx:
        lines = tx.experiments.log_lines(experiment.pk, after=0, limit=10)
        assert [(n, p, t) for n, p, t, _at in lines] == [(1, "train", "b"), (2, "eval", "c")]
        assert tx.experiments.log_count(experiment.pk) == 3


def _stored_blocks(db: Database, key: int) -> list[dict[str, Any]]:
    with db.read() as tx:
        rows = tx.session.execute(
            select(*(getattr(LineBlockRow, c) for c in lines.COLUMNS))
            .where(LineBlockRow.asset_pk == key)
            .order_by(LineBlockRow.block)
        ).all()
    return [dict(zip(lines.COLUMNS, row, strict=True)) for row in rows]


def _blocks_of(ys: list[float | str]) -> list[dict[str, Any]]:
    return [
        lines.summarize(start, ys[start : start + lines.BLOCK]).block_row()
        for start in range(0, len(ys), lines.BLOCK)
    ]


def test_a_lines_blocks_follow_its_points(seed: Seed) -> None:
    """Appends of every size (completing a partial block, spanning several), a replace and a
    copy each leave the block summaries that the points make."""
    rng = random.Random(7)
    experiment, other = run(seed), run(seed, "run-2")
    ys: list[float | str] = []
    with seed.db.transaction() as tx:
        line = tx.experiments.data.add(
            experiment.pk, name="loss", type="line", data=None, has_x=False, at=utcnow()
        )
    for size in (1, 3, 250, 2, 600, 1, 255, 1000):
        part: list[float | str] = [rng.choice((rng.random(), "NaN")) for _ in range(size)]
        with seed.db.transaction() as tx:
            tx.experiments.data.append_points(line.pk, None, part)
        ys += part
        assert _stored_blocks(seed.db, line.pk) == _blocks_of(ys)
    with seed.db.transaction() as tx:
        tx.experiments.data.copy(experiment.pk, other.pk, at=utcnow())
        copied = tx.experiments.data.head(other.pk, "loss")
    assert copied is not None and _stored_blocks(seed.db, copied.pk) == _blocks_of(ys)
    with seed.db.transaction() as tx:
        tx.experiments.data.replace_points(line.pk, None, [2.0, 1.0])
    assert _stored_blocks(seed.db, line.pk) == _blocks_of([2.0, 1.0])
    with seed.db.transaction() as tx:
        tx.experiments.data.clear_points(line.pk)
    assert _stored_blocks(seed.db, line.pk) == []


@pytest.mark.parametrize(("first", "last", "buckets"), [(0, 99_999, 300), (77, 98_765, 41)])
def test_wide_buckets_read_from_blocks_choose_what_every_point_chooses(
    seed: Seed, first: int, last: int, buckets: int
) -> None:
    rng = random.Random(first)
    ys: list[float | str] = [math.sin(i / 900) + rng.random() / 10 for i in range(100_000)]
    for i in rng.sample(range(100_000), 30):
        ys[i] = rng.choice((9.0, -9.0, "NaN", "Infinity"))
    with seed.db.transaction() as tx:
        line = tx.experiments.data.add(
            run(seed).pk, name="loss", type="line", data=None, has_x=False, at=utcnow()
        )
        tx.experiments.data.replace_points(line.pk, None, ys)
    with seed.db.read() as tx:
        series = tx.experiments.data.buckets(line.pk, first=first, last=last, buckets=buckets)
    edges = lines.boundaries(first, last, buckets, snap=lines.BLOCK)
    rows = [
        (i, None, y) if isinstance(y, str) else (i, y, None)
        for i, y in enumerate(ys[first : last + 1], start=first)
    ]
    reference = lines.bucketed(rows, edges)
    assert dict(zip(series.idx, series.y, strict=True)) == reference
    assert series.size == 100_000 and len(series.idx) <= 7 * buckets
