"""Blobs: the bytes the store holds, and which organization holds which (its grants).

Two kinds of question: an organization's (which of these digests does it hold, and what are
they), asked by every upload and download; and the store's as a whole (which records and
grants nothing refers to, which grants or pictures break the possession rule), asked by
``pixlake gc`` and ``pixlake fsck``.  A row refers to a blob through any foreign key to
``blobs.digest``: the columns are read from the schema, so a table added later is covered
without change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Column, ColumnElement, and_, delete, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from pixlake.entities.datalake import BlobEntity
from pixlake.store.db.bulk import chunked, insert_ignore
from pixlake.store.db.models import (
    BlobRow,
    DataAssetRow,
    ExperimentRow,
    OrganizationBlobRow,
    OrganizationRow,
    PictureRow,
    ProjectRow,
    ThumbnailRow,
)
from pixlake.store.db.models.base import Base
from pixlake.store.db.repositories._base import Repository

__all__ = ["BlobRepository"]

_grants = OrganizationBlobRow
#: A picture whose bytes have no thumbnail yet.
_LACKS_THUMBNAIL = (
    ~select(ThumbnailRow.source_digest)
    .where(ThumbnailRow.source_digest == PictureRow.digest)
    .exists()
)


@cache
def _referring_columns() -> tuple[Column[Any], ...]:
    """Every column with a foreign key to ``blobs.digest``, but the grants' and those marked
    ``info={"keeps_blob": False}`` (a thumbnail's source: kept for it, not keeping it)."""
    target = BlobRow.__table__.c.digest
    grants = OrganizationBlobRow.__table__
    return tuple(
        fk.parent
        for table in Base.metadata.sorted_tables
        if table is not grants
        for fk in table.foreign_keys
        if fk.column is target and fk.parent.info.get("keeps_blob", True)
    )


def _unreferred(digest: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """A condition: no row refers to ``digest`` through any of the referring columns."""
    return and_(
        *[~select(column).where(column == digest).exists() for column in _referring_columns()]
    )


def _entity(row: Any) -> BlobEntity:
    digest, size, media_type, width, height = row
    return BlobEntity(digest, size, media_type, width, height)


_DESCRIPTION = (BlobRow.digest, BlobRow.size, BlobRow.media_type, BlobRow.width, BlobRow.height)


class BlobRepository(Repository):
    __slots__ = ()

    # ------------------------------------------------------ an organization's blobs

    def held(
        self, organization_id: uuid.UUID, digests: Sequence[str]
    ) -> dict[str, tuple[int, int | None, int | None]]:
        """Size, width and height of the blobs among ``digests`` that the organization holds."""
        blobs: dict[str, tuple[int, int | None, int | None]] = {}
        for part in chunked(digests):
            for digest, size, width, height in self.session.execute(
                select(BlobRow.digest, BlobRow.size, BlobRow.width, BlobRow.height)
                .join(OrganizationBlobRow, OrganizationBlobRow.digest == BlobRow.digest)
                .where(
                    OrganizationBlobRow.organization_id == organization_id,
                    BlobRow.digest.in_(part),
                )
            ):
                blobs[digest] = (size, width, height)
        return blobs

    def granted(self, organization_id: uuid.UUID, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` granted to the organization (whether or not their record and
        bytes are still there)."""
        found: set[str] = set()
        for part in chunked(digests):
            found.update(
                self.session.scalars(
                    select(_grants.digest).where(
                        _grants.organization_id == organization_id, _grants.digest.in_(part)
                    )
                )
            )
        return found

    def holds(self, organization_id: uuid.UUID, digest: str) -> bool:
        """Whether the organization was granted these bytes."""
        return self.session.get(_grants, (organization_id, digest)) is not None

    def described(
        self, organization_id: uuid.UUID, digests: Sequence[str]
    ) -> dict[str, BlobEntity]:
        """The descriptions of the blobs among ``digests`` that the organization holds."""
        found: dict[str, BlobEntity] = {}
        for part in chunked(digests):
            for row in self.session.execute(
                select(*_DESCRIPTION)
                .join(_grants, _grants.digest == BlobRow.digest)
                .where(_grants.organization_id == organization_id, BlobRow.digest.in_(part))
            ):
                found[row[0]] = _entity(row)
        return found

    def description(self, organization_id: uuid.UUID, digest: str) -> BlobEntity | None:
        """The description of one blob the organization holds (``None`` if it does not)."""
        row = self.session.execute(
            select(*_DESCRIPTION)
            .join(_grants, _grants.digest == BlobRow.digest)
            .where(_grants.organization_id == organization_id, BlobRow.digest == digest)
        ).one_or_none()
        return None if row is None else _entity(row)

    def add(self, organization_id: uuid.UUID, blobs: Sequence[BlobEntity]) -> None:
        """Record stored bytes and grant them to the organization (idempotent: what is
        recorded or granted already is left as it is)."""
        with self._guard(missing=f"no organization {organization_id}"):
            self._record(blobs)
            insert_ignore(
                self.session,
                _grants.__table__,  # type: ignore[arg-type]
                [{"organization_id": organization_id, "digest": b.digest} for b in blobs],
            )

    def _record(self, blobs: Sequence[BlobEntity]) -> None:
        """Blob records for stored bytes; those recorded already are left as they are."""
        insert_ignore(
            self.session,
            BlobRow.__table__,  # type: ignore[arg-type]
            [
                {
                    "digest": b.digest,
                    "size": b.size,
                    "media_type": b.media_type,
                    "width": b.width,
                    "height": b.height,
                }
                for b in blobs
            ],
        )

    # ------------------------------------------------------------------ thumbnails

    def thumbnail(self, source_digest: str) -> tuple[str, int, int] | None:
        """The thumbnail made of a blob: its digest, width and height."""
        row = self.session.execute(
            select(ThumbnailRow.digest, ThumbnailRow.width, ThumbnailRow.height).where(
                ThumbnailRow.source_digest == source_digest
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1], row[2])

    def add_thumbnail(self, source_digest: str, thumbnail: BlobEntity) -> None:
        """Record a thumbnail's bytes (granted to nobody: they are read through their
        source's grants) and what they are the thumbnail of; idempotent."""
        self._record([thumbnail])
        insert_ignore(
            self.session,
            ThumbnailRow.__table__,  # type: ignore[arg-type]
            [
                {
                    "source_digest": source_digest,
                    "digest": thumbnail.digest,
                    "width": thumbnail.width,
                    "height": thumbnail.height,
                }
            ],
        )

    def pictures_without_thumbnail(
        self, organization_id: uuid.UUID, *, after: str, limit: int
    ) -> list[str]:
        """Up to ``limit`` digests of the organization's pictures after ``after`` that have no
        thumbnail yet, in digest order."""
        return list(
            self.session.scalars(
                select(PictureRow.digest)
                .where(
                    PictureRow.organization_id == organization_id,
                    PictureRow.digest > after,
                    _LACKS_THUMBNAIL,
                )
                .distinct()
                .order_by(PictureRow.digest)
                .limit(limit)
            )
        )

    def count_without_thumbnail(self, organization_id: uuid.UUID) -> int:
        return (
            self.session.scalar(
                select(func.count(PictureRow.digest.distinct())).where(
                    PictureRow.organization_id == organization_id, _LACKS_THUMBNAIL
                )
            )
            or 0
        )

    # --------------------------------------------------------- the store as a whole

    def recorded(self, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` that have a blob record."""
        found: set[str] = set()
        for part in chunked(digests):
            found.update(
                self.session.scalars(select(BlobRow.digest).where(BlobRow.digest.in_(part)))
            )
        return found

    def records_after(self, after: str, *, limit: int) -> list[tuple[str, int]]:
        """Up to ``limit`` blob records (digest, size) after ``after``, in digest order."""
        rows = self.session.execute(
            select(BlobRow.digest, BlobRow.size)
            .where(BlobRow.digest > after)
            .order_by(BlobRow.digest)
            .limit(limit)
        )
        return [(digest, size) for digest, size in rows]

    def ownerless_grants(self) -> list[tuple[uuid.UUID, str]]:
        """The grants (organization, digest) to no organization, or of bytes without a
        record."""
        rows = self.session.execute(
            select(_grants.organization_id, _grants.digest)
            .outerjoin(OrganizationRow, OrganizationRow.id == _grants.organization_id)
            .outerjoin(BlobRow, BlobRow.digest == _grants.digest)
            .where((OrganizationRow.id.is_(None)) | (BlobRow.digest.is_(None)))
        )
        return [(org, digest) for org, digest in rows]

    def revoke(self, grants: Sequence[tuple[uuid.UUID, str]]) -> None:
        """Remove these grants (organization, digest)."""
        for org, digest in grants:
            self.session.execute(
                delete(_grants).where(_grants.organization_id == org, _grants.digest == digest)
            )

    def ungranted_pictures(self) -> list[tuple[uuid.UUID, str]]:
        """The pictures (id, digest) whose organization holds no grant of their bytes."""
        rows = self.session.execute(
            select(PictureRow.id, PictureRow.digest)
            .outerjoin(
                _grants,
                and_(
                    _grants.organization_id == PictureRow.organization_id,
                    _grants.digest == PictureRow.digest,
                ),
            )
            .where(_grants.digest.is_(None))
        )
        return [(picture, digest) for picture, digest in rows]

    # ------------------------------------------------------------ garbage collection

    def named_by_data(self, kind: str) -> set[str]:
        """The digests that experiments' data of ``kind`` names (its JSON's ``sha256``),
        each only where the experiment's organization holds those bytes."""
        digest = DataAssetRow.data["sha256"].as_string()
        return set(
            self.session.scalars(
                select(digest)
                .join(ExperimentRow, ExperimentRow.pk == DataAssetRow.experiment_pk)
                .join(ProjectRow, ProjectRow.pk == ExperimentRow.project_pk)
                .join(
                    _grants,
                    and_(
                        _grants.organization_id == ProjectRow.organization_id,
                        _grants.digest == digest,
                    ),
                )
                .where(DataAssetRow.type == kind)
            )
        )

    def referred(self, digest: str) -> bool:
        """Whether any row (a grant aside) refers to the blob."""
        return bool(self.session.scalar(select(~_unreferred(literal(digest)))))

    def unreferred_grants(self, *, before: datetime) -> list[str]:
        """The digests of the grants made before ``before`` whose bytes no row refers to
        (a digest once per grant)."""
        return list(
            self.session.scalars(
                select(_grants.digest).where(
                    _grants.created_at < before, _unreferred(_grants.digest)
                )
            )
        )

    def unreferred_records(self, *, before: datetime) -> list[str]:
        """The blob records made before ``before`` that no row refers to and that no grant
        made since holds."""
        young_grant = select(_grants.digest).where(
            _grants.digest == BlobRow.digest, _grants.created_at >= before
        )
        return list(
            self.session.scalars(
                select(BlobRow.digest).where(
                    BlobRow.created_at < before,
                    _unreferred(BlobRow.digest),
                    ~young_grant.exists(),
                )
            )
        )

    def delete_grants(self, digests: Sequence[str], *, before: datetime) -> None:
        """Remove every grant of these bytes made before ``before``."""
        for part in chunked(digests):
            self.session.execute(
                delete(_grants).where(_grants.digest.in_(part), _grants.created_at < before)
            )

    def delete_records(self, digests: Sequence[str]) -> None:
        """Remove these blob records (a foreign key refuses one a row has just referred to)."""
        for part in chunked(digests):
            self.session.execute(delete(BlobRow).where(BlobRow.digest.in_(part)))

    def get(self, digest: str) -> BlobEntity:
        """The blob of this digest (known to exist: a row names it)."""
        row = self.session.get_one(BlobRow, digest)
        return BlobEntity(row.digest, row.size, row.media_type, row.width, row.height)

    def grant(self, organization_id: uuid.UUID, digest: str) -> None:
        """Let the organization hold these bytes (already held: nothing changes)."""
        if not self.holds(organization_id, digest):
            with self._guard(missing=f"no blob {digest[:12]}… in the store"):
                self.session.add(
                    OrganizationBlobRow(organization_id=organization_id, digest=digest)
                )
