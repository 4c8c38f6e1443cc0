"""The datalake: pictures (named references to image blobs) and their tags.

A picture is named by its file name within an organization.  Registering the same name with
the same bytes again is a no-op that merges tags; the same name with other bytes is refused,
naming the file.  A batch stores every valid item and reports the others, in one transaction.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from pixlake._text import count_is
from pixlake.core.accounts import require_organization
from pixlake.core.entities import Caller, Picture
from pixlake.core.pagination import decode_cursor, encode_cursor
from pixlake.errors import InvalidInputError, PayloadTooLargeError
from pixlake.names import file_name_problem
from pixlake.store.blobs import BlobStore
from pixlake.store.blobs.base import DIGEST_RE
from pixlake.store.db.bulk import chunked, insert_ignore
from pixlake.store.db.engine import Database
from pixlake.store.db.models import (
    BlobRow,
    OrganizationBlobRow,
    PictureRow,
    PictureTagRow,
    TagRow,
    utcnow,
)

__all__ = [
    "MAX_BATCH",
    "AddResult",
    "NewPicture",
    "PicturePage",
    "Rejection",
    "add_pictures",
    "add_tags",
    "count_pictures",
    "delete_pictures",
    "get_pictures",
    "iter_sample",
    "list_pictures",
    "remove_tags",
    "sample_pictures",
]

#: Most pictures registered, tagged or deleted by one call.
MAX_BATCH = 5000
MAX_TAG = 100


@dataclass(frozen=True, slots=True)
class NewPicture:
    external_url: str
    digest: str


@dataclass(frozen=True, slots=True)
class Rejection:
    external_url: str
    reason: str


@dataclass(slots=True)
class AddResult:
    created: list[Picture] = field(default_factory=list)
    existing: list[Picture] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    #: Items whose bytes must be sent before they can be registered (reported instead of
    #: refused only when asked for).
    missing: list[NewPicture] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PicturePage:
    data: list[Picture]
    count: int
    next_cursor: str | None


def _check_tags(tags: Sequence[str], field_name: str = "tags") -> list[str]:
    problems = []
    clean: list[str] = []
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG or "\x00" in tag:
            problems.append(
                {
                    "field": f"{field_name}[{i}]",
                    "message": f"expected a tag of 1 to {MAX_TAG} characters",
                }
            )
        elif tag not in clean:
            clean.append(tag)
    if problems:
        raise InvalidInputError(f"{count_is(len(problems), 'tag')} not valid", details=problems)
    return clean


def _check_batch(size: int, what: str) -> None:
    if size > MAX_BATCH:
        raise PayloadTooLargeError(f"{size} {what} in one call; send at most {MAX_BATCH}")


# --------------------------------------------------------------------------- reading rows


# Rows are read through the tables' (Core) columns: the values are the same as through the
# mapped classes, without the ORM's per-row bookkeeping, which costs more than the database.
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


def _tags_of(session: Session, pks: Sequence[int]) -> dict[int, list[str]]:
    """The tags of these pictures (at most ``CHUNK`` of them), each list in name order."""
    tags: dict[int, list[str]] = {}
    for picture_pk, name in session.execute(
        select(_picture_tags_c.picture_pk, _tags_c.name)
        .select_from(_PICTURE_TAGS)
        .where(_picture_tags_c.picture_pk.in_(pks))
        .order_by(_picture_tags_c.picture_pk, _tags_c.name)
    ):
        tags.setdefault(picture_pk, []).append(name)
    return tags


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


def _records(session: Session, organization_id: uuid.UUID, pks: Sequence[int]) -> list[Picture]:
    """Pictures by internal key, in the order given, with their tags."""
    out: dict[int, Picture] = {}
    for part in chunked(pks):
        tags = _tags_of(session, part)
        rows = session.execute(
            select(*_RECORD_COLUMNS)
            .select_from(_pictures.join(BlobRow.__table__, _blobs_c.digest == _pictures_c.digest))
            .where(_pictures_c.organization_id == organization_id, _pictures_c.pk.in_(part))
        )
        for row in rows:
            out[row[0]] = _picture(organization_id, row, tags.get(row[0], ()))
    return [out[pk] for pk in pks if pk in out]


def _tag_pks(session: Session, organization_id: uuid.UUID, tags: Sequence[str]) -> list[int]:
    return list(
        session.scalars(
            select(TagRow.pk).where(
                TagRow.organization_id == organization_id, TagRow.name.in_(tags)
            )
        )
    )


def _pks_for_ids(
    session: Session, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[int]:
    found: list[int] = []
    for part in chunked(ids):
        found.extend(
            session.scalars(
                select(PictureRow.pk).where(
                    PictureRow.organization_id == organization_id, PictureRow.id.in_(part)
                )
            )
        )
    return found


# --------------------------------------------------------------------------- use cases


def add_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    items: Sequence[NewPicture],
    *,
    tags: Sequence[str] = (),
    source: str = "sdk",
    missing_in: BlobStore | None = None,
) -> AddResult:
    """Register pictures for blobs the organization holds; report the items refused.

    With ``missing_in``, an item whose bytes the organization has not sent, or whose bytes
    are gone from that store, is neither registered nor refused but reported in ``missing``,
    for the caller to send the bytes and register the item again.  A client can then
    register first and send only what is missing: one call for a batch whose pictures are
    all in the datalake already, the common case when a folder is uploaded again.

    Such a call is a client's first look at a batch, which on a re-upload changes nothing: it
    is read in a read transaction, and a write transaction (reading the batch again) opened
    only when something changes (new pictures, tags not there yet), so that registering
    pictures already in place never waits for a writer.  Other calls follow the bytes they
    name: they go straight to the write transaction.
    """
    require_organization(caller, organization_id, write=True)
    _check_batch(len(items), "pictures")
    tag_names = _check_tags(tags)
    if not source or len(source) > 100:
        raise InvalidInputError(
            "source is not valid",
            details=[{"field": "source", "message": "expected 1 to 100 characters"}],
        )
    rejected: list[Rejection] = []
    by_name = _named(items, rejected)
    plan: _Plan | None = None
    if missing_in is not None:
        with db.read() as session:
            plan = _plan(session, organization_id, by_name, tag_names, source, missing_in)
    created: list[Picture] = []
    retagged: dict[int, list[str]] = {}
    if plan is None or plan.new_rows or plan.retag:
        with db.transaction() as session:
            plan = _plan(session, organization_id, by_name, tag_names, source, missing_in)
            created = _write(session, organization_id, plan, tag_names)
            for part in chunked(plan.retag):
                retagged.update(_tags_of(session, part))
    existing = [
        _picture(organization_id, row, retagged.get(row[0], row_tags))
        for row, row_tags in plan.existing
    ]
    return AddResult(created, existing, [*rejected, *plan.rejected], plan.missing)


def _named(items: Sequence[NewPicture], rejected: list[Rejection]) -> dict[str, str]:
    """Digest by name of the items with a well-formed name not given twice with different
    bytes; the others are added to ``rejected``."""
    by_name: dict[str, str] = {}
    for item in items:
        problem = file_name_problem(item.external_url)
        if problem:
            rejected.append(Rejection(item.external_url, problem))
            continue
        earlier = by_name.get(item.external_url)
        if earlier is not None and earlier != item.digest:
            rejected.append(
                Rejection(item.external_url, "given twice in this batch with different bytes")
            )
            continue
        by_name[item.external_url] = item.digest
    return by_name


@dataclass(slots=True)
class _Plan:
    """What registering a batch would do, as read in one transaction."""

    #: Pictures already there with the same bytes: their record's row and tags as read.
    existing: list[tuple[Any, tuple[str, ...]]] = field(default_factory=list)
    #: Those of them that lack one of the call's tags.
    retag: list[int] = field(default_factory=list)
    new_rows: list[dict[str, object]] = field(default_factory=list)
    #: Blob size by digest, for the new rows' records.
    sizes: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    missing: list[NewPicture] = field(default_factory=list)


#: The pictures of some names with their tags (several rows for a picture with several
#: tags, one with a NULL tag for a picture with none), as one query.
_EXISTING = select(*_RECORD_COLUMNS, _tags_c.name).select_from(
    _pictures.outerjoin(BlobRow.__table__, _blobs_c.digest == _pictures_c.digest)
    .outerjoin(PictureTagRow.__table__, _picture_tags_c.picture_pk == _pictures_c.pk)
    .outerjoin(TagRow.__table__, _tags_c.pk == _picture_tags_c.tag_pk)
)


def _existing(
    session: Session, organization_id: uuid.UUID, names: Sequence[str]
) -> dict[str, tuple[Any, tuple[str, ...]]]:
    """The pictures already named so, by name: their record's row and their tags in name
    order."""
    found: dict[str, tuple[Any, list[str]]] = {}
    for part in chunked(names):
        # Ordered by name, not by key: SQLite would otherwise walk the organization's
        # pictures in key order (an index that spares the sort) instead of looking up names.
        for row in session.execute(
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
    return {name: (row, tuple(tags)) for name, (row, tags) in found.items()}


def _held_blobs(
    session: Session, organization_id: uuid.UUID, digests: Sequence[str]
) -> dict[str, tuple[int, int | None, int | None]]:
    """Size, width and height of the blobs among ``digests`` that the organization holds."""
    blobs: dict[str, tuple[int, int | None, int | None]] = {}
    for part in chunked(digests):
        for digest, size, width, height in session.execute(
            select(BlobRow.digest, BlobRow.size, BlobRow.width, BlobRow.height)
            .join(OrganizationBlobRow, OrganizationBlobRow.digest == BlobRow.digest)
            .where(
                OrganizationBlobRow.organization_id == organization_id,
                BlobRow.digest.in_(part),
            )
        ):
            blobs[digest] = (size, width, height)
    return blobs


def _plan(
    session: Session,
    organization_id: uuid.UUID,
    by_name: dict[str, str],
    tag_names: Sequence[str],
    source: str,
    missing_in: BlobStore | None,
) -> _Plan:
    """What registering ``by_name`` would do, as read in ``session`` (nothing is written)."""
    plan = _Plan()
    existing = _existing(session, organization_id, list(by_name))
    blobs = _held_blobs(
        session,
        organization_id,
        sorted({d for name, d in by_name.items() if name not in existing}),
    )
    gone: set[str] = set()
    if missing_in is not None:
        # Bytes held by a grant (or a picture) may still be gone from the store: lost disk,
        # manual deletion.  They are asked for again, as ``blobs/missing`` does.
        gone = missing_in.missing({*blobs, *(row[3] for row, _ in existing.values())})
    wanted_tags = set(tag_names)
    now = utcnow()
    for name, digest in by_name.items():
        found = existing.get(name)
        if found is not None:
            row, tags = found
            stored_digest = row[3]
            if stored_digest != digest:
                plan.rejected.append(
                    Rejection(
                        name,
                        "a different picture with this name is already in the datalake "
                        f"(sha256 {stored_digest[:12]}…); rename the file or delete the "
                        "stored picture first",
                    )
                )
            elif digest in gone:
                plan.missing.append(NewPicture(name, digest))
            elif row[4] is not None:  # as _records, which joins the blob
                plan.existing.append((row, tags))
                if not wanted_tags.issubset(tags):
                    plan.retag.append(row[0])
            continue
        blob = blobs.get(digest)
        if blob is None:
            if missing_in is not None and DIGEST_RE.match(digest):
                plan.missing.append(NewPicture(name, digest))
            else:
                plan.rejected.append(
                    Rejection(name, f"its bytes (sha256 {digest[:12]}…) were not uploaded first")
                )
            continue
        size, width, height = blob
        if width is None or height is None:
            plan.rejected.append(
                Rejection(name, "not a decodable image (expected JPEG, PNG, WebP, GIF, …)")
            )
            continue
        if digest in gone:
            plan.missing.append(NewPicture(name, digest))
            continue
        plan.sizes[digest] = size
        plan.new_rows.append(
            {
                "id": uuid.uuid4(),
                "organization_id": organization_id,
                "digest": digest,
                "external_url": name,
                "width": width,
                "height": height,
                "source": source,
                "created_at": now,
            }
        )
    return plan


def _write(
    session: Session, organization_id: uuid.UUID, plan: _Plan, tag_names: Sequence[str]
) -> list[Picture]:
    """Insert the plan's new pictures and tag them, and the existing ones lacking a tag.
    Returns the new pictures' records, in insertion order."""
    # Plain (Core) inserts: the ORM's bulk path costs more per row than the database.
    for rows in chunked(plan.new_rows):
        session.execute(insert(PictureRow.__table__), list(rows))  # type: ignore[arg-type]
    # The new rows as stored (their keys, and the creation time as the database gives it
    # back); everything else about them is known already.
    stored: dict[str, tuple[int, datetime]] = {}
    for part in chunked([str(r["external_url"]) for r in plan.new_rows]):
        for pk, url, created_at in session.execute(
            select(PictureRow.pk, PictureRow.external_url, PictureRow.created_at).where(
                PictureRow.organization_id == organization_id,
                PictureRow.external_url.in_(part),
            )
        ):
            stored[url] = (pk, created_at)
    if tag_names:
        _tag(session, organization_id, [pk for pk, _ in stored.values()] + plan.retag, tag_names)
    new_tags: tuple[str, ...] = ()
    if tag_names and plan.new_rows:
        new_tags = tuple(
            session.scalars(
                select(TagRow.name)
                .where(TagRow.organization_id == organization_id, TagRow.name.in_(tag_names))
                .order_by(TagRow.name)
            )
        )
    created: list[tuple[int, Picture]] = []
    for row in plan.new_rows:
        name, digest = str(row["external_url"]), str(row["digest"])
        pk, created_at = stored[name]
        created.append(
            (
                pk,
                Picture(
                    id=cast(uuid.UUID, row["id"]),
                    organization_id=organization_id,
                    external_url=name,
                    digest=digest,
                    size=plan.sizes[digest],
                    width=cast(int, row["width"]),
                    height=cast(int, row["height"]),
                    source=str(row["source"]),
                    created_at=created_at,
                    tags=new_tags,
                ),
            )
        )
    created.sort(key=lambda c: c[0])
    return [picture for _, picture in created]


def _tag(
    session: Session, organization_id: uuid.UUID, pks: Sequence[int], tags: Sequence[str]
) -> None:
    insert_ignore(
        session,
        TagRow.__table__,  # type: ignore[arg-type]
        [{"organization_id": organization_id, "name": t} for t in tags],
    )
    tag_pks = _tag_pks(session, organization_id, tags)
    insert_ignore(
        session,
        PictureTagRow.__table__,  # type: ignore[arg-type]
        [{"picture_pk": p, "tag_pk": t} for p in pks for t in tag_pks],
    )


def list_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None = None,
    tags: Sequence[str] = (),
) -> PicturePage:
    """One page of the datalake in upload order, optionally only pictures with any of ``tags``."""
    require_organization(caller, organization_id, write=False)
    after = decode_cursor(cursor)
    with db.read() as session:
        query = select(PictureRow.pk).where(
            PictureRow.organization_id == organization_id, PictureRow.pk > after
        )
        count_query = (
            select(func.count())
            .select_from(PictureRow)
            .where(PictureRow.organization_id == organization_id)
        )
        if tags:
            tagged = select(PictureTagRow.picture_pk).where(
                PictureTagRow.tag_pk.in_(_tag_pks(session, organization_id, _check_tags(tags)))
            )
            query = query.where(PictureRow.pk.in_(tagged))
            count_query = count_query.where(PictureRow.pk.in_(tagged))
        pks = list(session.scalars(query.order_by(PictureRow.pk).limit(limit + 1)))
        more = len(pks) > limit
        pks = pks[:limit]
        data = _records(session, organization_id, pks)
        count = session.scalar(count_query) or 0
    return PicturePage(data, count, encode_cursor(pks[-1]) if more and pks else None)


def count_pictures(db: Database, caller: Caller, organization_id: uuid.UUID) -> int:
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(PictureRow)
                .where(PictureRow.organization_id == organization_id)
            )
            or 0
        )


def get_pictures(
    db: Database, caller: Caller, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Picture]:
    """The pictures with these ids that the organization holds, in the order given."""
    require_organization(caller, organization_id, write=False)
    with db.read() as session:
        pks = _pks_for_ids(session, organization_id, ids)
        by_id = {p.id: p for p in _records(session, organization_id, pks)}
    return [by_id[i] for i in ids if i in by_id]


def sample_size(quantity: float, matches: int) -> int:
    """How many of ``matches`` a fetch of ``quantity`` returns (the contract's rule)."""
    if quantity >= 1:
        return matches
    return max(1, round(quantity * matches)) if matches else 0


def sample_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    tags: Sequence[str],
    quantity: float,
    seed: int | None = None,
) -> tuple[list[int], int]:
    """Choose, uniformly without replacement, ``round(quantity * n)`` of the ``n`` pictures
    carrying any of ``tags`` (at least one when any match; all when ``quantity >= 1``).

    Returns the chosen internal keys and ``n``; ``iter_sample`` turns keys into records.
    """
    require_organization(caller, organization_id, write=False)
    if not quantity > 0:
        raise InvalidInputError(
            f"quantity {quantity} is not a fraction of the matches",
            details=[{"field": "quantity", "message": "expected a number in (0, 1]; 1 means all"}],
        )
    tag_names = _check_tags(tags)
    if not tag_names:
        return [], 0
    with db.read() as session:
        tag_pks = _tag_pks(session, organization_id, tag_names)
        if not tag_pks:
            return [], 0
        matches = list(
            session.scalars(
                select(_picture_tags_c.picture_pk)
                .where(_picture_tags_c.tag_pk.in_(tag_pks))
                .distinct()
            )
        )
    k = sample_size(quantity, len(matches))
    chosen = random.Random(seed).sample(matches, k) if k < len(matches) else matches
    chosen.sort()
    return chosen, len(matches)


def iter_sample(
    db: Database, organization_id: uuid.UUID, pks: Sequence[int], *, chunk: int = 1000
) -> Iterator[Picture]:
    """The records of sampled pictures, read a chunk at a time (memory bounded by ``chunk``)."""
    for part in chunked(pks, chunk):
        with db.read() as session:
            yield from _records(session, organization_id, part)


def delete_pictures(
    db: Database, caller: Caller, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> int:
    """Delete pictures (from every dataset too); unknown ids are ignored.  Returns the count."""
    require_organization(caller, organization_id, write=True)
    _check_batch(len(ids), "pictures")
    with db.transaction() as session:
        pks = _pks_for_ids(session, organization_id, ids)
        for part in chunked(pks):
            session.execute(delete(PictureTagRow).where(PictureTagRow.picture_pk.in_(part)))
            session.execute(
                delete(PictureRow).where(
                    PictureRow.organization_id == organization_id, PictureRow.pk.in_(part)
                )
            )
    return len(pks)


def add_tags(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    tags: Sequence[str],
) -> int:
    """Tag pictures (idempotent).  Returns how many pictures were found."""
    require_organization(caller, organization_id, write=True)
    _check_batch(len(ids), "pictures")
    tag_names = _check_tags(tags)
    with db.transaction() as session:
        pks = _pks_for_ids(session, organization_id, ids)
        if pks and tag_names:
            _tag(session, organization_id, pks, tag_names)
    return len(pks)


def remove_tags(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    tags: Sequence[str],
) -> int:
    """Untag pictures.  Returns how many pictures were found."""
    require_organization(caller, organization_id, write=True)
    _check_batch(len(ids), "pictures")
    tag_names = _check_tags(tags)
    with db.transaction() as session:
        pks = _pks_for_ids(session, organization_id, ids)
        tag_pks = _tag_pks(session, organization_id, tag_names)
        if tag_pks:
            for part in chunked(pks):
                session.execute(
                    delete(PictureTagRow).where(
                        PictureTagRow.picture_pk.in_(part), PictureTagRow.tag_pk.in_(tag_pks)
                    )
                )
    return len(pks)
