"""Datasets, their versions and the pictures in each version; a version's export reading.

Versions are found by the organization first (a version id or a dataset name of another
organization is not found).  The export reads plain columns from the connection and decodes
stored JSON in bulk: at tens of thousands of pictures the ORM's result machinery would cost
as much as the reads themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, Text, delete, func, insert, literal, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.orm import aliased

from pixlake import _json as fast_json
from pixlake.entities.datasets import ExportItem, StoredVersion
from pixlake.store.db.bulk import chunked, insert_ignore
from pixlake.store.db.models import (
    AnnotationRow,
    BlobRow,
    DatasetRow,
    DatasetVersionRow,
    LabelRow,
    PictureRow,
    ShapeRow,
    VersionPictureRow,
)
from pixlake.store.db.repositories._base import Repository

__all__ = ["DatasetRepository", "json_texts"]

#: A version's columns with its dataset's, as ``_stored`` reads them.
_VERSION_COLUMNS = (
    DatasetVersionRow.pk,
    DatasetVersionRow.id,
    DatasetRow.id,
    DatasetRow.organization_id,
    DatasetRow.name,
    DatasetVersionRow.version,
    DatasetVersionRow.description,
    DatasetVersionRow.private,
    DatasetVersionRow.created_at,
    DatasetVersionRow.created_from_pk,
    DatasetVersionRow.info,
)
_VERSIONS = (
    select(*_VERSION_COLUMNS)
    .select_from(DatasetRow)
    .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
)


def _stored(row: Any) -> StoredVersion:
    return StoredVersion(*row)


def json_texts(texts: Sequence[str | None]) -> list[Any]:
    """Stored JSON texts decoded in one call rather than one per text (``None`` for NULL)."""
    decoded: list[Any] = fast_json.loads("[" + ",".join(text or "null" for text in texts) + "]")
    return decoded


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


class DatasetRepository(Repository):
    __slots__ = ()

    # -------------------------------------------------------------------- versions

    def dataset_named(self, organization_id: uuid.UUID, name: str) -> uuid.UUID | None:
        """The id of the organization's dataset called ``name``."""
        return self.session.scalar(
            select(DatasetRow.id).where(
                DatasetRow.organization_id == organization_id, DatasetRow.name == name
            )
        )

    def version_named(self, dataset_id: uuid.UUID, version: str | None) -> StoredVersion | None:
        """A version of the dataset by its name; ``None`` means the newest."""
        query = _VERSIONS.where(DatasetRow.id == dataset_id)
        if version is None:
            query = query.order_by(DatasetVersionRow.pk.desc()).limit(1)
        else:
            query = query.where(DatasetVersionRow.version == version)
        row = self.session.execute(query).first()
        return None if row is None else _stored(row)

    def version(self, organization_id: uuid.UUID, version_id: uuid.UUID) -> StoredVersion | None:
        """The organization's version with this id."""
        row = self.session.execute(
            _VERSIONS.where(
                DatasetRow.organization_id == organization_id, DatasetVersionRow.id == version_id
            )
        ).one_or_none()
        return None if row is None else _stored(row)

    def versions(self, organization_id: uuid.UUID) -> list[StoredVersion]:
        """Every version of the organization, by dataset name then creation."""
        rows = self.session.execute(
            _VERSIONS.where(DatasetRow.organization_id == organization_id).order_by(
                DatasetRow.name, DatasetVersionRow.pk
            )
        )
        return [_stored(row) for row in rows]

    def versions_holding(self, picture_pk: int) -> list[StoredVersion]:
        """The versions a picture belongs to, by dataset name then creation."""
        held = select(VersionPictureRow.version_pk).where(
            VersionPictureRow.picture_pk == picture_pk
        )
        rows = self.session.execute(
            _VERSIONS.where(DatasetVersionRow.pk.in_(held)).order_by(
                DatasetRow.name, DatasetVersionRow.pk
            )
        )
        return [_stored(row) for row in rows]

    def version_name(self, version_pk: int) -> str | None:
        return self.session.scalar(
            select(DatasetVersionRow.version).where(DatasetVersionRow.pk == version_pk)
        )

    def size(self, version_pk: int) -> int:
        """How many pictures the version holds."""
        return (
            self.session.scalar(
                select(func.count())
                .select_from(VersionPictureRow)
                .where(VersionPictureRow.version_pk == version_pk)
            )
            or 0
        )

    def version_count(self, dataset_id: uuid.UUID) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(DatasetVersionRow)
                .where(DatasetVersionRow.dataset_id == dataset_id)
            )
            or 0
        )

    def add_dataset(self, organization_id: uuid.UUID, name: str) -> uuid.UUID:
        row = DatasetRow(id=uuid.uuid4(), organization_id=organization_id, name=name)
        with self._guard(
            exists=f"a dataset named {name!r} already exists; use new_version to add a version",
            missing=f"no organization {organization_id}",
        ):
            self.session.add(row)
        return row.id

    def add_version(
        self,
        *,
        organization_id: uuid.UUID,
        dataset_id: uuid.UUID,
        name: str,
        version: str,
        description: str,
        private: bool,
        created_by: uuid.UUID,
        created_from_pk: int | None = None,
    ) -> StoredVersion:
        """A new version of the dataset ``dataset_id`` (called ``name``)."""
        row = DatasetVersionRow(
            id=uuid.uuid4(),
            dataset_id=dataset_id,
            version=version,
            description=description,
            private=private,
            created_from_pk=created_from_pk,
            created_by=created_by,
        )
        with self._guard(
            exists=f"dataset {name!r} already has a version {version!r}",
            missing=f"no dataset named {name!r} in this organization",
        ):
            self.session.add(row)
        return StoredVersion(
            row.pk,
            row.id,
            dataset_id,
            organization_id,
            name,
            row.version,
            row.description,
            row.private,
            row.created_at,
            row.created_from_pk,
            row.info,
        )

    def set_info(self, version_pk: int, info: Mapping[str, Any]) -> None:
        """Replace the version's format-level ``info``."""
        self.session.execute(
            update(DatasetVersionRow)
            .where(DatasetVersionRow.pk == version_pk)
            .values(info=dict(info))
        )

    def delete_version(self, version_pk: int) -> None:
        """Delete a version with its membership, labels and annotations (by cascade)."""
        self.session.execute(delete(DatasetVersionRow).where(DatasetVersionRow.pk == version_pk))

    def delete_dataset(self, dataset_id: uuid.UUID) -> None:
        self.session.execute(delete(DatasetRow).where(DatasetRow.id == dataset_id))

    def copy_contents(self, source: int, target: int, *, now: datetime) -> None:
        """Copy pictures, labels, annotations and shapes of version ``source`` to ``target``
        with INSERT ... SELECT (no row in Python); copied annotations are updated ``now``."""
        vp = VersionPictureRow
        self.session.execute(
            insert(vp).from_select(
                ["version_pk", "picture_pk"],
                select(literal(target), vp.picture_pk).where(vp.version_pk == source),
            )
        )
        self.session.execute(
            insert(LabelRow).from_select(
                ["version_pk", "name", "type", "position", "extra"],
                select(
                    literal(target), LabelRow.name, LabelRow.type, LabelRow.position, LabelRow.extra
                ).where(LabelRow.version_pk == source),
            )
        )
        self._copy_annotations(source, target, now)
        self._copy_shapes(source, target)

    def _copy_annotations(self, source: int, target: int, now: datetime) -> None:
        copied = (
            "picture_pk",
            "status",
            "split",
            "image_qa",
            "nb_instances",
            "duration",
            "extra",
            "created_by",
            "created_at",
        )
        old = select(AnnotationRow).where(AnnotationRow.version_pk == source).subquery()
        self.session.execute(
            insert(AnnotationRow).from_select(
                ["version_pk", *copied, "updated_at"],
                select(literal(target), *(old.c[name] for name in copied), literal(now)),
            )
        )

    def _copy_shapes(self, source: int, target: int) -> None:
        old_ann = AnnotationRow.__table__.alias("old_ann")
        new_ann = AnnotationRow.__table__.alias("new_ann")
        old_label = LabelRow.__table__.alias("old_label")
        new_label = LabelRow.__table__.alias("new_label")
        self.session.execute(
            insert(ShapeRow).from_select(
                ["annotation_pk", "label_pk", "kind", "position", "data"],
                select(
                    new_ann.c.pk, new_label.c.pk, ShapeRow.kind, ShapeRow.position, ShapeRow.data
                )
                .join(old_ann, old_ann.c.pk == ShapeRow.annotation_pk)
                .join(
                    new_ann,
                    (new_ann.c.picture_pk == old_ann.c.picture_pk)
                    & (new_ann.c.version_pk == target),
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

    # ---------------------------------------------------------- a version's pictures

    def known_pictures(
        self, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Those of ``ids`` that are pictures of the organization."""
        return {
            found
            for part in chunked(ids)
            for found in self.session.scalars(
                select(PictureRow.id).where(
                    PictureRow.organization_id == organization_id, PictureRow.id.in_(part)
                )
            )
        }

    def link(self, version_pk: int, picture_pks: Sequence[int]) -> None:
        """Add pictures to a version (those already in it are left as they are)."""
        with self._guard(missing="a picture was deleted from the datalake meanwhile"):
            insert_ignore(
                self.session,
                VersionPictureRow.__table__,  # type: ignore[arg-type]
                [{"version_pk": version_pk, "picture_pk": pk} for pk in picture_pks],
            )

    def _filtered(self, version_pk: int, status: str | None, label: str | None) -> Select[Any]:
        """The keys of the version's pictures whose annotation has ``status`` and an object
        of ``label`` (each when given)."""
        query = select(VersionPictureRow.picture_pk).where(
            VersionPictureRow.version_pk == version_pk
        )
        if status is not None:
            query = query.where(
                VersionPictureRow.picture_pk.in_(
                    select(AnnotationRow.picture_pk).where(
                        AnnotationRow.version_pk == version_pk, AnnotationRow.status == status
                    )
                )
            )
        if label is not None:
            query = query.where(
                VersionPictureRow.picture_pk.in_(
                    select(AnnotationRow.picture_pk)
                    .join(ShapeRow, ShapeRow.annotation_pk == AnnotationRow.pk)
                    .join(LabelRow, LabelRow.pk == ShapeRow.label_pk)
                    .where(
                        AnnotationRow.version_pk == version_pk,
                        LabelRow.version_pk == version_pk,
                        LabelRow.name == label,
                    )
                )
            )
        return query

    def filtered_count(self, version_pk: int, *, status: str | None, label: str | None) -> int:
        query = self._filtered(version_pk, status, label)
        return self.session.scalar(select(func.count()).select_from(query.subquery())) or 0

    def filtered_window(
        self,
        version_pk: int,
        *,
        status: str | None,
        label: str | None,
        after: int | None = None,
        before: int | None = None,
        limit: int,
    ) -> list[int]:
        """Up to ``limit`` keys of the pictures the filters keep, next to a key (a keyset
        page): the lowest above ``after`` in ascending order, the highest below ``before``
        in descending order, or the lowest of all."""
        query = self._filtered(version_pk, status, label)
        key = VersionPictureRow.picture_pk
        if before is not None:
            query = query.where(key < before).order_by(key.desc())
        else:
            if after is not None:
                query = query.where(key > after)
            query = query.order_by(key)
        return list(self.session.scalars(query.limit(limit)))

    def holds_picture(self, version_pk: int, picture_pk: int) -> bool:
        return (
            self.session.scalar(
                select(VersionPictureRow.picture_pk).where(
                    VersionPictureRow.version_pk == version_pk,
                    VersionPictureRow.picture_pk == picture_pk,
                )
            )
            is not None
        )

    def neighbours(
        self, version_pk: int, picture_pk: int, *, status: str | None, label: str | None
    ) -> tuple[int | None, int | None, int]:
        """The keys of the pictures before and after ``picture_pk`` among those the filters
        keep, and how many pictures the filters keep before it."""
        query = self._filtered(version_pk, status, label)
        key = VersionPictureRow.picture_pk
        before = self.session.scalar(query.where(key < picture_pk).order_by(key.desc()).limit(1))
        after = self.session.scalar(query.where(key > picture_pk).order_by(key).limit(1))
        rank = self.session.scalar(
            select(func.count()).select_from(query.where(key < picture_pk).subquery())
        )
        return before, after, rank or 0

    def picture_page(self, version_pk: int, *, after: int, limit: int) -> tuple[list[int], int]:
        """Up to ``limit`` keys of the version's pictures after ``after``, in key order, and
        how many pictures the version holds."""
        pks = list(
            self.session.scalars(
                select(VersionPictureRow.picture_pk)
                .where(
                    VersionPictureRow.version_pk == version_pk,
                    VersionPictureRow.picture_pk > after,
                )
                .order_by(VersionPictureRow.picture_pk)
                .limit(limit)
            )
        )
        return pks, self.size(version_pk)

    def pictures_named(
        self, organization_id: uuid.UUID, version_pk: int, names: Sequence[str]
    ) -> dict[str, tuple[int, int, int]]:
        """Key, width and height of the version's pictures among ``names``, by name."""
        pictures: dict[str, tuple[int, int, int]] = {}
        for part in chunked(names):
            for pk, url, width, height in self.session.execute(
                select(PictureRow.pk, PictureRow.external_url, PictureRow.width, PictureRow.height)
                .join(VersionPictureRow, VersionPictureRow.picture_pk == PictureRow.pk)
                .where(
                    VersionPictureRow.version_pk == version_pk,
                    PictureRow.organization_id == organization_id,
                    PictureRow.external_url.in_(part),
                )
            ):
                pictures[url] = (pk, width, height)
        return pictures

    # ---------------------------------------------------------------------- exports

    def files(
        self, version_pk: int, *, status: str | None = None
    ) -> list[tuple[str, str, str | None]]:
        """The file name, digest and split of every picture of a version (with ``status``,
        of those whose annotation has that review status), in picture order."""
        annotation = aliased(AnnotationRow)
        query = (
            select(PictureRow.external_url, PictureRow.digest, annotation.split)
            .join(VersionPictureRow, VersionPictureRow.picture_pk == PictureRow.pk)
            .outerjoin(
                annotation,
                (annotation.version_pk == version_pk)
                & (annotation.picture_pk == VersionPictureRow.picture_pk),
            )
            .where(VersionPictureRow.version_pk == version_pk)
        )
        query = _with_status(query, version_pk, status).order_by(VersionPictureRow.picture_pk)
        return [
            (url, digest, split) for url, digest, split in self.session.connection().execute(query)
        ]

    def export_page(
        self, version_pk: int, *, after: int, limit: int, status: str | None = None
    ) -> tuple[list[ExportItem], int | None]:
        """Up to ``limit`` of the version's pictures after key ``after`` with their
        annotations, in picture order, and the last one's key (``None`` when there are
        none): plain columns, JSON decoded in bulk.  With ``status``, only the pictures whose
        annotation has that review status."""
        # Plain rows from the connection: the ORM's result machinery has nothing to add to
        # column reads, and costs about as much as the reads themselves.
        connection = self.session.connection()
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
            .limit(limit)
        ).all()
        if not pictures:
            return [], None
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
            select(ShapeRow.annotation_pk, ShapeRow.kind, LabelRow.name, cast_(ShapeRow.data, Text))
            .join(LabelRow, LabelRow.pk == ShapeRow.label_pk)
            .where(ShapeRow.annotation_pk.in_([row[0] for row in annotations]))
            .order_by(ShapeRow.annotation_pk, ShapeRow.position)
        ).all()
        return _export_items(pictures, annotations, shapes), pks[-1]


def _export_items(
    pictures: Sequence[Any], annotations: Sequence[Any], shapes: Sequence[Any]
) -> list[ExportItem]:
    """The export items of a page's rows (see ``DatasetRepository.export_page``)."""
    objects: dict[int, list[tuple[str, str, dict[str, Any]]]] = {row[0]: [] for row in annotations}
    for (annotation_pk, kind, label, _text), data in zip(
        shapes, json_texts([row[3] for row in shapes]), strict=True
    ):
        objects[annotation_pk].append((kind, label, data))
    qas = json_texts([row[3] for row in annotations])
    extras = json_texts([row[6] for row in annotations])
    by_picture = {
        row[1]: (row, qa, extra) for row, qa, extra in zip(annotations, qas, extras, strict=True)
    }
    items = []
    for pk, url, digest, size, width, height in pictures:
        found = by_picture.get(pk)
        if found is None:
            items.append(ExportItem(url, digest, size, width, height, None, [], None, None, {}, []))
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
    return items
