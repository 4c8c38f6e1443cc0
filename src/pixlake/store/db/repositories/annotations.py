"""Labels, and the annotations of a version's pictures with their shapes.

Every method takes the version's internal key: the service has found the version in the
caller's organization first.  Shapes are the bulk of an import (hundreds of thousands of rows):
they are written with a fast path per dialect (``add_shapes``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, Text, delete, func, select, update
from sqlalchemy import cast as cast_

from pixlake import _json as fast_json
from pixlake.entities.datasets import Label, StoredAnnotation, StoredLabel
from pixlake.store.db.bulk import chunked
from pixlake.store.db.models import AnnotationRow, LabelRow, PictureRow, ShapeRow
from pixlake.store.db.repositories._base import Repository
from pixlake.store.db.repositories.datasets import json_texts

__all__ = ["AnnotationRepository", "NewAnnotation", "NewShape"]

_ANNOTATIONS = cast(Table, AnnotationRow.__table__)
_SHAPES = cast(Table, ShapeRow.__table__)
_SHAPE_COLUMNS = ("annotation_pk", "label_pk", "kind", "position", "data")
#: Shape rows per driver call on SQLite (no bound-parameter limit applies to executemany).
_SHAPE_PART = 5000

#: ``(picture_pk, status, split, image_qa, nb_instances, duration, extra)``
NewAnnotation = tuple[
    int, str, str | None, list[dict[str, str]] | None, int | None, float | None, Any
]
#: ``(annotation_pk, label_pk, kind, position, data as JSON text)``
NewShape = tuple[int, int, str, int, str]

#: The columns of an annotation that ``_stored`` reads.
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


class AnnotationRepository(Repository):
    __slots__ = ()

    # ------------------------------------------------------------------------ labels

    def labels(self, version_pk: int) -> list[Label]:
        """The version's labels, in creation order."""
        rows = self.session.execute(
            select(LabelRow.name, LabelRow.type, LabelRow.position, LabelRow.extra)
            .where(LabelRow.version_pk == version_pk)
            .order_by(LabelRow.position)
        )
        return [Label(name, type_, position, extra) for name, type_, position, extra in rows]

    def label_keys(self, version_pk: int) -> dict[str, StoredLabel]:
        """The version's labels with their keys, by name."""
        return {
            name: StoredLabel(pk, name, type_, position)
            for pk, name, type_, position in self.session.execute(
                select(LabelRow.pk, LabelRow.name, LabelRow.type, LabelRow.position).where(
                    LabelRow.version_pk == version_pk
                )
            )
        }

    def add_labels(self, version_pk: int, labels: Sequence[Label]) -> None:
        """Insert new labels of a version (their positions as given)."""
        names = ", ".join(repr(label.name) for label in labels[:10])
        with self._guard(exists=f"a label among {names} already exists in this version"):
            self.session.add_all(
                LabelRow(
                    version_pk=version_pk,
                    name=label.name,
                    type=label.type,
                    position=label.position,
                    extra=dict(label.extra) if label.extra is not None else None,
                )
                for label in labels
            )

    def repartition(self, version_pk: int) -> dict[str, int]:
        """Objects per label name, for the labels that have some."""
        return dict(
            self.session.execute(
                select(LabelRow.name, func.count(ShapeRow.pk))
                .join(ShapeRow, ShapeRow.label_pk == LabelRow.pk)
                .where(LabelRow.version_pk == version_pk)
                .group_by(LabelRow.name)
            ).all()
        )

    def label_statistics(self, version_pk: int) -> dict[str, tuple[int, int]]:
        """Per label name with objects: (objects, pictures with one or more)."""
        return {
            name: (objects, pictures)
            for name, objects, pictures in self.session.execute(
                select(
                    LabelRow.name,
                    func.count(ShapeRow.pk),
                    func.count(ShapeRow.annotation_pk.distinct()),
                )
                .join(ShapeRow, ShapeRow.label_pk == LabelRow.pk)
                .where(LabelRow.version_pk == version_pk)
                .group_by(LabelRow.name)
            )
        }

    def status_counts(self, version_pk: int) -> dict[str, int]:
        """Annotations per review status, for the statuses that have some."""
        return dict(
            self.session.execute(
                select(AnnotationRow.status, func.count())
                .where(AnnotationRow.version_pk == version_pk)
                .group_by(AnnotationRow.status)
            ).all()
        )

    def box_sizes(self, version_pk: int, *, limit: int) -> list[tuple[str, int, int, Any]]:
        """Up to ``limit`` objects with a box (rectangles, polygons, masks): their label
        name, their picture's width and height, and their compact data (``box`` in it)."""
        rows = self.session.execute(
            select(LabelRow.name, PictureRow.width, PictureRow.height, cast_(ShapeRow.data, Text))
            .select_from(ShapeRow)
            .join(LabelRow, LabelRow.pk == ShapeRow.label_pk)
            .join(AnnotationRow, AnnotationRow.pk == ShapeRow.annotation_pk)
            .join(PictureRow, PictureRow.pk == AnnotationRow.picture_pk)
            .where(LabelRow.version_pk == version_pk, ShapeRow.kind != "classification")
            .order_by(ShapeRow.pk)
            .limit(limit)
        ).all()
        decoded = json_texts([text for *_rest, text in rows])
        return [(n, w, h, data) for (n, w, h, _t), data in zip(rows, decoded, strict=True)]

    # ------------------------------------------------------------------- annotations

    def count(self, version_pk: int) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(AnnotationRow)
                .where(AnnotationRow.version_pk == version_pk)
            )
            or 0
        )

    def splits(self, version_pk: int) -> dict[str, int]:
        """Annotated pictures per split, in split order, for those that have one."""
        return {
            split: count
            for split, count in self.session.execute(
                select(AnnotationRow.split, func.count())
                .where(AnnotationRow.version_pk == version_pk, AnnotationRow.split.is_not(None))
                .group_by(AnnotationRow.split)
                .order_by(AnnotationRow.split)
            )
            if split is not None
        }

    def keys(self, version_pk: int, picture_pks: Sequence[int]) -> dict[int, int]:
        """The key of the annotation of each of these pictures that has one in the version,
        by picture key."""
        found: dict[int, int] = {}
        for part in chunked(picture_pks):
            found.update(
                self.session.execute(
                    select(AnnotationRow.picture_pk, AnnotationRow.pk).where(
                        AnnotationRow.version_pk == version_pk,
                        AnnotationRow.picture_pk.in_(part),
                    )
                ).all()
            )
        return found

    def add(
        self,
        version_pk: int,
        annotations: Sequence[NewAnnotation],
        *,
        created_by: uuid.UUID,
        now: datetime,
    ) -> None:
        """Insert the annotations of pictures that have none in the version."""
        rows = [
            {
                "version_pk": version_pk,
                "picture_pk": picture_pk,
                "status": status,
                "split": split,
                "image_qa": image_qa,
                "nb_instances": nb_instances,
                "duration": duration,
                "extra": extra,
                "created_by": created_by,
                "created_at": now,
                "updated_at": now,
            }
            for picture_pk, status, split, image_qa, nb_instances, duration, extra in annotations
        ]
        with self._guard(
            exists="a picture of the batch was annotated meanwhile",
            missing="a picture of the batch was deleted meanwhile",
        ):
            for part in chunked(rows):
                self.session.execute(_ANNOTATIONS.insert(), list(part))

    def change(self, annotation_pk: int, values: Mapping[str, Any]) -> None:
        """Set fields of an annotation (``status``, ``split``, ``image_qa``, ...)."""
        self.session.execute(
            update(AnnotationRow).where(AnnotationRow.pk == annotation_pk).values(**values)
        )

    def set_status(
        self,
        organization_id: uuid.UUID,
        version_pk: int,
        external_urls: Sequence[str],
        *,
        status: str,
        now: datetime,
    ) -> int:
        """Set the status of the annotations of the pictures so named; returns how many."""
        changed = 0
        for part in chunked(external_urls):
            pks = select(PictureRow.pk).where(
                PictureRow.organization_id == organization_id, PictureRow.external_url.in_(part)
            )
            result = self.session.execute(
                update(AnnotationRow)
                .where(AnnotationRow.version_pk == version_pk, AnnotationRow.picture_pk.in_(pks))
                .values(status=status, updated_at=now)
            )
            changed += result.rowcount  # type: ignore[attr-defined]
        return changed

    def delete(self, version_pk: int, picture_pks: Sequence[int] | None = None) -> int:
        """Delete the version's annotations (of these pictures only, when given); returns
        how many."""
        query = delete(AnnotationRow).where(AnnotationRow.version_pk == version_pk)
        if picture_pks is not None:
            query = query.where(AnnotationRow.picture_pk.in_(picture_pks))
        result = self.session.execute(query)
        return int(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------------ shapes

    def delete_shapes(self, annotation_pks: Sequence[int]) -> None:
        for part in chunked(annotation_pks):
            self.session.execute(delete(ShapeRow).where(ShapeRow.annotation_pk.in_(part)))

    def last_positions(self, annotation_pks: Sequence[int]) -> dict[int, int]:
        """The position of the last shape of each of these annotations that has shapes."""
        found: dict[int, int] = {}
        for part in chunked(annotation_pks):
            found.update(
                self.session.execute(
                    select(ShapeRow.annotation_pk, func.max(ShapeRow.position))
                    .where(ShapeRow.annotation_pk.in_(part))
                    .group_by(ShapeRow.annotation_pk)
                ).all()
            )
        return found

    def add_shapes(self, shapes: Sequence[NewShape]) -> None:
        """Insert shape rows ``(annotation_pk, label_pk, kind, position, data as JSON text)``.

        On SQLite the rows go to the driver as tuples, ``data`` already serialized as the
        ``JSON`` column stores it: SQLAlchemy's per-row parameter processing costs more than
        the insert itself at hundreds of thousands of shapes.  Other databases take the
        portable path, a Core ``INSERT`` of the decoded data, so that their own JSON binding
        applies (PostgreSQL has no tested variant of its own yet; a ``COPY`` would sit here
        beside the SQLite one).  Both give the same rows (tests/store/db/repositories).
        """
        if not shapes:
            return
        connection = self.session.connection()
        with self._guard(missing="a label or annotation of these shapes is gone"):
            if connection.dialect.name == "sqlite":
                _insert_shapes_sqlite(connection, shapes)
            else:
                _insert_shapes_portable(connection, shapes)

    # ----------------------------------------------------------------------- reading

    def page(
        self,
        organization_id: uuid.UUID,
        version_pk: int,
        *,
        after: int,
        offset: int,
        limit: int,
        status: str | None = None,
        external_url: str | None = None,
    ) -> tuple[list[StoredAnnotation], int]:
        """Up to ``limit`` of the version's annotations after picture key ``after`` (less the
        first ``offset``), in picture order, optionally of one status or one picture's; and
        how many match in all."""
        query = select(*_ANNOTATION_COLUMNS).where(AnnotationRow.version_pk == version_pk)
        count = (
            select(func.count())
            .select_from(AnnotationRow)
            .where(AnnotationRow.version_pk == version_pk)
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
        rows = self.session.execute(
            query.where(AnnotationRow.picture_pk > after)
            .order_by(AnnotationRow.picture_pk)
            .offset(offset)
            .limit(limit)
        ).all()
        annotations = self._stored(rows)
        return annotations, self.session.scalar(count) or 0

    def of_pictures(self, version_pk: int, picture_pks: Sequence[int]) -> list[StoredAnnotation]:
        """The annotations these pictures have in the version."""
        rows = self.session.execute(
            select(*_ANNOTATION_COLUMNS).where(
                AnnotationRow.version_pk == version_pk, AnnotationRow.picture_pk.in_(picture_pks)
            )
        ).all()
        return self._stored(rows)

    def picture_facts(
        self, organization_id: uuid.UUID, picture_pks: Sequence[int]
    ) -> dict[int, tuple[uuid.UUID, str, int, int, str]]:
        """Id, file name, width, height and digest of these pictures, by key."""
        if not picture_pks:
            return {}
        return {
            pk: (id_, url, w, h, digest)
            for pk, id_, url, w, h, digest in self.session.execute(
                select(
                    PictureRow.pk,
                    PictureRow.id,
                    PictureRow.external_url,
                    PictureRow.width,
                    PictureRow.height,
                    PictureRow.digest,
                ).where(
                    PictureRow.organization_id == organization_id,
                    PictureRow.pk.in_(picture_pks),
                )
            )
        }

    def _stored(self, rows: Sequence[Any]) -> list[StoredAnnotation]:
        """Annotations of rows of ``_ANNOTATION_COLUMNS``, with their shapes."""
        if not rows:
            return []
        objects: dict[int, list[tuple[str, str, dict[str, Any]]]] = {r.pk: [] for r in rows}
        shapes = self.session.execute(
            select(ShapeRow.annotation_pk, ShapeRow.kind, LabelRow.name, cast_(ShapeRow.data, Text))
            .join(LabelRow, LabelRow.pk == ShapeRow.label_pk)
            .where(ShapeRow.annotation_pk.in_(list(objects)))
            .order_by(ShapeRow.annotation_pk, ShapeRow.position)
        ).all()
        decoded = json_texts([text for _a, _k, _l, text in shapes])
        for (annotation_pk, kind, label, _text), data in zip(shapes, decoded, strict=True):
            objects[annotation_pk].append((kind, label, data))
        return [
            StoredAnnotation(
                picture_pk=r.picture_pk,
                status=r.status,
                objects=objects[r.pk],
                image_qa=list(r.image_qa or []),
                nb_instances=r.nb_instances,
                duration=r.duration,
                extra=r.extra or {},
                updated_at=r.updated_at,
                split=r.split,
            )
            for r in rows
        ]


def _insert_shapes_sqlite(connection: Connection, shapes: Sequence[NewShape]) -> None:
    statement = (
        f"INSERT INTO {ShapeRow.__tablename__} ({', '.join(_SHAPE_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
    )
    for part in chunked(shapes, _SHAPE_PART):
        connection.exec_driver_sql(statement, list(part))


def _insert_shapes_portable(connection: Connection, shapes: Sequence[NewShape]) -> None:
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
