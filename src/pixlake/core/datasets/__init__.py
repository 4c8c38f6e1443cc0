"""Datasets: named versions of pictures, with typed labels and annotations.

A dataset is a name in an organization; it holds versions (``first`` is created with the
dataset, ``latest`` always means the newest).  A version is a set of datalake pictures plus its
labels and annotations; ``new_version`` copies rows from another version, never bytes.

One module per sub-domain: ``_rules`` (names, label types, statuses, splits, the parsing of
objects), ``_versions`` (datasets and versions, the pictures in each), ``_labels``,
``_writer`` (the bulk annotation writer, the imports' first writes, setting, reviewing and
deleting annotations), ``_listings`` (pages of pictures and annotations), ``_export``
(reading a version for an export, keeping a snapshot of it) and ``_owners`` (the
organization of a version named by id alone).  The queries are the repositories'
(``tx.datasets``, ``tx.annotations``).
"""

from pixlake.core.datasets._browsing import (
    SIZE_CLASSES,
    LabelStatistics,
    VersionPicture,
    VersionStatistics,
    VersionWindow,
    browse_version,
    version_picture,
    version_statistics,
)
from pixlake.core.datasets._export import iter_export, store_snapshot, version_files
from pixlake.core.datasets._labels import create_labels, get_metadata
from pixlake.core.datasets._listings import (
    get_annotation,
    list_annotations,
    list_items,
    list_version_pictures,
)
from pixlake.core.datasets._owners import experiment_version, version_organization
from pixlake.core.datasets._rules import (
    ANNOTATION_STATUSES,
    LABEL_TYPES,
    LATEST,
    AnnotationInput,
    parse_image_qa,
    parse_objects,
)
from pixlake.core.datasets._versions import (
    VersionHeader,
    add_pictures,
    create_dataset,
    delete_version,
    get_version,
    get_version_by_id,
    get_version_header,
    get_version_pk,
    list_versions,
    new_version,
)
from pixlake.core.datasets._writer import (
    AnnotationWriter,
    ImportTarget,
    PreparedAnnotation,
    PreparedObject,
    annotate_picture,
    delete_annotations,
    dump_shape,
    prepare_annotation,
    set_annotations,
    set_status,
    start_import,
    write_annotations,
)

__all__ = [
    "ANNOTATION_STATUSES",
    "SIZE_CLASSES",
    "LabelStatistics",
    "VersionPicture",
    "VersionStatistics",
    "VersionHeader",
    "VersionWindow",
    "browse_version",
    "get_version_header",
    "version_picture",
    "version_statistics",
    "LABEL_TYPES",
    "LATEST",
    "AnnotationInput",
    "AnnotationWriter",
    "ImportTarget",
    "PreparedAnnotation",
    "PreparedObject",
    "add_pictures",
    "annotate_picture",
    "create_dataset",
    "create_labels",
    "delete_annotations",
    "delete_version",
    "dump_shape",
    "experiment_version",
    "get_annotation",
    "get_metadata",
    "get_version",
    "get_version_by_id",
    "get_version_pk",
    "iter_export",
    "list_annotations",
    "list_items",
    "list_version_pictures",
    "list_versions",
    "new_version",
    "parse_image_qa",
    "parse_objects",
    "prepare_annotation",
    "set_annotations",
    "set_status",
    "start_import",
    "store_snapshot",
    "version_files",
    "version_organization",
    "write_annotations",
]
