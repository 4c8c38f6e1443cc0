"""Pictures and their tags, in one organization at a time.

Rows are read through the tables' (Core) columns: the values are the same as through the
mapped classes, without the ORM's per-row bookkeeping, which costs more than the database.
Every method takes the organization first and filters on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Uuid, bindparam, delete, func, insert, select, text

from pixlake.entities.datalake import Picture, PictureFilter
from pixlake.store.db.bulk import chunked, insert_ignore
from pixlake.store.db.models import BlobRow, PictureRow, PictureTagRow, TagRow
from pixlake.store.db.repositories._base import Repository

__all__ = ["PictureRepository", "StoredPicture"]

_pictures = PictureRow.__table__
_pictures_c = PictureRow.__table__.c
_blobs_c = BlobRow.__table__.c
_tags_c = TagRow.__table__.c
_picture_tags_c = PictureTagRow.__table__.c
_PICTURE_TAGS = PictureTagRow.__table__.join(TagRow.__table__, _tags_c.pk == _picture_tags_c.tag_pk)

#: A picture record's columns, as ``_picture`` reads them.
_RECORD_COLUMNS = (
    _pictures_c.pk,
    _pictures_c.id,
    _pictures_c.external_url,
    _pictures_c.digest,
    _blobs_c.size,
    _pictures_c.width,
    _pictures_c.height,
    _pictures_c.source,
    _pictures_c.created_at,
)

#: The pictures of some names with their tags (several rows for a picture with several
#: tags, one with a NULL tag for a picture with none), as one query.
_EXISTING = select(*_RECORD_COLUMNS, _tags_c.name).select_from(
    _pictures.outerjoin(BlobRow.__table__, _blobs_c.digest == _pictures_c.digest)
    .outerjoin(PictureTagRow.__table__, _picture_tags_c.picture_pk == _pictures_c.pk)
    .outerjoin(TagRow.__table__, _tags_c.pk == _picture_tags_c.tag_pk)
)


#: The distinct sources of an organization's pictures, each found from the one before it.
_SOURCES = text(
    """
    WITH RECURSIVE found(source) AS (
        SELECT min(source) FROM pictures WHERE organization_id = :org
        UNION ALL
        SELECT (
            SELECT min(p.source) FROM pictures p
            WHERE p.organization_id = :org AND p.source > found.source
        )
        FROM found WHERE found.source IS NOT NULL
    )
    SELECT source FROM found WHERE source IS NOT NULL
    """
).bindparams(bindparam("org", type_=Uuid()))


class StoredPicture:
    """A picture found by name: its key, the digest it names, and its record (``None`` when
    its blob's row is gone, which ``pixlake fsck`` reports)."""

    __slots__ = ("digest", "pk", "record")

    def __init__(self, pk: int, digest: str, record: Picture | None) -> None:
        self.pk = pk
        self.digest = digest
        self.record = record


def _picture(organization_id: uuid.UUID, row: Any, tags: Sequence[str]) -> Picture:
    _pk, id_, url, digest, size, width, height, source, created_at = row
    return Picture(
        id=id_,
        organization_id=organization_id,
        external_url=url,
        digest=digest,
        size=size,
        width=width,
        height=height,
        source=source,
        created_at=created_at,
        tags=tuple(tags),
    )


class PictureRepository(Repository):
    __slots__ = ()

    # ----------------------------------------------------------------------- reading

    def tags_of(self, pks: Sequence[int]) -> dict[int, list[str]]:
        """The tags of these pictures, each list in name order."""
        tags: dict[int, list[str]] = {}
        for part in chunked(pks):
            for picture_pk, name in self.session.execute(
                select(_picture_tags_c.picture_pk, _tags_c.name)
                .select_from(_PICTURE_TAGS)
                .where(_picture_tags_c.picture_pk.in_(part))
                .order_by(_picture_tags_c.picture_pk, _tags_c.name)
            ):
                tags.setdefault(picture_pk, []).append(name)
        return tags

    def records(self, organization_id: uuid.UUID, pks: Sequence[int]) -> list[Picture]:
        """Pictures by internal key, in the order given, with their tags; keys of other
        organizations, or of nothing, are left out."""
        out: dict[int, Picture] = {}
        for part in chunked(pks):
            tags = self.tags_of(part)
            rows = self.session.execute(
                select(*_RECORD_COLUMNS)
                .select_from(
                    _pictures.join(BlobRow.__table__, _blobs_c.digest == _pictures_c.digest)
                )
                .where(_pictures_c.organization_id == organization_id, _pictures_c.pk.in_(part))
            )
            for row in rows:
                out[row[0]] = _picture(organization_id, row, tags.get(row[0], ()))
        return [out[pk] for pk in pks if pk in out]

    def keys(self, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[int]:
        """The internal keys of the organization's pictures among ``ids``."""
        found: list[int] = []
        for part in chunked(ids):
            found.extend(
                self.session.scalars(
                    select(PictureRow.pk).where(
                        PictureRow.organization_id == organization_id, PictureRow.id.in_(part)
                    )
                )
            )
        return found

    def by_name(self, organization_id: uuid.UUID, names: Sequence[str]) -> dict[str, StoredPicture]:
        """The pictures already named so, by name, with their tags in name order."""
        found: dict[str, tuple[Any, list[str]]] = {}
        for part in chunked(names):
            # Ordered by name, not by key: SQLite would otherwise walk the organization's
            # pictures in key order (an index that spares the sort) instead of looking up names.
            for row in self.session.execute(
                _EXISTING.where(
                    _pictures_c.organization_id == organization_id,
                    _pictures_c.external_url.in_(part),
                ).order_by(_pictures_c.external_url, _tags_c.name)
            ).all():
                entry = found.get(row[2])
                if entry is None:
                    entry = found[row[2]] = (row[:-1], [])
                if row[-1] is not None:
                    entry[1].append(row[-1])
        return {
            name: StoredPicture(
                row[0],
                row[3],
                # as ``records``, which joins the blob
                _picture(organization_id, row, tags) if row[4] is not None else None,
            )
            for name, (row, tags) in found.items()
        }

    def tag_keys(self, organization_id: uuid.UUID, names: Sequence[str]) -> list[int]:
        return list(
            self.session.scalars(
                select(TagRow.pk).where(
                    TagRow.organization_id == organization_id, TagRow.name.in_(names)
                )
            )
        )

    def tag_names(self, organization_id: uuid.UUID, names: Sequence[str]) -> tuple[str, ...]:
        """Those of ``names`` that are tags of the organization, in name order."""
        return tuple(
            self.session.scalars(
                select(TagRow.name)
                .where(TagRow.organization_id == organization_id, TagRow.name.in_(names))
                .order_by(TagRow.name)
            )
        )

    def page(
        self,
        organization_id: uuid.UUID,
        *,
        after: int,
        limit: int,
        tag_keys: Sequence[int] | None = None,
    ) -> tuple[list[int], int]:
        """Up to ``limit`` keys after ``after`` in key order (with any of ``tag_keys`` when
        given), and how many pictures match in all."""
        query = select(PictureRow.pk).where(
            PictureRow.organization_id == organization_id, PictureRow.pk > after
        )
        count_query = (
            select(func.count())
            .select_from(PictureRow)
            .where(PictureRow.organization_id == organization_id)
        )
        if tag_keys is not None:
            tagged = select(PictureTagRow.picture_pk).where(PictureTagRow.tag_pk.in_(tag_keys))
            query = query.where(PictureRow.pk.in_(tagged))
            count_query = count_query.where(PictureRow.pk.in_(tagged))
        pks = list(self.session.scalars(query.order_by(PictureRow.pk).limit(limit)))
        return pks, self.session.scalar(count_query) or 0

    def _matching(self, organization_id: uuid.UUID, where: PictureFilter) -> Select[Any]:
        """The keys of the organization's pictures that ``where`` keeps (tags as keys)."""
        query = select(_pictures_c.pk).where(_pictures_c.organization_id == organization_id)
        if where.tags:
            tag_keys = self.tag_keys(organization_id, where.tags)
            if where.all_tags and len(tag_keys) < len(set(where.tags)):
                tag_keys = []  # a tag no picture carries: no picture carries them all
            tagged = select(_picture_tags_c.picture_pk).where(_picture_tags_c.tag_pk.in_(tag_keys))
            if where.all_tags:
                tagged = tagged.group_by(_picture_tags_c.picture_pk).having(
                    func.count() == len(tag_keys)
                )
            query = query.where(_pictures_c.pk.in_(tagged))
        if where.source is not None:
            query = query.where(_pictures_c.source == where.source)
        if where.since is not None:
            query = query.where(_pictures_c.created_at >= where.since)
        if where.until is not None:
            query = query.where(_pictures_c.created_at < where.until)
        return query

    def matching_count(self, organization_id: uuid.UUID, where: PictureFilter) -> int:
        query = self._matching(organization_id, where)
        return self.session.scalar(select(func.count()).select_from(query.subquery())) or 0

    def matching_window(
        self,
        organization_id: uuid.UUID,
        where: PictureFilter,
        *,
        below: int | None = None,
        above: int | None = None,
        limit: int,
    ) -> list[int]:
        """Up to ``limit`` keys of matching pictures next to a key (a keyset page: no rows
        are skipped to get there): the highest below ``below`` in descending order, the
        lowest above ``above`` in ascending order, or the highest of all."""
        query = self._matching(organization_id, where)
        if above is not None:
            query = query.where(_pictures_c.pk > above).order_by(_pictures_c.pk)
        else:
            if below is not None:
                query = query.where(_pictures_c.pk < below)
            query = query.order_by(_pictures_c.pk.desc())
        return list(self.session.scalars(query.limit(limit)))

    def matching_after(
        self, organization_id: uuid.UUID, where: PictureFilter, *, after: int, limit: int
    ) -> list[int]:
        """Up to ``limit`` keys of matching pictures above ``after``, in key order: a walk
        over every match, a chunk at a time."""
        query = self._matching(organization_id, where).where(_pictures_c.pk > after)
        return list(self.session.scalars(query.order_by(_pictures_c.pk).limit(limit)))

    def tag_counts(self, organization_id: uuid.UUID) -> list[tuple[str, int]]:
        """Every tag of the organization with how many pictures carry it, by name."""
        rows = self.session.execute(
            select(_tags_c.name, func.count(_picture_tags_c.picture_pk))
            .select_from(
                TagRow.__table__.outerjoin(
                    PictureTagRow.__table__, _tags_c.pk == _picture_tags_c.tag_pk
                )
            )
            .where(_tags_c.organization_id == organization_id)
            .group_by(_tags_c.pk, _tags_c.name)
            .order_by(_tags_c.name)
        )
        return [(name, count) for name, count in rows]

    def sources(self, organization_id: uuid.UUID) -> list[str]:
        """The sources the organization's pictures came from, by name: one index probe per
        source (a recursive query walks the ``(organization_id, source)`` index from each
        source to the next), not a read of every picture."""
        rows = self.session.execute(_SOURCES, {"org": organization_id})
        return [source for (source,) in rows]

    def count(self, organization_id: uuid.UUID) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(PictureRow)
                .where(PictureRow.organization_id == organization_id)
            )
            or 0
        )

    def tagged(self, tag_keys: Sequence[int]) -> list[int]:
        """The keys of the pictures carrying any of these tags (of one organization)."""
        return list(
            self.session.scalars(
                select(_picture_tags_c.picture_pk)
                .where(_picture_tags_c.tag_pk.in_(tag_keys))
                .distinct()
            )
        )

    # ----------------------------------------------------------------------- writing

    def add(
        self, organization_id: uuid.UUID, pictures: Sequence[Picture]
    ) -> dict[str, tuple[int, datetime]]:
        """Insert new pictures (their tags aside); returns each one's key and creation time
        as stored, by name."""
        # Plain (Core) inserts: the ORM's bulk path costs more per row than the database.
        rows = [
            {
                "id": p.id,
                "organization_id": organization_id,
                "digest": p.digest,
                "external_url": p.external_url,
                "width": p.width,
                "height": p.height,
                "source": p.source,
                "created_at": p.created_at,
            }
            for p in pictures
        ]
        for part in chunked(rows):
            self.session.execute(insert(PictureRow.__table__), list(part))  # type: ignore[arg-type]
        stored: dict[str, tuple[int, datetime]] = {}
        for names in chunked([p.external_url for p in pictures]):
            for pk, url, created_at in self.session.execute(
                select(PictureRow.pk, PictureRow.external_url, PictureRow.created_at).where(
                    PictureRow.organization_id == organization_id,
                    PictureRow.external_url.in_(names),
                )
            ):
                stored[url] = (pk, created_at)
        return stored

    def tag(self, organization_id: uuid.UUID, pks: Sequence[int], tags: Sequence[str]) -> None:
        """Give these pictures these tags, creating the tags that are new (idempotent)."""
        insert_ignore(
            self.session,
            TagRow.__table__,  # type: ignore[arg-type]
            [{"organization_id": organization_id, "name": t} for t in tags],
        )
        tag_pks = self.tag_keys(organization_id, tags)
        insert_ignore(
            self.session,
            PictureTagRow.__table__,  # type: ignore[arg-type]
            [{"picture_pk": p, "tag_pk": t} for p in pks for t in tag_pks],
        )

    def untag(self, pks: Sequence[int], tag_keys: Sequence[int]) -> None:
        for part in chunked(pks):
            self.session.execute(
                delete(PictureTagRow).where(
                    PictureTagRow.picture_pk.in_(part), PictureTagRow.tag_pk.in_(tag_keys)
                )
            )

    def delete(self, organization_id: uuid.UUID, pks: Sequence[int]) -> None:
        for part in chunked(pks):
            self.session.execute(delete(PictureTagRow).where(PictureTagRow.picture_pk.in_(part)))
            self.session.execute(
                delete(PictureRow).where(
                    PictureRow.organization_id == organization_id, PictureRow.pk.in_(part)
                )
            )
