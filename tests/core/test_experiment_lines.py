"""A line read for a chart: at most four points per bucket, and never a spike lost."""

from __future__ import annotations

import itertools
import math
import uuid

import pytest

from pixlake.core import experiments, projects
from pixlake.entities.experiments import Series
from pixlake.errors import InvalidInputError
from pixlake.store.db import lines
from tests.core.conftest import World

N = 50_000
SPIKE, DIP = 31_337, 7_001


@pytest.fixture
def run(world: World) -> uuid.UUID:
    org = world.alice.default_organization.id
    project = projects.create_project(world.db, world.alice, org, name="p")
    made = experiments.create_experiment(
        world.db, world.alice, org, project_id=project.id, name="e"
    )
    ys: list[float | str] = [math.sin(i / 500) for i in range(N)]
    ys[SPIKE], ys[DIP], ys[40_000] = 50.0, -50.0, "NaN"
    experiments.log_data(
        world.db, world.alice, org, experiment_id=made.id, name="loss", type="line", data=ys
    )
    xs = [f"t{i}" for i in range(100)]
    experiments.log_data(
        world.db,
        world.alice,
        org,
        experiment_id=made.id,
        name="by-time",
        type="line",
        data={"x": xs, "y": list(range(100))},
    )
    return made.id


def _read(
    world: World, run: uuid.UUID, *, buckets: int, first: int = 0, last: int | None = None
) -> Series:
    return experiments.read_line_range(
        world.db,
        world.alice,
        world.alice.default_organization.id,
        experiment_id=run,
        name="loss",
        buckets=buckets,
        first=first,
        last=last,
    )


def test_a_long_line_keeps_its_ends_spikes_and_non_finite_values(
    world: World, run: uuid.UUID
) -> None:
    series = _read(world, run, buckets=400)
    assert series.size == N and len(series.idx) <= 4 * 400 + 3
    assert series.idx == sorted(series.idx) and series.idx[0] == 0 and series.idx[-1] == N - 1
    kept = dict(zip(series.idx, series.y, strict=True))
    assert kept[SPIKE] == 50.0 and kept[DIP] == -50.0 and kept[40_000] == "NaN"
    assert max(v for v in series.y if isinstance(v, float)) == 50.0


@pytest.mark.parametrize("buckets", [50, 1000])
def test_each_bucket_keeps_its_own_extremes(world: World, run: uuid.UUID, buckets: int) -> None:
    """Wide buckets (50 of 1,000 points) are made of whole blocks; narrow ones (1,000 of 50)
    are equal spans: either way each keeps its own lowest and highest point."""
    series = _read(world, run, buckets=buckets)
    snap = lines.BLOCK if N // buckets >= lines.BLOCK else 1
    edges = [0, *lines.boundaries(0, N - 1, buckets, snap=snap), N]
    assert len(edges) == buckets + 1
    for start, end in itertools.pairwise(edges):
        inside = [
            y
            for i, y in zip(series.idx, series.y, strict=True)
            if start <= i < end and isinstance(y, float)
        ]
        truth = [math.sin(i / 500) for i in range(start, end) if i != 40_000]
        if start <= SPIKE < end:
            assert max(inside) == 50.0
        elif start <= DIP < end:
            assert min(inside) == -50.0
        else:
            assert max(inside) == pytest.approx(max(truth))
            assert min(inside) == pytest.approx(min(truth))


def test_a_zoomed_range_that_fits_comes_whole(world: World, run: uuid.UUID) -> None:
    series = _read(world, run, buckets=100, first=SPIKE - 150, last=SPIKE + 149)
    assert series.idx == list(range(SPIKE - 150, SPIKE + 150))
    assert series.y[150] == 50.0 and series.y[0] == pytest.approx(math.sin((SPIKE - 150) / 500))


def test_x_values_come_with_their_points(world: World, run: uuid.UUID) -> None:
    series = experiments.read_line_range(
        world.db,
        world.alice,
        world.alice.default_organization.id,
        experiment_id=run,
        name="by-time",
        buckets=10,
    )
    assert series.x is not None
    # ten buckets of a rising line: each one's first point is its lowest, its last its highest
    assert series.idx == [i for b in range(10) for i in (10 * b, 10 * b + 9)]
    assert series.x == [f"t{i}" for i in series.idx]
    assert [float(y) for y in series.y] == [float(i) for i in series.idx]


@pytest.mark.parametrize(
    ("buckets", "first", "last"), [(0, 0, None), (20_000, 0, None), (10, 5, 4), (10, -1, None)]
)
def test_a_bad_range_is_refused(
    world: World, run: uuid.UUID, buckets: int, first: int, last: int | None
) -> None:
    with pytest.raises(InvalidInputError):
        _read(world, run, buckets=buckets, first=first, last=last)
