"""Datasets: named versions of pictures, with typed labels and annotations.

A dataset is a name in an organization; it holds versions (``first`` is created with the
dataset, ``latest`` always means the newest).  A version is a set of datalake pictures plus its
labels and annotations; ``new_version`` copies rows from another version, never bytes.

Annotations are validated as a whole before anything is written: every object's label must
exist in the version with a matching type, its geometry must lie inside its picture, and its
picture must belong to the version.  One call writes all or nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVarTuple, cast

from sqlalchemy import Select, Table, Text, delete, func, insert, literal, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.orm import Session, aliased

from pixlake import _json as fast_json
from pixlake._text import count_is, counted
from pixlake.core.accounts import require_organization
from pixlake.core.datalake import _pks_for_ids, _records
from pixlake.core.entities import Caller, Picture
from pixlake.errors import AlreadyExistsError, InvalidInputError, ResourceNotFoundError
from pixlake.formats import (
    QA,
    LabelSpec,
    Obj,
    from_compact,
    parse_compact,
    parse_qa,
    parse_wire_object,
    qa_to_wire,
    to_compact,
    to_wire,
)
from pixlake.names import label_problem, split_of, split_problem
from pixlake.problems import Problems
from pixlake.store.db.bulk import chunked, insert_ignore
from pixlake.store.db.engine import Database
from pixlake.store.db.models import (
    AnnotationRow,
    BlobRow,
    DatasetRow,
    DatasetVersionRow,
    LabelRow,
    PictureRow,
    ShapeRow,
    VersionPictureRow,
    utcnow,
)

__all__ = [
    "ANNOTATION_STATUSES",
    "LABEL_TYPES",
    "AnnotationInput",
    "AnnotationRecord",
    "DatasetVersion",
    "Label",
    "add_pictures",
    "create_dataset",
    "create_labels",
    "delete_annotations",
    "delete_version",
    "get_version",
    "get_metadata",
    "get_version_by_id",
    "list_items",
    "list_annotations",
    "list_version_pictures",
    "list_versions",
    "new_version",
    "set_annotations",
    "set_status",
]

LABEL_TYPES = ("rectangle", "polygon", "classification")
ANNOTATION_STATUSES = ("pending", "accepted", "rejected", "review")
#: Which object kinds each label type accepts.  A label's type says how its objects are
#: mainly drawn; geometric labels accept every geometry, because real datasets mix them (a COCO
#: category holds polygons, box-only objects and crowd masks).  See docs/decisions/0005.
_GEOMETRIC = frozenset({"rectangle", "polygon", "mask"})
_ACCEPTS: Mapping[str, frozenset[str]] = {
    "rectangle": _GEOMETRIC,
    "polygon": _GEOMETRIC,
    "classification": frozenset({"classification"}),
}
_NAME_RE = re.compile(r"^[^/\x00\\]{1,100}$")
LATEST = "latest"


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    type: str
    position: int
    extra: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    id: uuid.UUID
    dataset_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    version: str
    description: str
    private: bool
    created_at: datetime
    created_from: str | None
    size: int
    labels: tuple[Label, ...]
    nb_annotations: int
    nb_objects: int
    repartition: Mapping[str, int]
    #: Pictures per split, for the pictures that have one.
    splits: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class AnnotationInput:
    """One picture's annotation, as a caller gives it (objects already parsed)."""

    external_url: str
    objects: tuple[Obj, ...]
    image_qa: tuple[QA, ...] = ()
    status: str | None = None
    nb_instances: int | None = None
    duration: float | None = None
    extra: Mapping[str, Any] | None = None
    split: str | None = None


@dataclass(frozen=True, slots=True)
class AnnotationRecord:
    picture_id: uuid.UUID
    external_url: str
    width: int
    height: int
    digest: str
    status: str
    objects: list[dict[str, Any]]
    image_qa: list[dict[str, str]]
    nb_instances: int | None
    duration: float | None
    extra: Mapping[str, Any]
    updated_at: datetime
    split: str | None = None


# --------------------------------------------------------------------------- helpers


def _check_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value) or value.strip() != value:
        raise InvalidInputError(
            f"{what} {value!r} is not valid",
            details=[
                {
                    "field": what,
                    "message": "expected 1 to 100 characters, no '/', '\\' or NUL, "
                    "no leading or trailing spaces",
                }
            ],
        )
    if value in (".", ".."):
        raise InvalidInputError(
            f"{what} {value!r} is not valid",
            details=[
                {
                    "field": what,
                    "message": "expected a name other than '.' or '..': a download makes a "
                    "folder of it",
                }
            ],
        )
    if what == "version" and value == LATEST:
        raise InvalidInputError(
            "'latest' is reserved: it always means the newest version",
            details=[{"field": "version", "message": "choose another version name"}],
        )
    return value


def _version_row(
    session: Session, organization_id: uuid.UUID, name: str, version: str | None
) -> tuple[DatasetRow, DatasetVersionRow]:
    dataset = session.scalars(
        select(DatasetRow).where(
            DatasetRow.organization_id == organization_id, DatasetRow.name == name
        )
    ).one_or_none()
    if dataset is None:
        raise ResourceNotFoundError(f"no dataset named {name!r} in this organization")
    query = select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == dataset.id)
    if version in (None, LATEST):
        row = session.scalars(query.order_by(DatasetVersionRow.pk.desc()).limit(1)).first()
    else:
        row = session.scalars(query.where(DatasetVersionRow.version == version)).one_or_none()
    if row is None:
        raise ResourceNotFoundError(f"dataset {name!r} has no version {version!r}")
    return dataset, row


def _version_by_id(
    session: Session, organization_id: uuid.UUID, version_id: uuid.UUID
) -> tuple[DatasetRow, DatasetVersionRow]:
    found = session.execute(
        select(DatasetRow, DatasetVersionRow)
        .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
        .where(DatasetRow.organization_id == organization_id, DatasetVersionRow.id == version_id)
    ).one_or_none()
    if found is None:
        raise ResourceNotFoundError(f"no dataset version {version_id} in this organization")
    return found[0], found[1]


def _labels(session: Session, version_pk: int) -> list[Label]:
    rows = session.scalars(
        select(LabelRow).where(LabelRow.version_pk == version_pk).order_by(LabelRow.position)
    )
    return [Label(r.name, r.type, r.position, r.extra) for r in rows]


def _entity(session: Session, dataset: DatasetRow, row: DatasetVersionRow) -> DatasetVersion:
    size = session.scalar(
        select(func.count())
        .select_from(VersionPictureRow)
        .where(VersionPictureRow.version_pk == row.pk)
    )
    nb_annotations = session.scalar(
        select(func.count()).select_from(AnnotationRow).where(AnnotationRow.version_pk == row.pk)
    )
    repartition: dict[str, int] = dict(
        session.execute(
            select(LabelRow.name, func.count(ShapeRow.pk))
            .join(ShapeRow, ShapeRow.label_pk == LabelRow.pk)
            .where(LabelRow.version_pk == row.pk)
            .group_by(LabelRow.name)
        ).all()
    )
    splits = {
        split: count
        for split, count in session.execute(
            select(AnnotationRow.split, func.count())
            .where(AnnotationRow.version_pk == row.pk, AnnotationRow.split.is_not(None))
            .group_by(AnnotationRow.split)
            .order_by(AnnotationRow.split)
        )
        if split is not None
    }
    created_from = None
    if row.created_from_pk is not None:
        created_from = session.scalar(
            select(DatasetVersionRow.version).where(DatasetVersionRow.pk == row.created_from_pk)
        )
    return DatasetVersion(
        id=row.id,
        dataset_id=dataset.id,
        organization_id=dataset.organization_id,
        name=dataset.name,
        version=row.version,
        description=row.description,
        private=row.private,
        created_at=row.created_at,
        created_from=created_from,
        size=size or 0,
        labels=tuple(_labels(session, row.pk)),
        nb_annotations=nb_annotations or 0,
        nb_objects=sum(repartition.values()),
        repartition=repartition,
        splits=splits,
    )


def _link_pictures(
    session: Session, organization_id: uuid.UUID, version_pk: int, picture_ids: Sequence[uuid.UUID]
) -> int:
    """Add datalake pictures to a version; every id must be a picture of the organization."""
    pks = _pks_for_ids(session, organization_id, picture_ids)
    if len(set(pks)) != len(set(picture_ids)):
        found = {
            r
            for part in chunked(pks)
            for r in session.scalars(select(PictureRow.id).where(PictureRow.pk.in_(part)))
        }
        unknown = [str(i) for i in dict.fromkeys(picture_ids) if i not in found]
        raise ResourceNotFoundError(
            f"{count_is(len(unknown), 'picture')} not in this organization's datalake",
            details=[
                {"field": "pictures", "message": f"unknown picture {u}"} for u in unknown[:50]
            ],
        )
    before = session.scalar(
        select(func.count())
        .select_from(VersionPictureRow)
        .where(VersionPictureRow.version_pk == version_pk)
    )
    insert_ignore(
        session,
        VersionPictureRow.__table__,  # type: ignore[arg-type]
        [{"version_pk": version_pk, "picture_pk": pk} for pk in pks],
    )
    after = session.scalar(
        select(func.count())
        .select_from(VersionPictureRow)
        .where(VersionPictureRow.version_pk == version_pk)
    )
    return (after or 0) - (before or 0)


# --------------------------------------------------------------------------- versions


def list_versions(db: Database, caller: Caller, organization_id: uuid.UUID) -> list[DatasetVersion]:
    """Every version of every dataset of the organization, by dataset name then creation."""
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        rows = session.execute(
            select(DatasetRow, DatasetVersionRow)
            .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
            .where(DatasetRow.organization_id == organization_id)
            .order_by(DatasetRow.name, DatasetVersionRow.pk)
        ).all()
        return [_entity(session, d, v) for d, v in rows]


def get_version(
    db: Database, caller: Caller, organization_id: uuid.UUID, name: str, version: str | None = None
) -> DatasetVersion:
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        return _entity(session, *_version_row(session, organization_id, name, version))


def get_version_by_id(
    db: Database, caller: Caller, organization_id: uuid.UUID, version_id: uuid.UUID
) -> DatasetVersion:
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        return _entity(session, *_version_by_id(session, organization_id, version_id))


def create_dataset(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    name: str,
    *,
    picture_ids: Sequence[uuid.UUID],
    description: str = "",
    private: bool = True,
    version: str = "first",
) -> DatasetVersion:
    """A new dataset whose first version holds ``picture_ids``."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as session:
        dataset, row = _new_dataset(
            session,
            caller,
            organization_id,
            name,
            version,
            description=description,
            private=private,
        )
        _link_pictures(session, organization_id, row.pk, picture_ids)
        return _entity(session, dataset, row)


def _new_dataset(
    session: Session,
    caller: Caller,
    organization_id: uuid.UUID,
    name: str,
    version: str,
    *,
    description: str,
    private: bool,
) -> tuple[DatasetRow, DatasetVersionRow]:
    _check_name(name, "name")
    _check_name(version, "version")
    exists = session.scalar(
        select(DatasetRow.id).where(
            DatasetRow.organization_id == organization_id, DatasetRow.name == name
        )
    )
    if exists is not None:
        raise AlreadyExistsError(
            f"a dataset named {name!r} already exists; use new_version to add a version"
        )
    dataset = DatasetRow(id=uuid.uuid4(), organization_id=organization_id, name=name)
    session.add(dataset)
    session.flush()
    row = DatasetVersionRow(
        id=uuid.uuid4(),
        dataset_id=dataset.id,
        version=version,
        description=description,
        private=private,
        created_by=caller.user_id,
    )
    session.add(row)
    session.flush()
    return dataset, row


@dataclass(frozen=True, slots=True)
class ImportTarget:
    """The version an import writes to (see ``start_import``)."""

    session: Session
    dataset: DatasetRow
    row: DatasetVersionRow

    def add_info(self, info: Mapping[str, Any] | None) -> None:
        """Merge format-level ``info`` into the version's."""
        if info:
            self.row.info = {**(self.row.info or {}), **info}

    def entity(self) -> DatasetVersion:
        return _entity(self.session, self.dataset, self.row)


def start_import(
    session: Session,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID | None,
    name: str,
    version: str,
    description: str,
    private: bool,
    pictures: Sequence[uuid.UUID],
    labels: Sequence[tuple[str, str]],
    label_extras: Mapping[str, Mapping[str, Any]],
    info: Mapping[str, Any] | None = None,
) -> ImportTarget:
    """An import's first writes, inside the caller's transaction: the new dataset (or the
    version ``version_id``), its info, pictures and labels.  The annotations follow with
    ``write_annotations`` or an ``AnnotationWriter`` on ``target.row.pk``."""
    require_organization(caller, organization_id, write=True)
    if version_id is not None:
        dataset, row = _version_by_id(session, organization_id, version_id)
    else:
        dataset, row = _new_dataset(
            session,
            caller,
            organization_id,
            name,
            version,
            description=description,
            private=private,
        )
    target = ImportTarget(session, dataset, row)
    target.add_info(info)
    if pictures:
        _link_pictures(session, organization_id, row.pk, pictures)
    _ensure_labels(session, row.pk, labels, label_extras)
    return target


def new_version(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    name: str,
    version: str,
    *,
    picture_ids: Sequence[uuid.UUID] = (),
    from_version: str = LATEST,
    description: str | None = None,
) -> DatasetVersion:
    """A new version copying ``from_version``'s pictures, labels and annotations (rows only),
    plus ``picture_ids``."""
    require_organization(caller, organization_id, write=True)
    _check_name(version, "version")
    with db.transaction() as session:
        dataset, base = _version_row(session, organization_id, name, from_version)
        taken = session.scalar(
            select(DatasetVersionRow.pk).where(
                DatasetVersionRow.dataset_id == dataset.id, DatasetVersionRow.version == version
            )
        )
        if taken is not None:
            raise AlreadyExistsError(f"dataset {name!r} already has a version {version!r}")
        row = DatasetVersionRow(
            id=uuid.uuid4(),
            dataset_id=dataset.id,
            version=version,
            description=base.description if description is None else description,
            private=base.private,
            created_from_pk=base.pk,
            created_by=caller.user_id,
        )
        session.add(row)
        session.flush()
        _copy_version(session, base.pk, row.pk)
        if picture_ids:
            _link_pictures(session, organization_id, row.pk, picture_ids)
        return _entity(session, dataset, row)


def _copy_version(session: Session, source: int, target: int) -> None:
    """Copy pictures, labels, annotations and shapes with INSERT ... SELECT (no row in Python)."""
    vp = VersionPictureRow
    session.execute(
        insert(vp).from_select(
            ["version_pk", "picture_pk"],
            select(literal(target), vp.picture_pk).where(vp.version_pk == source),
        )
    )
    session.execute(
        insert(LabelRow).from_select(
            ["version_pk", "name", "type", "position", "extra"],
            select(
                literal(target), LabelRow.name, LabelRow.type, LabelRow.position, LabelRow.extra
            ).where(LabelRow.version_pk == source),
        )
    )
    now = utcnow()
    old = select(AnnotationRow).where(AnnotationRow.version_pk == source).subquery()
    session.execute(
        insert(AnnotationRow).from_select(
            [
                "version_pk",
                "picture_pk",
                "status",
                "split",
                "image_qa",
                "nb_instances",
                "duration",
                "extra",
                "created_by",
                "created_at",
                "updated_at",
            ],
            select(
                literal(target),
                old.c.picture_pk,
                old.c.status,
                old.c.split,
                old.c.image_qa,
                old.c.nb_instances,
                old.c.duration,
                old.c.extra,
                old.c.created_by,
                old.c.created_at,
                literal(now),
            ),
        )
    )
    old_ann = AnnotationRow.__table__.alias("old_ann")
    new_ann = AnnotationRow.__table__.alias("new_ann")
    old_label = LabelRow.__table__.alias("old_label")
    new_label = LabelRow.__table__.alias("new_label")
    session.execute(
        insert(ShapeRow).from_select(
            ["annotation_pk", "label_pk", "kind", "position", "data"],
            select(new_ann.c.pk, new_label.c.pk, ShapeRow.kind, ShapeRow.position, ShapeRow.data)
            .join(old_ann, old_ann.c.pk == ShapeRow.annotation_pk)
            .join(
                new_ann,
                (new_ann.c.picture_pk == old_ann.c.picture_pk) & (new_ann.c.version_pk == target),
            )
            .join(old_label, old_label.c.pk == ShapeRow.label_pk)
            .join(
                new_label,
                (new_label.c.name == old_label.c.name) & (new_label.c.version_pk == target),
            )
            .where(old_ann.c.version_pk == source)
            .order_by(ShapeRow.pk),
        )
    )


def add_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    picture_ids: Sequence[uuid.UUID],
) -> int:
    """Add datalake pictures to a version (idempotent); returns how many were new to it."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        return _link_pictures(session, organization_id, row.pk, picture_ids)


def delete_version(
    db: Database, caller: Caller, organization_id: uuid.UUID, name: str, version: str | None = None
) -> DatasetVersion:
    """Delete a version (its membership, labels and annotations, not the pictures).  The
    dataset goes with its last version."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as session:
        dataset, row = _version_row(session, organization_id, name, version)
        entity = _entity(session, dataset, row)
        session.execute(delete(DatasetVersionRow).where(DatasetVersionRow.pk == row.pk))
        remaining = session.scalar(
            select(func.count())
            .select_from(DatasetVersionRow)
            .where(DatasetVersionRow.dataset_id == dataset.id)
        )
        if not remaining:
            session.execute(delete(DatasetRow).where(DatasetRow.id == dataset.id))
    return entity


def list_version_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    limit: int,
    after: int = 0,
) -> tuple[list[Picture], int, int | None]:
    """A page of the version's pictures in datalake order: (pictures, total, next key)."""
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        _version_pk, pks, total, next_key = _version_page(
            session, organization_id, version_id, limit, after
        )
        return _records(session, organization_id, pks), total, next_key


def _version_page(
    session: Session, organization_id: uuid.UUID, version_id: uuid.UUID, limit: int, after: int
) -> tuple[int, list[int], int, int | None]:
    """The keys of a page of the version's pictures, after key ``after``: (the version's
    key, the page's picture keys, the version's number of pictures, the next page's key)."""
    _dataset, row = _version_by_id(session, organization_id, version_id)
    pks = list(
        session.scalars(
            select(VersionPictureRow.picture_pk)
            .where(VersionPictureRow.version_pk == row.pk, VersionPictureRow.picture_pk > after)
            .order_by(VersionPictureRow.picture_pk)
            .limit(limit + 1)
        )
    )
    total = session.scalar(
        select(func.count())
        .select_from(VersionPictureRow)
        .where(VersionPictureRow.version_pk == row.pk)
    )
    more = len(pks) > limit
    pks = pks[:limit]
    return row.pk, pks, total or 0, (pks[-1] if more and pks else None)


# --------------------------------------------------------------------------- labels


def _ensure_labels(
    session: Session,
    version_pk: int,
    labels: Sequence[LabelSpec | tuple[str, str]],
    extras: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, LabelRow]:
    existing = {
        r.name: r
        for r in session.scalars(select(LabelRow).where(LabelRow.version_pk == version_pk))
    }
    problems = Problems()
    position = max((r.position for r in existing.values()), default=0)
    for i, spec in enumerate(labels):
        name, kind = (spec.name, spec.kind) if isinstance(spec, LabelSpec) else spec
        problem = label_problem(name)
        if problem is not None:
            problems.add(problem, field=f"labels[{i}].name")
            continue
        if kind not in LABEL_TYPES:
            problems.add(
                f"expected a type among {', '.join(LABEL_TYPES)}, got {kind!r}",
                field=f"labels[{i}].type",
            )
            continue
        row = existing.get(name)
        if row is not None:
            if row.type != kind:
                problems.add(
                    f"label {name!r} already exists with type {row.type!r}, not {kind!r}",
                    field=f"labels[{i}]",
                )
            continue
        position += 1
        row = LabelRow(
            version_pk=version_pk,
            name=name,
            type=kind,
            position=position,
            extra=dict(extras[name]) if extras and name in extras else None,
        )
        session.add(row)
        existing[name] = row
    if problems:
        raise InvalidInputError(
            f"{count_is(len(problems), 'label')} not valid", details=problems.details()
        )
    session.flush()
    return existing


def create_labels(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    labels: Sequence[tuple[str, str]],
) -> list[Label]:
    """Add labels to a version; an existing label of the same type is not an error."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        _ensure_labels(session, row.pk, labels)
        return _labels(session, row.pk)


# --------------------------------------------------------------------------- annotations


def parse_objects(
    data: Any,
    *,
    field: str,
    problems: Problems,
    width: int = 0,
    height: int = 0,
    compact: bool = False,
) -> tuple[Obj, ...]:
    """Wire objects (or, with ``compact``, objects in the compact form) to ``Obj``, recording
    every problem (geometry checked against the size)."""
    if not isinstance(data, list):
        problems.add("expected a list of objects", field=field)
        return ()
    parse = parse_compact if compact else parse_wire_object
    out = []
    for i, item in enumerate(data):
        obj = parse(item, field=f"{field}[{i}]", problems=problems, width=width, height=height)
        if obj is not None:
            out.append(obj)
    return tuple(out)


def parse_image_qa(data: Any, *, field: str, problems: Problems) -> tuple[QA, ...]:
    if data is None:
        return ()
    return parse_qa(data, field=field, problems=problems)


def _check_status(status: str | None, field: str, problems: Problems) -> None:
    if status is not None and status not in ANNOTATION_STATUSES:
        problems.add(
            f"expected a status among {', '.join(ANNOTATION_STATUSES)}, got {status!r}", field=field
        )


def _check_split(split: str | None, field: str, problems: Problems) -> None:
    if split is not None:
        problem = split_problem(split)
        if problem is not None:
            problems.add(problem, field=field)


def _require_status(status: str | None) -> None:
    """Refuse a ``status`` parameter that is not a review status."""
    problems = Problems()
    _check_status(status, "status", problems)
    problems.raise_if_any("status")


class PreparedObject(NamedTuple):
    """An object reduced to what checking and writing it need."""

    label: str
    kind: str
    #: ``Obj.extent()`` as ``(x, y, w, h)``, or ``None`` (classification).
    extent: tuple[float, float, float, float] | None
    #: The object in the compact form less ``type`` and ``label``, as JSON text.
    data: str


class PreparedAnnotation(NamedTuple):
    """An ``AnnotationInput`` reduced to plain values (cheap to keep, spool or pickle)."""

    external_url: str
    status: str | None
    image_qa: list[dict[str, str]] | None
    nb_instances: int | None
    duration: float | None
    extra: dict[str, Any] | None
    split: str | None
    #: Last: the spool of an import keeps it apart (``pixlake.core.imports``).
    objects: tuple[PreparedObject, ...]


def prepare_annotation(item: AnnotationInput) -> PreparedAnnotation:
    """What ``AnnotationWriter`` needs of an annotation: its objects' labels, kinds,
    extents and stored data (serialized once, here)."""
    objects = []
    for obj in item.objects:
        data = to_compact(obj, typed=False)
        box = obj.extent()
        objects.append(
            PreparedObject(
                obj.label,
                obj.kind,
                None if box is None else (box.x, box.y, box.w, box.h),
                dump_shape(data),
            )
        )
    return PreparedAnnotation(
        item.external_url,
        item.status,
        [qa_to_wire(qa) for qa in item.image_qa] or None,
        item.nb_instances,
        item.duration,
        dict(item.extra) if item.extra else None,
        item.split,
        tuple(objects),
    )


#: How shape data is serialized (compact; its numbers are finite, checked when parsed).
dump_shape = fast_json.dumps


class AnnotationWriter:
    """Validates then writes annotations inside the caller's transaction, a batch at a time.

    ``check(items)`` validates a batch against the version (labels, pictures, geometry,
    status, a picture annotated twice across every batch), recording problems with their
    position in the whole input; ``write(items, pictures)`` writes a batch that passed.  One
    writer over several batches gives the same rows as one call over their concatenation:
    the imports stream their document through it, a batch at a time, so memory does not
    grow with the size of the import.
    """

    def __init__(
        self,
        session: Session,
        caller: Caller,
        organization_id: uuid.UUID,
        version_pk: int,
        *,
        replace: bool = True,
        field_prefix: str = "annotations",
    ) -> None:
        self.session = session
        self.caller = caller
        self.organization_id = organization_id
        self.version_pk = version_pk
        self.replace = replace
        self.field_prefix = field_prefix
        self.problems = Problems()
        self.labels = {
            r.name: r
            for r in session.scalars(select(LabelRow).where(LabelRow.version_pk == version_pk))
        }
        self._label_pks = {name: row.pk for name, row in self.labels.items()}
        self._seen: set[str] = set()
        self._checked = 0
        self.now = utcnow()
        self.nb_objects = 0

    def check(self, items: Sequence[PreparedAnnotation]) -> dict[str, tuple[int, int, int]]:
        """Validate a batch (recording problems); the batch's pictures by external URL."""
        problems = self.problems
        labels = self.labels
        version_pk = self.version_pk
        names = list(dict.fromkeys(i.external_url for i in items))
        pictures: dict[str, tuple[int, int, int]] = {}
        for name_part in chunked(names):
            for pk, url, width, height in self.session.execute(
                select(PictureRow.pk, PictureRow.external_url, PictureRow.width, PictureRow.height)
                .join(VersionPictureRow, VersionPictureRow.picture_pk == PictureRow.pk)
                .where(
                    VersionPictureRow.version_pk == version_pk,
                    PictureRow.organization_id == self.organization_id,
                    PictureRow.external_url.in_(name_part),
                )
            ):
                pictures[url] = (pk, width, height)
        seen = self._seen
        start = self._checked
        self._checked += len(items)
        if problems.full:
            return pictures
        for i, item in enumerate(items, start):
            where = f"{self.field_prefix}[{i}]"
            if item.external_url in seen:
                problems.add(f"picture {item.external_url!r} is annotated twice", field=where)
            seen.add(item.external_url)
            picture = pictures.get(item.external_url)
            if picture is None:
                problems.add(
                    f"picture {item.external_url!r} is not in this dataset version",
                    field=f"{where}.external_url",
                )
                continue
            _check_status(item.status, f"{where}.status", problems)
            _check_split(item.split, f"{where}.split", problems)
            _pk, width, height = picture
            for j, obj in enumerate(item.objects):
                label = labels.get(obj.label)
                if label is None:
                    problems.add(
                        f"unknown label {obj.label!r}: create it first (create_labels)",
                        field=f"{where}.objects[{j}].label",
                    )
                elif obj.kind not in _ACCEPTS[label.type]:
                    problems.add(
                        f"label {obj.label!r} is a {label.type} label: a {obj.kind} object "
                        "cannot use it",
                        field=f"{where}.objects[{j}].type",
                    )
                box = obj.extent
                if (
                    box is not None
                    and width
                    and height
                    and (
                        box[0] < -1
                        or box[1] < -1
                        or box[0] + box[2] > width + 1
                        or box[1] + box[3] > height + 1
                    )
                ):
                    problems.add(
                        f"the object lies outside its {width}x{height} picture",
                        field=f"{where}.objects[{j}]",
                    )
            if problems.full:
                break
        return pictures

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInputError(
                f"{counted(len(self.problems), 'problem')} in the annotations; nothing was written",
                details=self.problems.details(),
            )

    def _annotation_pks(self, picture_pks: Sequence[int]) -> dict[int, int]:
        """The key of the annotation of each of these pictures that has one in the version,
        by picture key."""
        found: dict[int, int] = {}
        for pk_part in chunked(picture_pks):
            found.update(
                self.session.execute(
                    select(AnnotationRow.picture_pk, AnnotationRow.pk).where(
                        AnnotationRow.version_pk == self.version_pk,
                        AnnotationRow.picture_pk.in_(pk_part),
                    )
                ).all()
            )
        return found

    def write(
        self, items: Sequence[PreparedAnnotation], pictures: Mapping[str, tuple[int, int, int]]
    ) -> int:
        """Write a batch that ``check`` passed; returns the number of objects written."""
        session = self.session
        version_pk = self.version_pk
        replace = self.replace
        now = self.now
        picture_pks = [pictures[i.external_url][0] for i in items]
        existing = self._annotation_pks(picture_pks)
        new_rows: list[dict[str, Any]] = []
        for item, picture_pk in zip(items, picture_pks, strict=True):
            if picture_pk not in existing:
                new_rows.append(
                    {
                        "version_pk": version_pk,
                        "picture_pk": picture_pk,
                        "status": item.status or "pending",
                        "split": split_of(item.split),
                        "image_qa": item.image_qa,
                        "nb_instances": item.nb_instances,
                        "duration": item.duration,
                        "extra": item.extra,
                        "created_by": self.caller.user_id,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        for row_part in chunked(new_rows):
            session.execute(_ANNOTATIONS.insert(), list(row_part))
        for item, picture_pk in zip(items, picture_pks, strict=True):
            if picture_pk in existing:
                values: dict[str, Any] = {"updated_at": now}
                if item.status is not None:
                    values["status"] = item.status
                if item.split is not None:
                    values["split"] = split_of(item.split)
                if item.image_qa is not None or replace:
                    values["image_qa"] = item.image_qa
                for key in ("nb_instances", "duration"):
                    if getattr(item, key) is not None:
                        values[key] = getattr(item, key)
                if item.extra:
                    values["extra"] = item.extra
                session.execute(
                    update(AnnotationRow)
                    .where(AnnotationRow.pk == existing[picture_pk])
                    .values(**values)
                )
        annotation_pks = self._annotation_pks(picture_pks)
        offsets: dict[int, int] = {}
        if replace:
            replaced = [existing[p] for p in picture_pks if p in existing]
            for pk_part in chunked(replaced):
                session.execute(delete(ShapeRow).where(ShapeRow.annotation_pk.in_(pk_part)))
        else:
            appended = [annotation_pks[p] for p in picture_pks if p in existing]
            for pk_part in chunked(appended):
                offsets.update(
                    session.execute(
                        select(ShapeRow.annotation_pk, func.max(ShapeRow.position))
                        .where(ShapeRow.annotation_pk.in_(pk_part))
                        .group_by(ShapeRow.annotation_pk)
                    ).all()
                )
        label_pks = self._label_pks
        shapes: list[tuple[int, int, str, int, str]] = []
        for item, picture_pk in zip(items, picture_pks, strict=True):
            annotation_pk = annotation_pks[picture_pk]
            start = offsets.get(annotation_pk, -1) + 1
            for j, obj in enumerate(item.objects):
                shapes.append((annotation_pk, label_pks[obj.label], obj.kind, start + j, obj.data))
        _insert_shapes(session, shapes)
        self.nb_objects += len(shapes)
        return len(shapes)


_SHAPE_COLUMNS = ("annotation_pk", "label_pk", "kind", "position", "data")
_ANNOTATIONS = cast(Table, AnnotationRow.__table__)
_SHAPES = cast(Table, ShapeRow.__table__)


def _insert_shapes(session: Session, shapes: Sequence[tuple[int, int, str, int, str]]) -> None:
    """Insert shape rows ``(annotation_pk, label_pk, kind, position, data as JSON text)``.

    On SQLite the rows go to the driver as tuples, ``data`` already serialized as the
    ``JSON`` column stores it: SQLAlchemy's per-row parameter processing costs more than the
    insert itself at hundreds of thousands of shapes.  Other databases get a Core ``INSERT``
    of the decoded data, so that their own JSON binding applies."""
    if not shapes:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        statement = (
            f"INSERT INTO {ShapeRow.__tablename__} ({', '.join(_SHAPE_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        for part in chunked(shapes, _SHAPE_PART):
            connection.exec_driver_sql(statement, list(part))
        return
    for part in chunked(shapes):
        connection.execute(
            _SHAPES.insert(),
            [
                {
                    "annotation_pk": a,
                    "label_pk": b,
                    "kind": c,
                    "position": d,
                    "data": fast_json.loads(e),
                }
                for a, b, c, d, e in part
            ],
        )


#: Shape rows per driver call on SQLite (no bound-parameter limit applies to executemany).
_SHAPE_PART = 5000


def write_annotations(
    session: Session,
    caller: Caller,
    organization_id: uuid.UUID,
    version_pk: int,
    items: Sequence[AnnotationInput],
    *,
    replace: bool = True,
    field_prefix: str = "annotations",
) -> int:
    """Validate then write annotations inside the caller's transaction; returns the number of
    objects written.  Raises one ``InvalidInputError`` listing every problem, writing nothing."""
    writer = AnnotationWriter(
        session, caller, organization_id, version_pk, replace=replace, field_prefix=field_prefix
    )
    prepared = [prepare_annotation(item) for item in items]
    pictures = writer.check(prepared)
    writer.raise_if_any()
    return writer.write(prepared, pictures)


def set_annotations(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    items: Sequence[AnnotationInput],
    *,
    replace: bool = True,
) -> int:
    """Set (``replace``) or extend the annotations of pictures of a version, all or nothing."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        return write_annotations(session, caller, organization_id, row.pk, items, replace=replace)


def set_status(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    external_urls: Sequence[str],
    status: str,
) -> int:
    """Set the review status of pictures' annotations; returns how many changed."""
    require_organization(caller, organization_id, write=True)
    _require_status(status)
    with db.transaction() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        changed = 0
        for part in chunked(list(external_urls)):
            pks = select(PictureRow.pk).where(
                PictureRow.organization_id == organization_id, PictureRow.external_url.in_(part)
            )
            result = session.execute(
                update(AnnotationRow)
                .where(AnnotationRow.version_pk == row.pk, AnnotationRow.picture_pk.in_(pks))
                .values(status=status, updated_at=utcnow())
            )
            changed += result.rowcount  # type: ignore[attr-defined]
        return changed


#: The columns of an annotation that ``_annotation_records`` reads (``list_items`` selects
#: just these instead of loading ORM objects).
_ANNOTATION_COLUMNS = (
    AnnotationRow.pk,
    AnnotationRow.picture_pk,
    AnnotationRow.status,
    AnnotationRow.image_qa,
    AnnotationRow.nb_instances,
    AnnotationRow.duration,
    AnnotationRow.extra,
    AnnotationRow.updated_at,
    AnnotationRow.split,
)


def _json_texts(texts: Sequence[str | None]) -> list[Any]:
    """Stored JSON texts decoded in one call rather than one per text (``None`` for NULL)."""
    decoded: list[Any] = fast_json.loads("[" + ",".join(text or "null" for text in texts) + "]")
    return decoded


def _annotation_records(
    session: Session,
    organization_id: uuid.UUID,
    rows: Sequence[Any],
    pictures: Mapping[int, tuple[uuid.UUID, str, int, int, str]] | None = None,
) -> list[AnnotationRecord]:
    """Records of annotation ``rows`` (``AnnotationRow`` objects, or rows of
    ``_ANNOTATION_COLUMNS``); ``pictures`` (id, URL, width, height, digest by picture key)
    when the caller already has them."""
    if not rows:
        return []
    by_pk = {r.pk: r for r in rows}
    objects: dict[int, list[dict[str, Any]]] = {pk: [] for pk in by_pk}
    shapes = session.execute(
        select(ShapeRow.annotation_pk, ShapeRow.kind, LabelRow.name, cast_(ShapeRow.data, Text))
        .join(LabelRow, LabelRow.pk == ShapeRow.label_pk)
        .where(ShapeRow.annotation_pk.in_(list(by_pk)))
        .order_by(ShapeRow.annotation_pk, ShapeRow.position)
    ).all()
    decoded = _json_texts([text for _a, _k, _l, text in shapes])
    for (annotation_pk, kind, label, _text), data in zip(shapes, decoded, strict=True):
        objects[annotation_pk].append(to_wire(from_compact(kind, label, data)))
    if pictures is None:
        pictures = {
            pk: (id_, url, w, h, digest)
            for pk, id_, url, w, h, digest in session.execute(
                select(
                    PictureRow.pk,
                    PictureRow.id,
                    PictureRow.external_url,
                    PictureRow.width,
                    PictureRow.height,
                    PictureRow.digest,
                ).where(
                    PictureRow.organization_id == organization_id,
                    PictureRow.pk.in_([r.picture_pk for r in rows]),
                )
            )
        }
    out = []
    for r in rows:
        id_, url, w, h, digest = pictures[r.picture_pk]
        out.append(
            AnnotationRecord(
                picture_id=id_,
                external_url=url,
                width=w,
                height=h,
                digest=digest,
                status=r.status,
                objects=objects[r.pk],
                image_qa=list(r.image_qa or []),
                nb_instances=r.nb_instances,
                duration=r.duration,
                extra=r.extra or {},
                updated_at=r.updated_at,
                split=r.split,
            )
        )
    return out


def list_annotations(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    limit: int,
    after: int = 0,
    offset: int = 0,
    status: str | None = None,
    external_url: str | None = None,
) -> tuple[list[AnnotationRecord], int, int | None]:
    """A page of annotations (optionally one picture's, or of one status), in picture order."""
    require_organization(caller, organization_id, write=False)
    _require_status(status)
    with db.read() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        query = select(AnnotationRow).where(AnnotationRow.version_pk == row.pk)
        count = (
            select(func.count())
            .select_from(AnnotationRow)
            .where(AnnotationRow.version_pk == row.pk)
        )
        if status is not None:
            query = query.where(AnnotationRow.status == status)
            count = count.where(AnnotationRow.status == status)
        if external_url is not None:
            picture = select(PictureRow.pk).where(
                PictureRow.organization_id == organization_id,
                PictureRow.external_url == external_url,
            )
            query = query.where(AnnotationRow.picture_pk.in_(picture))
            count = count.where(AnnotationRow.picture_pk.in_(picture))
        rows = list(
            session.scalars(
                query.where(AnnotationRow.picture_pk > after)
                .order_by(AnnotationRow.picture_pk)
                .offset(offset)
                .limit(limit + 1)
            )
        )
        more = len(rows) > limit
        rows = rows[:limit]
        records = _annotation_records(session, organization_id, rows)
        total = session.scalar(count) or 0
        return records, total, (rows[-1].picture_pk if more and rows else None)


def list_items(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    limit: int,
    after: int = 0,
) -> tuple[list[tuple[Picture, AnnotationRecord | None]], int, int | None]:
    """A page of the version's pictures, each with its annotation or ``None``."""
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        version_pk, pks, total, next_key = _version_page(
            session, organization_id, version_id, limit, after
        )
        pictures = _records(session, organization_id, pks)
        known = None
        if len(pictures) == len(pks):  # _records keeps the order of pks
            known = {
                pk: (p.id, p.external_url, p.width, p.height, p.digest)
                for pk, p in zip(pks, pictures, strict=True)
            }
        rows = session.execute(
            select(*_ANNOTATION_COLUMNS).where(
                AnnotationRow.version_pk == version_pk, AnnotationRow.picture_pk.in_(pks)
            )
        ).all()
        records = {
            r.picture_id: r for r in _annotation_records(session, organization_id, rows, known)
        }
    items = [(p, records.get(p.id)) for p in pictures]
    return items, total, next_key


def delete_annotations(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    picture_id: uuid.UUID | None = None,
) -> int:
    """Delete one picture's annotation, or (``picture_id=None``) all of the version's."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        query = delete(AnnotationRow).where(AnnotationRow.version_pk == row.pk)
        if picture_id is not None:
            pks = _pks_for_ids(session, organization_id, [picture_id])
            query = query.where(AnnotationRow.picture_pk.in_(pks))
        result = session.execute(query)
        return int(result.rowcount)  # type: ignore[attr-defined]


def get_metadata(
    db: Database, caller: Caller, organization_id: uuid.UUID, version_id: uuid.UUID
) -> tuple[list[Label], dict[str, Any]]:
    """A version's labels with their format-level extras, and its format-level ``info``."""
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        return _labels(session, row.pk), dict(row.info or {})


@dataclass(frozen=True, slots=True)
class ExportItem:
    """A picture of a version and its annotation, as an export reads them."""

    external_url: str
    digest: str
    size: int
    width: int
    height: int
    #: ``None`` when the picture has no annotation in the version.
    status: str | None
    image_qa: list[dict[str, str]]
    nb_instances: int | None
    duration: float | None
    extra: dict[str, Any]
    #: ``(kind, label, data)``: data in the compact form less ``type`` and ``label``.
    objects: list[tuple[str, str, dict[str, Any]]]
    split: str | None = None


def iter_export(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    page: int = 500,
    first_page: int | None = None,
    status: str | None = None,
) -> Iterator[list[ExportItem]]:
    """The version's pictures with their annotations, ``page`` at a time (``first_page``
    the first time, when given), in picture order; each page is one short read (plain
    columns, JSON decoded in bulk).  With ``status``, only the pictures whose annotation
    has that review status."""
    require_organization(caller, organization_id, write=False)
    after = 0
    size = first_page or page
    while True:
        with db.read() as session:
            # Each page finds the version again: one deleted meanwhile is an error, not an end.
            version_pk = _version_by_id(session, organization_id, version_id)[1].pk
            # Plain rows from the connection: the ORM's result machinery has nothing to add to
            # column reads, and costs about as much as the reads themselves.
            connection = session.connection()
            query = (
                select(
                    PictureRow.pk,
                    PictureRow.external_url,
                    PictureRow.digest,
                    BlobRow.size,
                    PictureRow.width,
                    PictureRow.height,
                )
                .join(VersionPictureRow, VersionPictureRow.picture_pk == PictureRow.pk)
                .join(BlobRow, BlobRow.digest == PictureRow.digest)
                .where(
                    VersionPictureRow.version_pk == version_pk,
                    VersionPictureRow.picture_pk > after,
                )
            )
            pictures = connection.execute(
                _with_status(query, version_pk, status)
                .order_by(VersionPictureRow.picture_pk)
                .limit(size)
            ).all()
            if not pictures:
                return
            pks = [row[0] for row in pictures]
            annotations = connection.execute(
                select(
                    AnnotationRow.pk,
                    AnnotationRow.picture_pk,
                    AnnotationRow.status,
                    cast_(AnnotationRow.image_qa, Text),
                    AnnotationRow.nb_instances,
                    AnnotationRow.duration,
                    cast_(AnnotationRow.extra, Text),
                    AnnotationRow.split,
                ).where(AnnotationRow.version_pk == version_pk, AnnotationRow.picture_pk.in_(pks))
            ).all()
            shapes = connection.execute(
                select(
                    ShapeRow.annotation_pk, ShapeRow.kind, LabelRow.name, cast_(ShapeRow.data, Text)
                )
                .join(LabelRow, LabelRow.pk == ShapeRow.label_pk)
                .where(ShapeRow.annotation_pk.in_([row[0] for row in annotations]))
                .order_by(ShapeRow.annotation_pk, ShapeRow.position)
            ).all()
        objects: dict[int, list[tuple[str, str, dict[str, Any]]]] = {
            row[0]: [] for row in annotations
        }
        for (annotation_pk, kind, label, _text), data in zip(
            shapes, _json_texts([row[3] for row in shapes]), strict=True
        ):
            objects[annotation_pk].append((kind, label, data))
        qas = _json_texts([row[3] for row in annotations])
        extras = _json_texts([row[6] for row in annotations])
        by_picture = {
            row[1]: (row, qa, extra)
            for row, qa, extra in zip(annotations, qas, extras, strict=True)
        }
        items = []
        for pk, url, digest, size, width, height in pictures:
            found = by_picture.get(pk)
            if found is None:
                items.append(
                    ExportItem(url, digest, size, width, height, None, [], None, None, {}, [])
                )
                continue
            row, qa, extra = found
            items.append(
                ExportItem(
                    url,
                    digest,
                    size,
                    width,
                    height,
                    row[2],
                    qa or [],
                    row[4],
                    row[5],
                    extra or {},
                    objects[row[0]],
                    row[7],
                )
            )
        yield items
        after, size = pks[-1], page


_Columns = TypeVarTuple("_Columns")


def _with_status(
    query: Select[*_Columns], version_pk: int, status: str | None
) -> Select[*_Columns]:
    """``query`` over a version's pictures, kept to those whose annotation has ``status``
    (all of them when ``status`` is ``None``; a picture never annotated has no status)."""
    if status is None:
        return query
    return query.join(
        AnnotationRow,
        (AnnotationRow.version_pk == version_pk) & (AnnotationRow.picture_pk == PictureRow.pk),
    ).where(AnnotationRow.status == status)


def version_files(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    status: str | None = None,
) -> list[tuple[str, str, str | None]]:
    """The file name, digest and split of every picture of a version (with ``status``, of
    those whose annotation has that review status), in picture order."""
    require_organization(caller, organization_id, write=False)
    _require_status(status)
    with db.read() as session:
        _dataset, row = _version_by_id(session, organization_id, version_id)
        annotation = aliased(AnnotationRow)
        query = (
            select(PictureRow.external_url, PictureRow.digest, annotation.split)
            .join(VersionPictureRow, VersionPictureRow.picture_pk == PictureRow.pk)
            .outerjoin(
                annotation,
                (annotation.version_pk == row.pk)
                & (annotation.picture_pk == VersionPictureRow.picture_pk),
            )
            .where(VersionPictureRow.version_pk == row.pk)
        )
        query = _with_status(query, row.pk, status).order_by(VersionPictureRow.picture_pk)
        return [(url, digest, split) for url, digest, split in session.connection().execute(query)]


def get_version_pk(db: Database, organization_id: uuid.UUID, version_id: uuid.UUID) -> int:
    """The internal key of a version of the organization (for jobs that stream a version)."""
    with db.read() as session:
        return _version_by_id(session, organization_id, version_id)[1].pk
