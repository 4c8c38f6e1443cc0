"""Repositories: one per aggregate, over one transaction's session, returning entities.

Services reach them through the ``UnitOfWork`` that ``Database.transaction()`` and
``Database.read()`` yield.  Each repository keeps its own queries, its dialect-specific fast
paths (chosen here, never in a service) and the mapping of integrity violations to the
errors that name its resource.
"""

from pixlake.store.db.repositories._base import Repository, integrity_error, integrity_kind
from pixlake.store.db.repositories.accounts import AccountRepository
from pixlake.store.db.repositories.annotations import AnnotationRepository
from pixlake.store.db.repositories.blobs import BlobRepository
from pixlake.store.db.repositories.datasets import DatasetRepository
from pixlake.store.db.repositories.experiments import (
    DataAssetRepository,
    ExperimentRepository,
    FileAssetRepository,
    NamedAssetRepository,
    NewFile,
    StoredData,
    StoredExperiment,
)
from pixlake.store.db.repositories.jobs import JobRepository, StartedJob
from pixlake.store.db.repositories.networks import HubFilter, NetworkRepository, StoredNetwork
from pixlake.store.db.repositories.pictures import PictureRepository, StoredPicture
from pixlake.store.db.repositories.projects import ProjectRepository, StoredProject
from pixlake.store.db.repositories.storage import StorageRepository

__all__ = [
    "AccountRepository",
    "AnnotationRepository",
    "BlobRepository",
    "JobRepository",
    "DatasetRepository",
    "DataAssetRepository",
    "ExperimentRepository",
    "FileAssetRepository",
    "HubFilter",
    "NamedAssetRepository",
    "NetworkRepository",
    "NewFile",
    "PictureRepository",
    "ProjectRepository",
    "Repository",
    "StartedJob",
    "StorageRepository",
    "StoredData",
    "StoredExperiment",
    "StoredNetwork",
    "StoredPicture",
    "StoredProject",
    "integrity_error",
    "integrity_kind",
]
