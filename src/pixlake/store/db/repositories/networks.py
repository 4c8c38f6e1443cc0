"""Networks: the model registry of each organization, their tags and stored files, and the
public ones that make the hub."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from pixlake.entities.accounts import Organization
from pixlake.entities.networks import Network, NetworkFile, Owner, object_name
from pixlake.store.db.bulk import chunked
from pixlake.store.db.models import (
    BlobRow,
    NetworkFileRow,
    NetworkRow,
    NetworkTagRow,
    OrganizationRow,
    UserRow,
)
from pixlake.store.db.repositories._base import Repository

__all__ = ["HubFilter", "NetworkRepository", "StoredNetwork"]


@dataclass(frozen=True, slots=True)
class StoredNetwork:
    """A network found: its key and what the services check (visibility, thumbnail)."""

    pk: int
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    private: bool
    labels: dict[str, str]
    thumbnail_digest: str | None
    thumbnail_original_digest: str | None


@dataclass(frozen=True, slots=True)
class HubFilter:
    """Which public networks a hub page shows: ``search`` in the name (any case), ``type``
    and ``framework`` (any case), ``tag`` (exact)."""

    search: str | None = None
    type: str | None = None
    framework: str | None = None
    tag: str | None = None


def _stored(row: NetworkRow) -> StoredNetwork:
    return StoredNetwork(
        row.pk,
        row.id,
        row.organization_id,
        row.name,
        row.private,
        dict(row.labels or {}),
        row.thumbnail_digest,
        row.thumbnail_original_digest,
    )


def _hub_where(hub: HubFilter) -> list[Any]:
    where: list[Any] = [NetworkRow.private.is_(False)]
    if hub.search:
        where.append(func.lower(NetworkRow.name).contains(hub.search.lower(), autoescape=True))
    if hub.type:
        where.append(func.lower(NetworkRow.type) == hub.type.lower())
    if hub.framework:
        where.append(func.lower(NetworkRow.framework) == hub.framework.lower())
    if hub.tag:
        where.append(
            NetworkRow.pk.in_(select(NetworkTagRow.network_pk).where(NetworkTagRow.tag == hub.tag))
        )
    return where


class NetworkRepository(Repository):
    __slots__ = ()

    # ----------------------------------------------------------------------- finding

    def find(self, organization_id: uuid.UUID, ref: str | uuid.UUID) -> StoredNetwork | None:
        """A network of the organization by id (a UUID, or a string that is one), else by
        name."""
        base = select(NetworkRow).where(NetworkRow.organization_id == organization_id)
        as_id: uuid.UUID | None = ref if isinstance(ref, uuid.UUID) else None
        if as_id is None:
            try:
                as_id = uuid.UUID(str(ref))
            except ValueError:
                as_id = None
        if as_id is not None:
            row = self.session.scalar(base.where(NetworkRow.id == as_id))
            if row is not None or isinstance(ref, uuid.UUID):
                return None if row is None else _stored(row)
        row = self.session.scalar(base.where(NetworkRow.name == str(ref)))
        return None if row is None else _stored(row)

    def find_named(self, organization_id: uuid.UUID, name: str) -> StoredNetwork | None:
        """A network of the organization by name only."""
        row = self.session.scalar(
            select(NetworkRow).where(
                NetworkRow.organization_id == organization_id, NetworkRow.name == name
            )
        )
        return None if row is None else _stored(row)

    def by_id(self, network_id: uuid.UUID) -> StoredNetwork | None:
        """A network of any organization."""
        row = self.session.scalar(select(NetworkRow).where(NetworkRow.id == network_id))
        return None if row is None else _stored(row)

    def name_taken(self, organization_id: uuid.UUID, name: str) -> bool:
        return bool(
            self.session.scalar(
                select(NetworkRow.pk).where(
                    NetworkRow.organization_id == organization_id, NetworkRow.name == name
                )
            )
        )

    def files(self, pk: int) -> list[tuple[str, str, str]]:
        """The network's stored files: name, digest and file name."""
        return [
            (f.name, f.digest, f.file_name)
            for f in self.session.scalars(
                select(NetworkFileRow).where(NetworkFileRow.network_pk == pk)
            )
        ]

    def file_digest(self, pk: int, name: str) -> str | None:
        row = self.session.get(NetworkFileRow, (pk, name))
        return None if row is None else row.digest

    def publishing_organization(self, ref: str) -> Organization | None:
        """An organization, by id (a UUID) or name, that has a public network."""
        query = select(OrganizationRow.id, OrganizationRow.name).where(
            OrganizationRow.id.in_(
                select(NetworkRow.organization_id).where(NetworkRow.private.is_(False))
            )
        )
        try:
            query = query.where(OrganizationRow.id == uuid.UUID(ref))
        except ValueError:
            query = query.where(OrganizationRow.name == ref)
        found = self.session.execute(query).first()
        return None if found is None else Organization(found[0], found[1])

    # ----------------------------------------------------------------------- records

    def record(self, pk: int) -> Network:
        return self._records([self.session.get_one(NetworkRow, pk)])[0]

    def page(
        self,
        *,
        organization_id: uuid.UUID | None = None,
        public_only: bool = False,
        hub: HubFilter | None = None,
        after: int,
        limit: int,
    ) -> tuple[list[Network], int, int | None]:
        """Up to ``limit`` networks after key ``after`` in creation order (an organization's,
        maybe its public ones only, or the hub's), how many match in all, and the key to
        continue after when more follow."""
        where: list[Any] = _hub_where(hub) if hub is not None else []
        if organization_id is not None:
            where.insert(0, NetworkRow.organization_id == organization_id)
        if public_only:
            where.append(NetworkRow.private.is_(False))
        rows = list(
            self.session.scalars(
                select(NetworkRow)
                .where(*where)
                .where(NetworkRow.pk > after)
                .order_by(NetworkRow.pk)
                .limit(limit + 1)
            )
        )
        more = len(rows) > limit
        rows = rows[:limit]
        count = self.session.scalar(select(func.count()).select_from(NetworkRow).where(*where))
        return self._records(rows), count or 0, rows[-1].pk if more and rows else None

    def _records(self, rows: Sequence[NetworkRow]) -> list[Network]:
        """Entities for rows, with their tags, files, organization, owner (a few queries)."""
        if not rows:
            return []
        tags, files = self._tags_and_files([r.pk for r in rows])
        org_ids = sorted({r.organization_id for r in rows})
        orgs = dict(
            self.session.execute(
                select(OrganizationRow.id, OrganizationRow.name).where(
                    OrganizationRow.id.in_(org_ids)
                )
            ).all()
        )
        owner_ids = sorted({r.owner_id for r in rows if r.owner_id is not None})
        owners = dict(
            self.session.execute(
                select(UserRow.id, UserRow.username).where(UserRow.id.in_(owner_ids))
            ).all()
        )
        thumbs = sorted({r.thumbnail_digest for r in rows if r.thumbnail_digest})
        thumb_types = dict(
            self.session.execute(
                select(BlobRow.digest, BlobRow.media_type).where(BlobRow.digest.in_(thumbs))
            ).all()
        )
        out = []
        for r in rows:
            thumb_name = None
            if r.thumbnail_digest:
                ext = "png" if thumb_types.get(r.thumbnail_digest) == "image/png" else "jpg"
                thumb_name = f"{r.id}/thumb.{ext}"
            out.append(
                Network(
                    id=r.id,
                    organization=Organization(r.organization_id, orgs.get(r.organization_id, "")),
                    owner=Owner(r.owner_id, owners[r.owner_id]) if r.owner_id in owners else None,
                    name=r.name,
                    type=r.type,
                    framework=r.framework,
                    private=r.private,
                    description=r.description,
                    readme_text=r.readme_text,
                    tags=tuple(tags.get(r.pk, ())),
                    labels=dict(r.labels or {}),
                    base_parameters=dict(r.base_parameters or {}),
                    files=tuple(
                        NetworkFile(
                            name, object_name(r.id, name, file_name), digest, size, created_at
                        )
                        for name, digest, file_name, size, created_at in files.get(r.pk, ())
                    ),
                    thumbnail_digest=r.thumbnail_digest,
                    thumbnail_original_digest=r.thumbnail_original_digest,
                    thumb_object_name=thumb_name,
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                )
            )
        return out

    def _tags_and_files(
        self, pks: Sequence[int]
    ) -> tuple[dict[int, list[str]], dict[int, list[tuple[str, str, str, int, datetime]]]]:
        tags: dict[int, list[str]] = {}
        files: dict[int, list[tuple[str, str, str, int, datetime]]] = {}
        for part in chunked(pks):
            for network_pk, tag in self.session.execute(
                select(NetworkTagRow.network_pk, NetworkTagRow.tag)
                .where(NetworkTagRow.network_pk.in_(part))
                .order_by(NetworkTagRow.network_pk, NetworkTagRow.position)
            ):
                tags.setdefault(network_pk, []).append(tag)
            for network_pk, name, digest, file_name, size, created_at in self.session.execute(
                select(
                    NetworkFileRow.network_pk,
                    NetworkFileRow.name,
                    NetworkFileRow.digest,
                    NetworkFileRow.file_name,
                    BlobRow.size,
                    NetworkFileRow.created_at,
                )
                .join(BlobRow, BlobRow.digest == NetworkFileRow.digest)
                .where(NetworkFileRow.network_pk.in_(part))
                .order_by(NetworkFileRow.network_pk, NetworkFileRow.name)
            ):
                files.setdefault(network_pk, []).append((name, digest, file_name, size, created_at))
        return tags, files

    # ----------------------------------------------------------------------- writing

    def add(
        self,
        organization_id: uuid.UUID,
        *,
        owner_id: uuid.UUID,
        name: str,
        type: str,
        description: str = "",
        labels: Mapping[str, str] | None = None,
        at: datetime,
    ) -> StoredNetwork:
        """A new private network."""
        row = NetworkRow(
            id=uuid.uuid4(),
            organization_id=organization_id,
            owner_id=owner_id,
            name=name,
            type=type,
            framework="",
            private=True,
            description=description,
            readme_text="",
            labels=dict(labels or {}),
            base_parameters={},
            created_at=at,
            updated_at=at,
        )
        with self._guard(
            exists=f"a network named {name!r} already exists in this organization",
            missing=f"no organization {organization_id}",
        ):
            self.session.add(row)
        return _stored(row)

    def update(self, pk: int, values: Mapping[str, Any], *, at: datetime) -> None:
        """Set some columns (``name``, ``type``, ``framework``, ``private``, ``description``,
        ``readme_text``, ``labels``, ``base_parameters``)."""
        row = self.session.get_one(NetworkRow, pk)
        name = values.get("name", row.name)
        with self._guard(exists=f"a network named {name!r} already exists in this organization"):
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = at

    def set_tags(self, pk: int, tags: Sequence[str]) -> None:
        """Replace the network's tags, keeping their order."""
        self.session.execute(delete(NetworkTagRow).where(NetworkTagRow.network_pk == pk))
        self.session.add_all(
            NetworkTagRow(network_pk=pk, tag=t, position=i) for i, t in enumerate(tags)
        )

    def delete(self, pk: int) -> None:
        self.session.execute(delete(NetworkRow).where(NetworkRow.pk == pk))

    def file_name(self, pk: int, name: str) -> str | None:
        """The file name that file ``name`` of the network was stored under."""
        row = self.session.get(NetworkFileRow, (pk, name))
        return None if row is None else row.file_name

    def put_file(
        self, pk: int, name: str, digest: str, *, file_name: str | None = None, at: datetime
    ) -> None:
        """Store file ``name`` for ``digest`` under ``file_name``: a new file (named as
        itself without one), or new bytes for a file (created anew at ``at``; its file name
        kept without one)."""
        row = self.session.get_one(NetworkRow, pk)
        existing = self.session.get(NetworkFileRow, (pk, name))
        with self._guard(missing=f"the bytes {digest[:12]}… are gone from the store"):
            if existing is None:
                self.session.add(
                    NetworkFileRow(
                        network_pk=pk, name=name, digest=digest, file_name=file_name or name
                    )
                )
            else:
                existing.digest = digest
                existing.file_name = file_name or existing.file_name
                existing.created_at = at
            row.updated_at = at

    def add_files(self, pk: int, files: Sequence[tuple[str, str, str]]) -> None:
        """Store files (name, digest and file name) of a new network."""
        with self._guard(missing="the bytes of a file are gone from the store"):
            self.session.add_all(
                NetworkFileRow(network_pk=pk, name=name, digest=digest, file_name=file_name)
                for name, digest, file_name in files
            )

    def set_thumbnail(self, pk: int, *, digest: str, original: str, at: datetime) -> None:
        row = self.session.get_one(NetworkRow, pk)
        with self._guard(missing="the thumbnail's bytes are gone from the store"):
            row.thumbnail_digest = digest
            row.thumbnail_original_digest = original
            row.updated_at = at
