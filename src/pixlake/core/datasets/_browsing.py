"""A version as its pages show it: pictures filtered by review status and label, one
picture with its neighbours, and the statistics of its labels."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pixlake.core.accounts import require_organization
from pixlake.core.datasets._listings import _records
from pixlake.core.datasets._rules import require_status
from pixlake.core.datasets._versions import version_by_id
from pixlake.core.pagination import decode_cursor, encode_cursor
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import Picture
from pixlake.entities.datasets import AnnotationRecord
from pixlake.errors import ResourceNotFoundError
from pixlake.formats.model import Mask
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "SIZE_CLASSES",
    "STATISTICS_SAMPLE",
    "LabelStatistics",
    "VersionPicture",
    "VersionStatistics",
    "VersionWindow",
    "browse_version",
    "version_picture",
    "version_statistics",
]

#: COCO's size classes of objects, by area in pixels: below 32², below 96², the rest.
SIZE_CLASSES: Final = (("small", 32**2), ("medium", 96**2), ("large", math.inf))
#: Objects measured for the box statistics at most (the first ones, in import order).
STATISTICS_SAMPLE: Final = 200_000
#: Bins of the relative size histogram: sqrt(box area / picture area), 0 to 1.
_BINS: Final = 10


@dataclass(frozen=True, slots=True)
class LabelStatistics:
    name: str
    type: str
    objects: int
    pictures: int
    #: Objects per size class (``SIZE_CLASSES``), of those measured.
    sizes: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VersionStatistics:
    labels: list[LabelStatistics]
    statuses: Mapping[str, int]
    pictures: int
    annotated: int
    #: How many objects with a box were measured (at most ``STATISTICS_SAMPLE``).
    measured: int
    #: Objects per tenth of relative size (box side over picture side, as sqrt of areas).
    relative_sizes: list[int]


@dataclass(frozen=True, slots=True)
class VersionWindow:
    """A keyset page of a version's pictures with the cursors of the pages beside it."""

    items: list[tuple[Picture, AnnotationRecord | None]]
    total: int
    next: str | None
    previous: str | None


@dataclass(frozen=True, slots=True)
class VersionPicture:
    picture: Picture
    annotation: AnnotationRecord | None
    previous_id: uuid.UUID | None
    next_id: uuid.UUID | None
    #: Its place among the pictures the filters keep, from 1, and how many they keep.
    position: int
    total: int


def _items(
    tx: UnitOfWork, organization_id: uuid.UUID, version_pk: int, pks: Sequence[int]
) -> list[tuple[Picture, AnnotationRecord | None]]:
    pictures = tx.pictures.records(organization_id, pks)
    annotations = tx.annotations.of_pictures(version_pk, pks)
    facts = tx.annotations.picture_facts(organization_id, [a.picture_pk for a in annotations])
    records = {r.picture_id: r for r in _records(annotations, facts)}
    return [(p, records.get(p.id)) for p in pictures]


def browse_version(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    status: str | None,
    label: str | None,
    limit: int,
    after: str | None = None,
    before: str | None = None,
) -> VersionWindow:
    """A keyset page of the version's pictures with their annotations, in picture order:
    those whose annotation has ``status`` and an object of ``label`` (each when given); the
    first page, or the one after or before a cursor of another page."""
    require_organization(caller, organization_id, write=False)
    require_status(status)
    with db.read() as tx:
        version_pk = version_by_id(tx, organization_id, version_id).pk
        found = tx.datasets

        def window(**at: int) -> list[int]:
            return found.filtered_window(version_pk, status=status, label=label, **at)

        if before is not None:
            pks = window(before=decode_cursor(before), limit=limit + 1)
            earlier, pks = len(pks) > limit, pks[:limit][::-1]
            later = bool(pks) and bool(window(after=pks[-1], limit=1))
        else:
            start = decode_cursor(after) if after is not None else None
            pks = (
                window(after=start, limit=limit + 1)
                if start is not None
                else window(limit=limit + 1)
            )
            later, pks = len(pks) > limit, pks[:limit]
            earlier = start is not None and bool(pks) and bool(window(before=pks[0], limit=1))
        return VersionWindow(
            items=_items(tx, organization_id, version_pk, pks),
            total=found.filtered_count(version_pk, status=status, label=label),
            next=encode_cursor(pks[-1]) if later else None,
            previous=encode_cursor(pks[0]) if earlier else None,
        )


def version_picture(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    picture_id: uuid.UUID,
    status: str | None = None,
    label: str | None = None,
) -> VersionPicture:
    """One picture of the version with its annotation, and the pictures before and after
    it among those the filters keep (as in :func:`browse_version`)."""
    require_organization(caller, organization_id, write=False)
    require_status(status)
    with db.read() as tx:
        version_pk = version_by_id(tx, organization_id, version_id).pk
        pks = tx.pictures.keys(organization_id, [picture_id])
        if not pks or not tx.datasets.holds_picture(version_pk, pks[0]):
            raise ResourceNotFoundError(f"no picture {picture_id} in this version")
        ((picture, annotation),) = _items(tx, organization_id, version_pk, pks)
        before, after, rank = tx.datasets.neighbours(version_pk, pks[0], status=status, label=label)
        total = tx.datasets.filtered_count(version_pk, status=status, label=label)
        around = [k for k in (before, after) if k is not None]
        ids = dict(
            zip(around, (p.id for p in tx.pictures.records(organization_id, around)), strict=True)
        )
    return VersionPicture(
        picture,
        annotation,
        None if before is None else ids[before],
        None if after is None else ids[after],
        rank + 1,
        total,
    )


def _box(data: Mapping[str, Any]) -> tuple[float, float] | None:
    """The width and height of an object's box (its own, or around its rings or mask)."""
    box = data.get("box")
    if box is not None:
        return float(box[2]), float(box[3])
    rings = data.get("rings")
    if rings:
        xs = [v for ring in rings for v in ring[0::2]]
        ys = [v for ring in rings for v in ring[1::2]]
        return max(xs) - min(xs), max(ys) - min(ys)
    mask = data.get("mask")
    if mask is not None:
        found = Mask.from_coco(mask).bbox()
        return found.w, found.h
    return None


def version_statistics(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, version_id: uuid.UUID
) -> VersionStatistics:
    """Objects and pictures per label, review statuses, and the sizes of the boxes."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        version = version_by_id(tx, organization_id, version_id)
        labels = tx.annotations.labels(version.pk)
        counts = tx.annotations.label_statistics(version.pk)
        statuses = tx.annotations.status_counts(version.pk)
        pictures = tx.datasets.size(version.pk)
        boxes = tx.annotations.box_sizes(version.pk, limit=STATISTICS_SAMPLE)
    sizes: dict[str, dict[str, int]] = {}
    relative = [0] * _BINS
    measured = 0
    for name, width, height, data in boxes:
        found = _box(data)
        if found is None:
            continue
        measured += 1
        area = max(found[0], 0.0) * max(found[1], 0.0)
        size_class = next(c for c, bound in SIZE_CLASSES if area < bound)
        per_label = sizes.setdefault(name, {c: 0 for c, _ in SIZE_CLASSES})
        per_label[size_class] += 1
        if width > 0 and height > 0:
            share = math.sqrt(area / (width * height))
            relative[min(_BINS - 1, int(share * _BINS))] += 1
    return VersionStatistics(
        labels=[
            LabelStatistics(
                label.name,
                label.type,
                *counts.get(label.name, (0, 0)),
                sizes=sizes.get(label.name, {}),
            )
            for label in labels
        ],
        statuses=statuses,
        pictures=pictures,
        annotated=sum(statuses.values()),
        measured=measured,
        relative_sizes=relative,
    )
