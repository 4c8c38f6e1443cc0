"""Wire models: networks (the model registry) and the hub.

``NetworkPublic`` keeps the field names of the Picsellia network record (``model_id``,
``network_name``, ``description``, ``type``, ``owner``, ``organization``, ``private``,
``framework``, ``tag``, ``files`` as a name-to-object-key mapping, ``labels``,
``base_parameters``, ``readme_text``, ``thumb_object_name``) and adds ``date_created``,
``last_update``, ``thumbnail_url`` and ``file_details`` (digest, size and download URL of
each stored file).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pixlake.errors import InvalidInputError
from pixlake.schemas.common import (
    MAX_DESCRIPTION,
    MAX_README,
    FileName,
    Name,
    Tag,
    WireModel,
    text_field,
)

__all__ = [
    "NETWORK_FIELDS",
    "NETWORK_READ_ONLY_FIELDS",
    "NETWORK_UPDATABLE_FIELDS",
    "NetworkCreate",
    "NetworkFileCreate",
    "NetworkFilePublic",
    "NetworkOrganization",
    "NetworkOwner",
    "NetworkPublic",
    "NetworkThumbnailSet",
    "NetworkUpdate",
    "NetworksPublic",
    "check_labels",
]


class NetworkCreate(WireModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name = Field(description="unique in the organization")
    type: Name = Field(description="the task: detection, segmentation, classification, ...")


class NetworkUpdate(WireModel):
    """The fields an update may change; absent (or null) fields are left as they are."""

    model_config = ConfigDict(extra="forbid", strict=True)

    network_name: Name | None = None
    type: Name | None = None
    framework: Name | None = None
    private: bool | None = None
    description: str | None = text_field(MAX_DESCRIPTION, None)
    readme_text: str | None = text_field(MAX_README, None, description="markdown, stored as text")
    tag: list[Tag] | None = None
    labels: dict[str, str] | None = Field(None, description='{"1": "car", "2": "bus", ...}')
    base_parameters: dict[str, Any] | None = None


class NetworkFileCreate(WireModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: FileName = Field(description="the file's name in the network, e.g. 'model-latest'")
    sha256: str = Field(description="digest of bytes already sent to /blobs")
    file_name: FileName | None = Field(
        None,
        description="the name of the file stored, e.g. 'best.pt': its object key ends with "
        "it and downloads write it (without it: a new file is named as itself, a replaced "
        "one keeps its file name)",
    )


class NetworkThumbnailSet(WireModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sha256: str = Field(description="digest of an image (under 5 MiB) already sent to /blobs")


class NetworkOwner(BaseModel):
    id: uuid.UUID
    username: str


class NetworkOrganization(BaseModel):
    id: uuid.UUID
    name: str


class NetworkFilePublic(BaseModel):
    object_name: str
    file_name: str = Field(description="the name of the file stored, which downloads write")
    sha256: str
    size: int
    url: str
    date_created: datetime


class NetworkPublic(BaseModel):
    model_id: uuid.UUID
    network_name: str
    description: str
    type: str
    owner: NetworkOwner | None
    organization: NetworkOrganization
    private: bool
    framework: str
    tag: list[str]
    files: dict[str, str] = Field(description="file name to object key")
    labels: dict[str, str]
    base_parameters: dict[str, Any]
    readme_text: str
    thumb_object_name: str | None
    date_created: datetime
    last_update: datetime
    thumbnail_url: str | None
    file_details: dict[str, NetworkFilePublic]


class NetworksPublic(BaseModel):
    data: list[NetworkPublic]
    count: int
    next_cursor: str | None = None


#: Every field of the network record.
NETWORK_FIELDS = frozenset(NetworkPublic.model_fields)
#: Those ``update`` may change.
NETWORK_UPDATABLE_FIELDS = frozenset(NetworkUpdate.model_fields)
#: Those it may not: they are set by the server, or by ``store`` and ``update_thumb``.
NETWORK_READ_ONLY_FIELDS = NETWORK_FIELDS - NETWORK_UPDATABLE_FIELDS


MAX_LABELS = 100_000
MAX_LABEL = 200


def check_labels(labels: object) -> dict[str, str]:
    """A label map, ordered by index: keys are the strings "1", "2", … with no gap.

    Raises ``InvalidInputError`` naming every offending key or name.
    """
    if not isinstance(labels, Mapping):
        raise InvalidInputError(
            'labels: expected an object mapping "1", "2", ... to label names',
            details=[{"field": "labels", "message": "expected a dict"}],
        )
    if len(labels) > MAX_LABELS:
        raise InvalidInputError(
            f"labels: more than {MAX_LABELS} labels",
            details=[{"field": "labels", "message": f"at most {MAX_LABELS} labels"}],
        )
    problems: list[dict[str, str]] = []
    indexes: dict[int, str] = {}
    for key, value in labels.items():
        where = f"labels[{key!r}]"
        if not isinstance(key, str) or not key.isdecimal() or not key.isascii():
            problems.append(
                {"field": where, "message": 'expected an index as a string, such as "1"'}
            )
            continue
        if key != str(int(key)):
            problems.append(
                {"field": where, "message": f'write the index without leading zeros: "{int(key)}"'}
            )
            continue
        if int(key) < 1:
            problems.append({"field": where, "message": 'indexes start at "1", not "0"'})
            continue
        if not isinstance(value, str):
            problems.append(
                {
                    "field": where,
                    "message": f"expected a label name (a string), not {type(value).__name__}",
                }
            )
            continue
        if (
            not value.strip()
            or len(value) > MAX_LABEL
            or any(ord(c) < 32 or ord(c) == 127 for c in value)
        ):
            problems.append(
                {"field": where, "message": f"expected a label name of 1 to {MAX_LABEL} characters"}
            )
            continue
        indexes[int(key)] = value
    if not problems and indexes:
        gaps = [i for i in range(1, max(indexes) + 1) if i not in indexes]
        if gaps:
            shown = ", ".join(f'"{g}"' for g in gaps[:10])
            problems.append(
                {
                    "field": "labels",
                    "message": f"indexes must be consecutive from 1; missing {shown}",
                }
            )
    if problems:
        raise InvalidInputError(
            f"the label map is not valid ({'; '.join(p['field'] for p in problems[:5])})",
            details=problems,
        )
    return {str(i): indexes[i] for i in sorted(indexes)}
