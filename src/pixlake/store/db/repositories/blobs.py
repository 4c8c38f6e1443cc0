"""Blobs: the bytes the store holds, and which organization holds which (its grants)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from pixlake.entities.datalake import BlobEntity
from pixlake.store.db.bulk import chunked
from pixlake.store.db.models import BlobRow, OrganizationBlobRow
from pixlake.store.db.repositories._base import Repository

__all__ = ["BlobRepository"]


class BlobRepository(Repository):
    __slots__ = ()

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

    def get(self, digest: str) -> BlobEntity:
        """The blob of this digest (known to exist: a row names it)."""
        row = self.session.get_one(BlobRow, digest)
        return BlobEntity(row.digest, row.size, row.media_type, row.width, row.height)

    def holds(self, organization_id: uuid.UUID, digest: str) -> bool:
        """Whether the organization holds these bytes (it sent them, or received them)."""
        return self.session.get(OrganizationBlobRow, (organization_id, digest)) is not None

    def grant(self, organization_id: uuid.UUID, digest: str) -> None:
        """Let the organization hold these bytes (already held: nothing changes)."""
        if not self.holds(organization_id, digest):
            with self._guard(missing=f"no blob {digest[:12]}… in the store"):
                self.session.add(
                    OrganizationBlobRow(organization_id=organization_id, digest=digest)
                )
