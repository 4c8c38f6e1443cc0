"""Object storage for S3 clients: keys, multipart uploads and signed URLs (``tickets``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import delete, insert, select, update

from pixlake.entities.storage import Bucket, Method, StoredObject, Ticket, Upload
from pixlake.store.db.bulk import upsert
from pixlake.store.db.models import StorageObjectRow, StorageTicketRow, StorageUploadRow
from pixlake.store.db.repositories._base import Repository

__all__ = ["StorageRepository"]


def _ticket(row: StorageTicketRow) -> Ticket:
    return Ticket(
        method=cast(Method, row.method),
        organization_id=row.organization_id,
        bucket=cast(Bucket, row.bucket),
        key=row.key,
        expires_at=row.expires_at,
        digest=row.digest,
        max_size=row.max_size,
        upload_id=row.upload_id,
        part_no=row.part_no,
    )


class StorageRepository(Repository):
    __slots__ = ()

    # ------------------------------------------------------------------------ tickets

    def add_tickets(self, tickets: Sequence[tuple[str, Ticket]]) -> None:
        """Record signed URLs, each by the SHA-256 of its token."""
        if not tickets:
            return
        with self._guard(missing="the organization or the upload no longer exists"):
            self.session.execute(
                insert(StorageTicketRow),
                [
                    {
                        "token_hash": token_hash,
                        "method": t.method,
                        "organization_id": t.organization_id,
                        "bucket": t.bucket,
                        "key": t.key,
                        "digest": t.digest,
                        "max_size": t.max_size,
                        "upload_id": t.upload_id,
                        "part_no": t.part_no,
                        "expires_at": t.expires_at,
                    }
                    for token_hash, t in tickets
                ],
            )

    def ticket(self, token_hash: str, *, now: datetime) -> Ticket | None:
        """The ticket, while it is unused and unexpired."""
        row = self.session.scalar(
            select(StorageTicketRow).where(
                StorageTicketRow.token_hash == token_hash,
                StorageTicketRow.used_at.is_(None),
                StorageTicketRow.expires_at > now,
            )
        )
        return None if row is None else _ticket(row)

    def use_ticket(
        self, token_hash: str, *, now: datetime, digest: str | None = None, size: int | None = None
    ) -> bool:
        """Mark the ticket used (with the bytes a part upload received): ``False`` when it
        was used or expired meanwhile. One statement, so two uses never both succeed."""
        values: dict[str, object] = {"used_at": now}
        if digest is not None:
            values |= {"digest": digest, "size": size}
        done = self.session.execute(
            update(StorageTicketRow)
            .where(
                StorageTicketRow.token_hash == token_hash,
                StorageTicketRow.used_at.is_(None),
                StorageTicketRow.expires_at > now,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def purge(self, *, now: datetime) -> None:
        """Forget expired tickets and multipart uploads (their parts stay blobs, collected
        like any blob nothing refers to)."""
        self.session.execute(delete(StorageTicketRow).where(StorageTicketRow.expires_at <= now))
        self.session.execute(delete(StorageUploadRow).where(StorageUploadRow.expires_at <= now))

    # ------------------------------------------------------------------------ uploads

    def add_upload(self, upload: Upload, *, at: datetime) -> None:
        with self._guard(missing="the organization no longer exists"):
            self.session.add(
                StorageUploadRow(
                    id=upload.id,
                    organization_id=upload.organization_id,
                    bucket=upload.bucket,
                    key=upload.key,
                    created_at=at,
                    expires_at=upload.expires_at,
                )
            )
            self.session.flush()

    def upload(self, upload_id: uuid.UUID, *, now: datetime) -> Upload | None:
        """The multipart upload, while it is unexpired."""
        row = self.session.get(StorageUploadRow, upload_id)
        if row is None or row.expires_at <= now:
            return None
        return Upload(
            row.id, row.organization_id, cast(Bucket, row.bucket), row.key, row.expires_at
        )

    def parts(self, upload_id: uuid.UUID) -> dict[int, StoredObject]:
        """The parts received for the upload, by number (the last one sent for a number)."""
        rows = self.session.execute(
            select(StorageTicketRow.part_no, StorageTicketRow.digest, StorageTicketRow.size)
            .where(
                StorageTicketRow.upload_id == upload_id,
                StorageTicketRow.used_at.is_not(None),
                StorageTicketRow.digest.is_not(None),
            )
            .order_by(StorageTicketRow.used_at)
        ).all()
        return {
            int(no or 0): StoredObject(str(digest), int(size or 0)) for no, digest, size in rows
        }

    def delete_upload(self, upload_id: uuid.UUID) -> None:
        self.session.execute(
            delete(StorageTicketRow).where(StorageTicketRow.upload_id == upload_id)
        )
        self.session.execute(delete(StorageUploadRow).where(StorageUploadRow.id == upload_id))

    # ------------------------------------------------------------------------ objects

    def put_object(
        self,
        organization_id: uuid.UUID,
        bucket: Bucket,
        key: str,
        stored: StoredObject,
        *,
        at: datetime,
    ) -> None:
        """Make ``key`` name these bytes (replacing what it named)."""
        upsert(
            self.session,
            StorageObjectRow.__table__,  # type: ignore[arg-type]
            [
                {
                    "organization_id": organization_id,
                    "bucket": bucket,
                    "key": key,
                    "digest": stored.digest,
                    "size": stored.size,
                    "created_at": at,
                }
            ],
            keys=("organization_id", "bucket", "key"),
            update=("digest", "size", "created_at"),
        )

    def object(self, organization_id: uuid.UUID, bucket: Bucket, key: str) -> StoredObject | None:
        row = self.session.execute(
            select(StorageObjectRow.digest, StorageObjectRow.size).where(
                StorageObjectRow.organization_id == organization_id,
                StorageObjectRow.bucket == bucket,
                StorageObjectRow.key == key,
            )
        ).first()
        return None if row is None else StoredObject(row[0], int(row[1]))
