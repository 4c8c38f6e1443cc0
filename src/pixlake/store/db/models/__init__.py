"""Every row module, imported so that ``Base.metadata`` is complete (migrations need it).

A new domain adds its rows in its own module here and one import line below.
"""

from pixlake.store.db.models.accounts import (
    ApiTokenRow,
    MembershipRow,
    OrganizationRow,
    SignInFailureRow,
    UserRow,
    WebSessionRow,
)
from pixlake.store.db.models.base import Base, utcnow
from pixlake.store.db.models.datalake import (
    BlobRow,
    OrganizationBlobRow,
    PictureRow,
    PictureTagRow,
    TagRow,
    ThumbnailRow,
)
from pixlake.store.db.models.datasets import (
    AnnotationRow,
    DatasetRow,
    DatasetVersionRow,
    LabelRow,
    ShapeRow,
    VersionPictureRow,
)
from pixlake.store.db.models.jobs import JobRow
from pixlake.store.db.models.networks import NetworkFileRow, NetworkRow, NetworkTagRow
from pixlake.store.db.models.projects import (
    DataAssetRow,
    ExperimentRow,
    FileAssetRow,
    LineBlockRow,
    LinePointRow,
    LogLineRow,
    ProjectDatasetRow,
    ProjectRow,
)
from pixlake.store.db.models.storage import StorageObjectRow, StorageTicketRow, StorageUploadRow

__all__ = [
    "AnnotationRow",
    "ApiTokenRow",
    "Base",
    "BlobRow",
    "DataAssetRow",
    "DatasetRow",
    "DatasetVersionRow",
    "ExperimentRow",
    "FileAssetRow",
    "JobRow",
    "LabelRow",
    "LineBlockRow",
    "LinePointRow",
    "LogLineRow",
    "MembershipRow",
    "NetworkFileRow",
    "NetworkRow",
    "NetworkTagRow",
    "OrganizationBlobRow",
    "OrganizationRow",
    "PictureRow",
    "PictureTagRow",
    "ProjectDatasetRow",
    "ProjectRow",
    "ShapeRow",
    "SignInFailureRow",
    "StorageObjectRow",
    "StorageTicketRow",
    "StorageUploadRow",
    "TagRow",
    "ThumbnailRow",
    "UserRow",
    "VersionPictureRow",
    "WebSessionRow",
    "utcnow",
]
