"""A line data asset's points: rows appended as a run goes, read whole or downsampled."""

from __future__ import annotations

import uuid
from typing import Any

from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.experiments import _assets
from pixlake.core.experiments._common import bad, check_asset_name, find_experiment
from pixlake.entities.accounts import Caller
from pixlake.entities.experiments import Series
from pixlake.errors import ResourceNotFoundError
from pixlake.schemas.experiments import check_line
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import StoredData
from pixlake.store.db.unit_of_work import UnitOfWork


def write_points(
    tx: UnitOfWork,
    asset: StoredData,
    xs: list[Any] | None,
    ys: list[float | str],
    *,
    replace: bool,
) -> None:
    """Make these the line's points (``replace``), or append them: then a line with x values
    takes only points with x values, and one without only points without."""
    if replace:
        tx.experiments.data.replace_points(asset.pk, xs, ys)
        return
    if (xs is not None) != asset.has_x:
        raise bad(
            "x",
            "this line has x values: send {'x': [...], 'y': [...]}"
            if asset.has_x
            else "this line has no x values: send a list of numbers",
        )
    tx.experiments.data.append_points(asset.pk, xs, ys)


def append_points(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    y: list[Any],
    x: list[Any] | None = None,
    type_if_new: bool = True,
) -> int:
    """Append points to line ``name`` (created when missing); returns the line's size."""
    return append_line(
        db,
        caller,
        organization_id,
        experiment_id=experiment_id,
        name=name,
        points={"x": x, "y": y} if x is not None else y,
        field="y" if x is None else "data",
        type_if_new=type_if_new,
    )


def append_line(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    points: Any,
    field: str = "data",
    type_if_new: bool = True,
) -> int:
    """:func:`append_points` of points written as a line's data is (a list of numbers, or
    ``{x, y}``), as clients that log a line send them; messages name them ``field``."""
    require_organization(caller, organization_id, write=True)
    name = check_asset_name(name)
    xs, ys = check_line(points, field)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        data = tx.experiments.data
        asset = data.head(experiment.pk, name, lock=True)
        now = utcnow()
        if asset is None:
            if not type_if_new:
                raise ResourceNotFoundError(
                    f"experiment {experiment.name!r} has no data named {name!r}"
                )
            asset = data.add(
                experiment.pk, name=name, type="line", data=None, has_x=xs is not None, at=now
            )
        elif asset.type != "line":
            raise bad(
                "type",
                f"data {name!r} is a {asset.type!r} asset: points can only be appended to a "
                "'line' (log it with replace=True and type='line' to change its type)",
            )
        write_points(tx, asset, xs, ys, replace=False)
        data.touch(asset.pk, at=now)
        return data.points_count(asset.pk)


def read_points(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    max_points: int | None = None,
) -> Series:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        asset = tx.experiments.data.stored(_assets.require(tx, _assets.DATA, experiment, name))
        if asset.type != "line":
            raise bad("name", f"data {name!r} is a {asset.type!r} asset, not a line")
        return tx.experiments.data.series(asset.pk, max_points=max_points)


#: Most buckets a line is read in: a chart wider than this many pixels gets no more detail.
MAX_BUCKETS = 10_000


def read_line_range(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    buckets: int,
    first: int = 0,
    last: int | None = None,
) -> Series:
    """A line's points from index ``first`` to ``last`` (the end when ``None``), at most
    four per bucket: each bucket's first, last, lowest and highest, so that no spike is
    lost whatever the size; a range that fits is read whole (``buckets`` is a chart's width
    in pixels: zooming in asks again for the visible range)."""
    require_organization(caller, organization_id, write=False)
    if not 1 <= buckets <= MAX_BUCKETS:
        raise bad("buckets", f"expected 1 to {MAX_BUCKETS} buckets")
    if first < 0 or (last is not None and last < first):
        raise bad("first", "expected 0 <= first <= last")
    with db.read() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        asset = tx.experiments.data.stored(_assets.require(tx, _assets.DATA, experiment, name))
        if asset.type != "line":
            raise bad("name", f"data {name!r} is a {asset.type!r} asset, not a line")
        end = last if last is not None else 2**62
        return tx.experiments.data.buckets(asset.pk, first=first, last=end, buckets=buckets)
