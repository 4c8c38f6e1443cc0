"""Listings of a version: its pictures, its annotations, and both together, a page at a time
in picture order."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from pixlake.core.accounts import require_organization
from pixlake.core.datasets._rules import require_status
from pixlake.core.datasets._versions import version_by_id
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import Picture
from pixlake.entities.datasets import AnnotationRecord, StoredAnnotation
from pixlake.errors import ResourceNotFoundError
from pixlake.formats import from_compact, to_wire
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = ["get_annotation", "list_annotations", "list_items", "list_version_pictures"]

#: What an annotation record shows of its picture: id, file name, width, height, digest.
_PictureFacts = tuple[uuid.UUID, str, int, int, str]


def _records(
    annotations: Sequence[StoredAnnotation], pictures: Mapping[int, _PictureFacts]
) -> list[AnnotationRecord]:
    """The records of stored annotations, their objects in the wire shape."""
    out = []
    for a in annotations:
        id_, url, w, h, digest = pictures[a.picture_pk]
        out.append(
            AnnotationRecord(
                picture_id=id_,
                external_url=url,
                width=w,
                height=h,
                digest=digest,
                status=a.status,
                objects=[
                    to_wire(from_compact(kind, label, data)) for kind, label, data in a.objects
                ],
                image_qa=a.image_qa,
                nb_instances=a.nb_instances,
                duration=a.duration,
                extra=a.extra,
                updated_at=a.updated_at,
                split=a.split,
            )
        )
    return out


def _version_page(
    tx: UnitOfWork, organization_id: uuid.UUID, version_id: uuid.UUID, limit: int, after: int
) -> tuple[int, list[int], int, int | None]:
    """The keys of a page of the version's pictures, after key ``after``: (the version's
    key, the page's picture keys, the version's number of pictures, the next page's key)."""
    version_pk = version_by_id(tx, organization_id, version_id).pk
    pks, total = tx.datasets.picture_page(version_pk, after=after, limit=limit + 1)
    more = len(pks) > limit
    pks = pks[:limit]
    return version_pk, pks, total, (pks[-1] if more and pks else None)


def list_version_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    limit: int,
    after: int = 0,
) -> tuple[list[Picture], int, int | None]:
    """A page of the version's pictures in datalake order: (pictures, total, next key)."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        _version_pk, pks, total, next_key = _version_page(
            tx, organization_id, version_id, limit, after
        )
        return tx.pictures.records(organization_id, pks), total, next_key


def list_annotations(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    limit: int,
    after: int = 0,
    offset: int = 0,
    status: str | None = None,
    external_url: str | None = None,
) -> tuple[list[AnnotationRecord], int, int | None]:
    """A page of annotations (optionally one picture's, or of one status), in picture order."""
    require_organization(caller, organization_id, write=False)
    require_status(status)
    with db.read() as tx:
        version_pk = version_by_id(tx, organization_id, version_id).pk
        annotations, total = tx.annotations.page(
            organization_id,
            version_pk,
            after=after,
            offset=offset,
            limit=limit + 1,
            status=status,
            external_url=external_url,
        )
        more = len(annotations) > limit
        annotations = annotations[:limit]
        pictures = tx.annotations.picture_facts(
            organization_id, [a.picture_pk for a in annotations]
        )
    records = _records(annotations, pictures)
    return records, total, (annotations[-1].picture_pk if more and annotations else None)


def get_annotation(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    external_url: str,
) -> AnnotationRecord:
    """The annotation of the version's picture ``external_url``; not found when the picture
    is not in the version or has no annotation there."""
    records, _total, _next = list_annotations(
        db, caller, organization_id, version_id=version_id, limit=1, external_url=external_url
    )
    if not records:
        raise ResourceNotFoundError(f"no annotation of a picture {external_url!r} in this version")
    return records[0]


def list_items(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    limit: int,
    after: int = 0,
) -> tuple[list[tuple[Picture, AnnotationRecord | None]], int, int | None]:
    """A page of the version's pictures, each with its annotation or ``None``."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        version_pk, pks, total, next_key = _version_page(
            tx, organization_id, version_id, limit, after
        )
        pictures = tx.pictures.records(organization_id, pks)
        annotations = tx.annotations.of_pictures(version_pk, pks)
        if len(pictures) == len(pks):  # records keeps the order of pks
            facts = {
                pk: (p.id, p.external_url, p.width, p.height, p.digest)
                for pk, p in zip(pks, pictures, strict=True)
            }
        else:
            facts = tx.annotations.picture_facts(
                organization_id, [a.picture_pk for a in annotations]
            )
    records = {r.picture_id: r for r in _records(annotations, facts)}
    items = [(p, records.get(p.id)) for p in pictures]
    return items, total, next_key
