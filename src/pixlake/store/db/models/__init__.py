"""Every row module, imported so that ``Base.metadata`` is complete (migrations need it).

A new domain adds its rows in its own module here and one import line below.
"""

from pixlake.store.db.models.accounts import (
    ApiTokenRow,
    MembershipRow,
    OrganizationRow,
    UserRow,
)
from pixlake.store.db.models.base import Base, utcnow
from pixlake.store.db.models.datalake import (
    BlobRow,
    OrganizationBlobRow,
    PictureRow,
    PictureTagRow,
    TagRow,
)

__all__ = [
    "ApiTokenRow",
    "Base",
    "BlobRow",
    "MembershipRow",
    "OrganizationBlobRow",
    "OrganizationRow",
    "PictureRow",
    "PictureTagRow",
    "TagRow",
    "UserRow",
    "utcnow",
]
