"""One transaction and its repositories.

``Database.transaction()`` and ``Database.read()`` yield a ``UnitOfWork``; a service reaches
the database only through its repositories (``uow.pictures.records(...)``), each built on the
same session the first time it is asked for.  Rows and SQL stay below this line: services see
entities (``pixlake.entities``) and plain values.  The session itself is for the repositories
and for tests that inspect what was stored.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.orm import Session

from pixlake.store.db.repositories import (
    AccountRepository,
    AnnotationRepository,
    BlobRepository,
    DatasetRepository,
    ExperimentRepository,
    JobRepository,
    NetworkRepository,
    PictureRepository,
    ProjectRepository,
    StorageRepository,
)

__all__ = ["UnitOfWork"]


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.session)

    @cached_property
    def annotations(self) -> AnnotationRepository:
        return AnnotationRepository(self.session)

    @cached_property
    def blobs(self) -> BlobRepository:
        return BlobRepository(self.session)

    @cached_property
    def datasets(self) -> DatasetRepository:
        return DatasetRepository(self.session)

    @cached_property
    def experiments(self) -> ExperimentRepository:
        return ExperimentRepository(self.session)

    @cached_property
    def jobs(self) -> JobRepository:
        return JobRepository(self.session)

    @cached_property
    def networks(self) -> NetworkRepository:
        return NetworkRepository(self.session)

    @cached_property
    def pictures(self) -> PictureRepository:
        return PictureRepository(self.session)

    @cached_property
    def projects(self) -> ProjectRepository:
        return ProjectRepository(self.session)

    @cached_property
    def storage(self) -> StorageRepository:
        return StorageRepository(self.session)
