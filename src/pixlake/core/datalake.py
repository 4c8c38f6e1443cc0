"""The datalake: pictures (named references to image blobs) and their tags.

A picture is named by its file name within an organization.  Registering the same name with
the same bytes again is a no-op that merges tags; the same name with other bytes is refused,
naming the file.  A batch stores every valid item and reports the others, in one transaction.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from pixlake._text import count_is
from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.pagination import decode_cursor, encode_cursor
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import Picture, PictureFilter
from pixlake.entities.datasets import StoredVersion
from pixlake.errors import InvalidInputError, PayloadTooLargeError, ResourceNotFoundError
from pixlake.names import file_name_problem, tag_problem
from pixlake.store.blobs import BlobStore
from pixlake.store.blobs.base import DIGEST_RE
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "MAX_BATCH",
    "AddResult",
    "DatalakeFacets",
    "NewPicture",
    "PicturePage",
    "PictureWindow",
    "Rejection",
    "add_pictures",
    "add_tags",
    "browse_pictures",
    "datalake_facets",
    "delete_matching",
    "count_pictures",
    "delete_pictures",
    "get_pictures",
    "iter_sample",
    "list_pictures",
    "picture_versions",
    "pictures_named",
    "remove_tags",
    "sample_pictures",
    "tag_matching",
    "untag_matching",
]

#: Most pictures registered, tagged or deleted by one call.
MAX_BATCH = 5000


@dataclass(frozen=True, slots=True)
class NewPicture:
    external_url: str
    digest: str


@dataclass(frozen=True, slots=True)
class Rejection:
    external_url: str
    reason: str
    #: Whether the name is taken, by a picture of other bytes (the rest is bad input).
    conflict: bool = False


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


@dataclass(frozen=True, slots=True)
class PictureWindow:
    """A keyset page of pictures, newest first, with the cursors of the pages beside it."""

    pictures: list[Picture]
    total: int
    #: The cursor of the next page (older pictures), ``None`` on the last one.
    older: str | None
    #: The cursor of the previous page (newer pictures), ``None`` on the first one.
    newer: str | None


@dataclass(frozen=True, slots=True)
class DatalakeFacets:
    """What a datalake can be filtered by: its tags with their counts, and its sources."""

    tags: list[tuple[str, int]]
    sources: list[str]


def _check_tags(tags: Sequence[str], field_name: str = "tags") -> list[str]:
    problems = []
    clean: list[str] = []
    for i, tag in enumerate(tags):
        problem = tag_problem(tag)
        if problem is not None:
            problems.append({"field": f"{field_name}[{i}]", "message": problem})
        elif tag not in clean:
            clean.append(tag)
    if problems:
        raise InvalidInputError(f"{count_is(len(problems), 'tag')} not valid", details=problems)
    return clean


def _check_batch(size: int, what: str) -> None:
    if size > MAX_BATCH:
        raise PayloadTooLargeError(f"{size} {what} in one call; send at most {MAX_BATCH}")


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
        with db.read() as tx:
            plan = _plan(tx, organization_id, by_name, source, missing_in)
    created: list[Picture] = []
    retagged: dict[int, list[str]] = {}
    if plan is None or plan.new or plan.needs_tags(tag_names):
        with db.transaction() as tx:
            plan = _plan(tx, organization_id, by_name, source, missing_in)
            retag = plan.needs_tags(tag_names)
            created = _write(tx, organization_id, plan, tag_names, retag)
            retagged = tx.pictures.tags_of(retag)
    existing = [
        replace(picture, tags=tuple(retagged[pk])) if pk in retagged else picture
        for pk, picture in plan.existing
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

    #: Pictures already there with the same bytes: their key and record as read.
    existing: list[tuple[int, Picture]] = field(default_factory=list)
    #: The new pictures' records (their creation time as planned, no tags yet).
    new: list[Picture] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    missing: list[NewPicture] = field(default_factory=list)

    def needs_tags(self, tag_names: Sequence[str]) -> list[int]:
        """The keys of the existing pictures that lack one of ``tag_names``."""
        wanted = set(tag_names)
        return [pk for pk, picture in self.existing if not wanted.issubset(picture.tags)]


def _plan(
    tx: UnitOfWork,
    organization_id: uuid.UUID,
    by_name: dict[str, str],
    source: str,
    missing_in: BlobStore | None,
) -> _Plan:
    """What registering ``by_name`` would do, as read in ``tx`` (nothing is written)."""
    plan = _Plan()
    existing = tx.pictures.by_name(organization_id, list(by_name))
    blobs = tx.blobs.held(
        organization_id,
        sorted({d for name, d in by_name.items() if name not in existing}),
    )
    gone: set[str] = set()
    if missing_in is not None:
        # Bytes held by a grant (or a picture) may still be gone from the store: lost disk,
        # manual deletion.  They are asked for again, as ``blobs/missing`` does.
        gone = missing_in.missing({*blobs, *(found.digest for found in existing.values())})
    now = utcnow()
    for name, digest in by_name.items():
        found = existing.get(name)
        if found is not None:
            if found.digest != digest:
                plan.rejected.append(
                    Rejection(
                        name,
                        "a different picture with this name is already in the datalake "
                        f"(sha256 {found.digest[:12]}…); rename the file or delete the "
                        "stored picture first",
                        conflict=True,
                    )
                )
            elif digest in gone:
                plan.missing.append(NewPicture(name, digest))
            elif found.record is not None:
                plan.existing.append((found.pk, found.record))
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
        plan.new.append(
            Picture(
                id=uuid.uuid4(),
                organization_id=organization_id,
                external_url=name,
                digest=digest,
                size=size,
                width=width,
                height=height,
                source=source,
                created_at=now,
                tags=(),
            )
        )
    return plan


def _write(
    tx: UnitOfWork,
    organization_id: uuid.UUID,
    plan: _Plan,
    tag_names: Sequence[str],
    retag: Sequence[int],
) -> list[Picture]:
    """Insert the plan's new pictures and tag them, and the existing ones in ``retag``.
    Returns the new pictures' records, in insertion order."""
    # The new rows as stored (their keys, and the creation time as the database gives it
    # back); everything else about them is known already.
    stored = tx.pictures.add(organization_id, plan.new)
    if tag_names:
        tx.pictures.tag(organization_id, [pk for pk, _ in stored.values()] + list(retag), tag_names)
    new_tags = tx.pictures.tag_names(organization_id, tag_names) if tag_names and plan.new else ()
    created = sorted(
        (
            (
                stored[p.external_url][0],
                replace(p, created_at=stored[p.external_url][1], tags=new_tags),
            )
            for p in plan.new
        ),
        key=lambda c: c[0],
    )
    return [picture for _, picture in created]


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
    with db.read() as tx:
        tag_keys = tx.pictures.tag_keys(organization_id, _check_tags(tags)) if tags else None
        pks, count = tx.pictures.page(
            organization_id, after=after, limit=limit + 1, tag_keys=tag_keys
        )
        more = len(pks) > limit
        pks = pks[:limit]
        data = tx.pictures.records(organization_id, pks)
    return PicturePage(data, count, encode_cursor(pks[-1]) if more and pks else None)


def count_pictures(db: Database, caller: Caller, organization_id: uuid.UUID) -> int:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return tx.pictures.count(organization_id)


def get_pictures(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, ids: Sequence[uuid.UUID]
) -> list[Picture]:
    """The pictures with these ids that the organization holds, in the order given."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        pks = tx.pictures.keys(organization_id, ids)
        by_id = {p.id: p for p in tx.pictures.records(organization_id, pks)}
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
    with db.read() as tx:
        tag_keys = tx.pictures.tag_keys(organization_id, tag_names)
        if not tag_keys:
            return [], 0
        matches = tx.pictures.tagged(tag_keys)
    k = sample_size(quantity, len(matches))
    chosen = random.Random(seed).sample(matches, k) if k < len(matches) else matches
    chosen.sort()
    return chosen, len(matches)


def iter_sample(
    db: Database, organization_id: uuid.UUID, *, pks: Sequence[int], chunk: int = 1000
) -> Iterator[Picture]:
    """The records of sampled pictures, read a chunk at a time (memory bounded by ``chunk``)."""
    for start in range(0, len(pks), chunk):
        with db.read() as tx:
            yield from tx.pictures.records(organization_id, pks[start : start + chunk])


def delete_pictures(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, ids: Sequence[uuid.UUID]
) -> int:
    """Delete pictures (from every dataset too); unknown ids are ignored.  Returns the count."""
    require_organization(caller, organization_id, write=True)
    _check_batch(len(ids), "pictures")
    with db.transaction() as tx:
        pks = tx.pictures.keys(organization_id, ids)
        tx.pictures.delete(organization_id, pks)
    return len(pks)


def add_tags(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    ids: Sequence[uuid.UUID],
    tags: Sequence[str],
) -> int:
    """Tag pictures (idempotent).  Returns how many pictures were found."""
    require_organization(caller, organization_id, write=True)
    _check_batch(len(ids), "pictures")
    tag_names = _check_tags(tags)
    with db.transaction() as tx:
        pks = tx.pictures.keys(organization_id, ids)
        if pks and tag_names:
            tx.pictures.tag(organization_id, pks, tag_names)
    return len(pks)


def remove_tags(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    ids: Sequence[uuid.UUID],
    tags: Sequence[str],
) -> int:
    """Untag pictures.  Returns how many pictures were found."""
    require_organization(caller, organization_id, write=True)
    _check_batch(len(ids), "pictures")
    tag_names = _check_tags(tags)
    with db.transaction() as tx:
        pks = tx.pictures.keys(organization_id, ids)
        tag_keys = tx.pictures.tag_keys(organization_id, tag_names)
        if tag_keys:
            tx.pictures.untag(pks, tag_keys)
    return len(pks)


# ------------------------------------------------------------------ browsing, as pages do


def _checked_filter(where: PictureFilter) -> PictureFilter:
    return replace(where, tags=tuple(_check_tags(where.tags)))


def browse_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    where: PictureFilter,
    limit: int,
    older_than: str | None = None,
    newer_than: str | None = None,
) -> PictureWindow:
    """A page of the pictures that ``where`` keeps, newest first: the first page, or the one
    after (``older_than``) or before (``newer_than``) a cursor of another page. Keyset
    pages: a page deep in the lake costs what the first one does."""
    require_organization(caller, organization_id, write=False)
    where = _checked_filter(where)
    with db.read() as tx:
        pictures = tx.pictures
        if newer_than is not None:
            pks = pictures.matching_window(
                organization_id, where, above=decode_cursor(newer_than), limit=limit + 1
            )
            newer, pks = len(pks) > limit, pks[:limit][::-1]
            older = bool(pks) and bool(
                pictures.matching_window(organization_id, where, below=pks[-1], limit=1)
            )
        else:
            below = decode_cursor(older_than) if older_than is not None else None
            pks = pictures.matching_window(organization_id, where, below=below, limit=limit + 1)
            older, pks = len(pks) > limit, pks[:limit]
            newer = (
                below is not None
                and bool(pks)
                and bool(pictures.matching_window(organization_id, where, above=pks[0], limit=1))
            )
        return PictureWindow(
            pictures=pictures.records(organization_id, pks),
            total=pictures.matching_count(organization_id, where),
            older=encode_cursor(pks[-1]) if older else None,
            newer=encode_cursor(pks[0]) if newer else None,
        )


def datalake_facets(db: Database, caller: Caller, organization_id: uuid.UUID) -> DatalakeFacets:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return DatalakeFacets(
            tags=tx.pictures.tag_counts(organization_id),
            sources=tx.pictures.sources(organization_id),
        )


def picture_versions(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, picture_id: uuid.UUID
) -> tuple[Picture, list[StoredVersion]]:
    """A picture and the dataset versions that hold it; ``ResourceNotFoundError`` when the
    organization has no picture with this id."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        pks = tx.pictures.keys(organization_id, [picture_id])
        if not pks:
            raise ResourceNotFoundError(f"no picture {picture_id} in this organization")
        (picture,) = tx.pictures.records(organization_id, pks)
        return picture, tx.datasets.versions_holding(pks[0])


def _each_matching(
    tx: UnitOfWork, organization_id: uuid.UUID, where: PictureFilter
) -> Iterator[list[int]]:
    """The keys of every picture ``where`` keeps, a batch at a time, in key order (a batch
    may be changed, even deleted, before the next is read)."""
    after = 0
    while pks := tx.pictures.matching_after(organization_id, where, after=after, limit=MAX_BATCH):
        yield pks
        after = pks[-1]


def tag_matching(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    where: PictureFilter,
    tags: Sequence[str],
) -> int:
    """Tag every picture that ``where`` keeps, in one transaction.  How many."""
    require_organization(caller, organization_id, write=True)
    where, tag_names = _checked_filter(where), _check_tags(tags)
    done = 0
    with db.transaction() as tx:
        for pks in _each_matching(tx, organization_id, where):
            if tag_names:
                tx.pictures.tag(organization_id, pks, tag_names)
            done += len(pks)
    return done


def untag_matching(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    where: PictureFilter,
    tags: Sequence[str],
) -> int:
    """Remove ``tags`` from every picture that ``where`` keeps, in one transaction."""
    require_organization(caller, organization_id, write=True)
    where, tag_names = _checked_filter(where), _check_tags(tags)
    done = 0
    with db.transaction() as tx:
        tag_keys = tx.pictures.tag_keys(organization_id, tag_names)
        batches = list(_each_matching(tx, organization_id, where)) if tag_keys else []
        for pks in batches:  # read first: untagging changes what a tag filter keeps
            tx.pictures.untag(pks, tag_keys)
            done += len(pks)
    return done


def delete_matching(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, where: PictureFilter
) -> int:
    """Delete every picture that ``where`` keeps (from every dataset too), in one
    transaction.  How many."""
    require_organization(caller, organization_id, write=True)
    where = _checked_filter(where)
    done = 0
    with db.transaction() as tx:
        for pks in _each_matching(tx, organization_id, where):
            tx.pictures.delete(organization_id, pks)
            done += len(pks)
    return done


def pictures_named(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, names: Sequence[str]
) -> dict[str, Picture]:
    """The organization's pictures of these names (file names), by name; others are left out."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        found = tx.pictures.by_name(organization_id, list(names))
    return {name: stored.record for name, stored in found.items() if stored.record is not None}
