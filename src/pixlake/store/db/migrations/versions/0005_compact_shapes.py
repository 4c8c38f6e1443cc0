"""compact shapes: objects are kept in pixlake's compact form, not the contract's wire shape

A box ``{"top", "left", "width", "height"}`` becomes ``"box": [x, y, w, h]``; a polygon
``{"geometry": [{"x", "y"}, ...], "parts": [...]}`` becomes ``"rings": [[x1, y1, ...], ...]``;
empty ``qa`` and false ``iscrowd`` are left out.  Rows are rewritten in batches, in key order.
The conversion is written out here, not imported, so that this revision keeps meaning what it
meant when it was written.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 10_000

_shapes = sa.table("shapes", sa.column("pk", sa.Integer), sa.column("data", sa.JSON))


def _flat(points: list[dict[str, Any]]) -> list[Any]:
    return [c for point in points for c in (point["x"], point["y"])]


def _points(flat: list[Any]) -> list[dict[str, Any]]:
    return [{"x": x, "y": y} for x, y in zip(flat[0::2], flat[1::2], strict=True)]


def to_compact(wire: dict[str, Any]) -> dict[str, Any]:
    """A stored object (less type and label) from the wire shape to the compact form."""
    out: dict[str, Any] = {}
    if rectangle := wire.get("rectangle"):
        out["box"] = [rectangle["left"], rectangle["top"], rectangle["width"], rectangle["height"]]
    if polygon := wire.get("polygon"):
        out["rings"] = [_flat(polygon["geometry"])] + [_flat(p) for p in polygon.get("parts", [])]
    if mask := wire.get("mask"):
        out["mask"] = {"size": mask["size"], "counts": mask["counts"]}
    if wire.get("qa"):
        out["qa"] = wire["qa"]
    if wire.get("iscrowd"):
        out["iscrowd"] = True
    for key in ("area", "score"):
        if wire.get(key) is not None:
            out[key] = wire[key]
    if wire.get("extra"):
        out["extra"] = wire["extra"]
    return out


def to_wire(compact: dict[str, Any]) -> dict[str, Any]:
    """The reverse of ``to_compact``, for a downgrade."""
    out: dict[str, Any] = {}
    if rings := compact.get("rings"):
        polygon: dict[str, Any] = {"geometry": _points(rings[0])}
        if len(rings) > 1:
            polygon["parts"] = [_points(ring) for ring in rings[1:]]
        out["polygon"] = polygon
    if mask := compact.get("mask"):
        out["mask"] = {"size": mask["size"], "counts": mask["counts"]}
    if box := compact.get("box"):
        out["rectangle"] = {"top": box[1], "left": box[0], "width": box[2], "height": box[3]}
    out["qa"] = compact.get("qa", [])
    if compact.get("iscrowd"):
        out["iscrowd"] = True
    for key in ("area", "score", "extra"):
        if compact.get(key) is not None:
            out[key] = compact[key]
    return out


def _rewrite(convert: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(_shapes.c.pk, _shapes.c.data)
            .where(_shapes.c.pk > after)
            .order_by(_shapes.c.pk)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            _shapes.update().where(_shapes.c.pk == sa.bindparam("key")),
            [{"key": pk, "data": convert(data)} for pk, data in rows],
        )
        after = rows[-1][0]


def upgrade() -> None:
    _rewrite(to_compact)


def downgrade() -> None:
    _rewrite(to_wire)
