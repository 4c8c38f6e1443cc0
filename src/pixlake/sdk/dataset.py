"""``Dataset``: versions of pictures with labels and annotations, as the contract gives them.

A dataset version is named ``"<name>/<version>"``; its id is ``dataset_id``.  Most methods work
on the *fetched* version (``fetch``, ``create`` or ``new_version`` set it).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from pixlake.errors import InvalidQueryError, ResourceNotFoundError, TyperError
from pixlake.files import is_plain_file, write_new
from pixlake.names import check_file_name
from pixlake.sdk import _transfer
from pixlake.sdk._base import LakeResource
from pixlake.sdk._export import export_version
from pixlake.sdk._http import Connection
from pixlake.sdk._local import cannot_write, make_folder
from pixlake.sdk._progress import Bar
from pixlake.sdk._records import DatasetRecord, PictureRecord, picture_ids
from pixlake.sdk._samehost import LocalStore

__all__ = ["Dataset"]

Records = list[DatasetRecord]
Pictures = list[PictureRecord]
Objects = list[dict[str, Any]]
QAs = list[dict[str, str]]

PAGE = 500
#: Images fetched by one request when downloading, and the bytes such a request may carry.
BATCH = 32
BATCH_BYTES = 64 * 1024 * 1024
ANNOTATION_PAGE = 200
ANN_TYPES = ("rectangle", "polygon", "classification")
STATUSES = ("pending", "accepted", "rejected", "review")
PathLike = str | os.PathLike[str]


class DownloadReport(NamedTuple):
    """What a download did: the version (``name/version``, resolved), the folder, and how
    many images it fetched and found already there with the right bytes."""

    dataset: str
    folder: Path
    fetched: int
    kept: int


def _check_status(status: str | None) -> None:
    """Refuse an unknown review status before any request."""
    if status is not None and status not in STATUSES:
        raise InvalidQueryError(f"status {status!r} is not one of {', '.join(STATUSES)}")


def split_name(dataset: str) -> tuple[str, str]:
    """``"name/version"`` as ``(name, version)``; exactly one ``/``."""
    if not isinstance(dataset, str):
        raise TypeError(f"dataset must be a string 'name/version', not {type(dataset).__name__}")
    parts = dataset.split("/")
    if len(parts) != 2 or not all(parts):
        raise InvalidQueryError(
            f"{dataset!r} is not a dataset version: expected 'name/version', e.g. 'cars/first'"
        )
    return parts[0], parts[1]


def validate_objects(data: Any) -> None:
    """The contract's client-side checks of annotation objects (``TyperError`` naming the
    offending object), before any request is sent."""
    if not isinstance(data, list):
        raise TyperError(f"data must be a list of objects, not {type(data).__name__}")
    for i, obj in enumerate(data):
        where = f"data[{i}]"
        if not isinstance(obj, dict):
            raise TyperError(f"{where} must be a dict, not {type(obj).__name__}")
        kind = obj.get("type")
        if kind not in ("classification", "rectangle", "polygon", "mask"):
            raise TyperError(
                f"{where}.type must be one of classification, rectangle, polygon; got {kind!r}"
            )
        if not isinstance(obj.get("label"), str) or not obj["label"]:
            raise TyperError(f"{where} needs a label (a label name of the dataset)")
        if kind == "rectangle":
            box = obj.get("rectangle")
            missing = [
                k
                for k in ("top", "left", "width", "height")
                if not isinstance(box, dict) or k not in box
            ]
            if missing:
                raise TyperError(f"{where}.rectangle needs {', '.join(missing)}")
        if kind == "polygon":
            polygon = obj.get("polygon")
            geometry = polygon.get("geometry") if isinstance(polygon, dict) else None
            if not isinstance(geometry, list) or len(geometry) < 3:
                raise TyperError(f"{where}.polygon.geometry needs at least 3 {{x, y}} points")
            for j, point in enumerate(geometry):
                if not isinstance(point, dict) or "x" not in point or "y" not in point:
                    raise TyperError(f"{where}.polygon.geometry[{j}] must be an {{x, y}} point")


class _Fetcher:
    """Fetches a batch of a version's pictures into ``root`` (``Dataset.download``): what is
    not already there, copied from the server's store when this process sees it, else small
    images many per request and large ones streamed (and resumable) one by one."""

    def __init__(
        self, conn: Connection, org_path: str, local: LocalStore | None, root: Path
    ) -> None:
        self.conn, self.org_path, self.local, self.root = conn, org_path, local, root

    def target(self, picture: dict[str, Any]) -> Path:
        # written through <name>.part and renamed: a link in the folder is replaced,
        # never written through (``pixlake.files``)
        return self.root / check_file_name(picture["external_url"], field="external_url")

    @staticmethod
    def present(picture: dict[str, Any], dest: Path) -> bool:
        return (
            is_plain_file(dest)
            and dest.stat().st_size == picture["size"]
            and _transfer.file_digest(dest) == picture["sha256"]
        )

    def __call__(self, pictures: list[dict[str, Any]]) -> int:
        """Fetch the batch; returns how many were already there."""
        todo = [(p, self.target(p)) for p in pictures]
        todo = [(p, dest) for p, dest in todo if not self.present(p, dest)]
        kept = len(pictures) - len(todo)
        if self.local is not None:  # copied from the server's store, each one verified
            local = self.local
            todo = [
                (p, dest)
                for p, dest in todo
                if not local.copy_verified(p["sha256"], p["size"], dest)
            ]
        small = [(p, dest) for p, dest in todo if p["size"] <= BATCH_BYTES // BATCH]
        for p, dest in todo:
            if p["size"] > BATCH_BYTES // BATCH:
                _transfer.download(
                    self.conn,
                    f"{self.org_path}/pictures/{p['picture_id']}/file",
                    dest,
                    expected_digest=p["sha256"],
                    expected_size=p["size"],
                    progress=False,
                )
        if small:
            digests = [p["sha256"] for p, _ in small]
            datas = _transfer.read_blobs(self.conn, self.org_path, digests)
            for (_p, dest), data in zip(small, datas, strict=True):
                try:
                    write_new(dest, data)
                except OSError as exc:
                    raise cannot_write(dest, exc) from exc
        return kept


class Dataset(LakeResource):
    """Datasets of the organization: versions, pictures, labels, annotations, downloads and
    exports."""

    def _reset(self) -> None:
        self.dataset_id: str | None = None
        self.fetched_dataset: DatasetRecord | dict[str, Any] = {}
        self.dataset_list: Records = []
        self.pictures: Pictures = []
        self.annotations: Objects = []
        #: What the last export's format left out or changed, a sentence each.
        self.export_notes: list[str] = []

    def __str__(self) -> str:
        if not self.fetched_dataset:
            return "No dataset fetched: use fetch(name, version) or create(name, pictures=...)"
        return json.dumps(self.fetched_dataset, indent=2, default=str)

    # ------------------------------------------------------------------ helpers

    @property
    def _api(self) -> Any:
        return self._ctx.connection

    def _version_path(self, dataset_id: str | None = None) -> str:
        chosen = dataset_id or self.dataset_id
        if not chosen:
            raise InvalidQueryError(
                "no dataset selected: fetch(name, version) or create(...) first, "
                "or pass dataset_id=..."
            )
        return f"{self._ctx.org_path}/dataset-versions/{chosen}"

    def _select(self, record: DatasetRecord) -> Dataset:
        self.dataset_id = str(record["dataset_id"])
        self.fetched_dataset = record
        return self

    def _record(self, name: str, version: str | None) -> DatasetRecord:
        if not isinstance(name, str) or not name:
            raise InvalidQueryError("give the dataset's name")
        path = f"{self._ctx.org_path}/datasets/{_q(name)}/versions/{_q(version or 'latest')}"
        record: DatasetRecord = self._api.get(path)
        return record

    def _pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        query = dict(params or {})
        while True:
            page = self._api.get(path, params=query)
            yield from page["data"]
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    # ------------------------------------------------------------------ versions

    def list(self) -> Records:
        """Every version of every dataset of the organization; also kept in ``dataset_list``."""
        answer = self._api.get(f"{self._ctx.org_path}/datasets")
        self.dataset_list = answer["data"]
        for record in self.dataset_list[:5]:
            self._say("%s/%s: %d assets", record["dataset_name"], record["version"], record["size"])
        if len(self.dataset_list) > 5:
            self._say("... %d more ...", len(self.dataset_list) - 5)
        return self.dataset_list

    def fetch(self, name: str | None = None, version: str | None = None) -> Dataset:
        """Select a version (``None`` or ``"latest"``: the newest) and return ``self``."""
        if name is None:
            raise InvalidQueryError("give the dataset's name: fetch(name, version)")
        self._select(self._record(name, version))
        self._say("Successfully fetched dataset %s", name)
        return self

    def create(
        self,
        name: str = "",
        description: str = "",
        private: bool = True,
        pictures: Sequence[PictureRecord | str] | None = None,
    ) -> Dataset:
        """Create dataset ``name`` with a first version ``"first"`` holding ``pictures``."""
        if not pictures:
            raise InvalidQueryError(
                "give the pictures of the first version: pictures=picture.fetch(...)"
            )
        record = self._api.post(
            f"{self._ctx.org_path}/datasets",
            json={
                "name": name,
                "description": description,
                "private": private,
                "pictures": picture_ids(pictures),
            },
        )
        self._say("Dataset %s created with %d assets", name, record["size"])
        return self._select(record)

    def new_version(
        self,
        name: str = "",
        version: str = "",
        pictures: Sequence[PictureRecord | str] | None = None,
        from_version: str = "latest",
    ) -> Dataset:
        """Create version ``version`` of ``name``, copying ``from_version`` (its pictures,
        labels and annotations) and adding ``pictures``; selects it and returns ``self``."""
        record = self._api.post(
            f"{self._ctx.org_path}/datasets/{_q(name)}/versions",
            json={
                "version": version,
                "from_version": from_version,
                "pictures": picture_ids(pictures or []),
            },
        )
        self._say(
            "Version %s for dataset %s created with %d assets in it", version, name, record["size"]
        )
        return self._select(record)

    def list_pictures(self, dataset_id: str | None = None) -> Pictures:
        """The pictures of the fetched version (or of ``dataset_id``); also kept in
        ``pictures``."""
        path = self._version_path(dataset_id) + "/pictures"
        self.pictures = list(self._pages(path, {"limit": 1000}))  # type: ignore[arg-type]
        return self.pictures

    def add_data(
        self,
        name: str = "",
        version: str = "latest",
        pictures: Sequence[PictureRecord | str] | None = None,
    ) -> None:
        """Add pictures to ``name``/``version`` (the fetched version wins when there is one)."""
        if not pictures:
            raise InvalidQueryError("give the pictures to add: pictures=[...]")
        target = self.dataset_id or str(self._record(name, version)["dataset_id"])
        added = self._api.post(
            f"{self._ctx.org_path}/dataset-versions/{target}/pictures",
            json={"pictures": picture_ids(pictures)},
        )["count"]
        if self.dataset_id == target:
            self.fetched_dataset = self._api.get(self._version_path())
        self._say("%d assets added to Dataset %s/%s", added, name, version)

    def delete(self, name: str, version: str = "latest") -> None:
        """Delete a version: its membership and annotations, not the datalake's pictures."""
        record = self._api.request(
            "DELETE", f"{self._ctx.org_path}/datasets/{_q(name)}/versions/{_q(version)}"
        ).json()
        if self.dataset_id == str(record["dataset_id"]):
            self.dataset_id, self.fetched_dataset = None, {}
        self._say("Dataset %s deleted", name)

    # ------------------------------------------------------------------ labels and annotations

    def create_labels(self, name: str, ann_type: str, verbose: bool = True) -> None:
        """Add label ``name`` of type ``ann_type`` (rectangle, polygon or classification) to
        the fetched version; an existing label of the same type is not an error."""
        if not isinstance(name, str) or not isinstance(ann_type, str):
            raise TypeError("name and ann_type must be strings")
        if ann_type not in ANN_TYPES:
            raise InvalidQueryError(f"ann_type {ann_type!r} is not one of {', '.join(ANN_TYPES)}")
        self._api.post(
            self._version_path() + "/labels", json={"labels": [{"name": name, "type": ann_type}]}
        )
        if verbose:
            self._say("Label %s created", name)

    def add_annotation(
        self,
        picture_external_url: str,
        dataset_id: str | None = None,
        data: Objects | None = None,
        image_qa: QAs | None = None,
        *,
        replace: bool = True,
        status: str | None = None,
        split: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Annotate a picture of the version: ``data`` replaces its objects (or, with
        ``replace=False``, extends them).  ``status`` sets the review status, ``split`` the
        part of the dataset the picture is in (``train``, ``val``...); ``nb_instances`` and
        ``duration`` are kept too."""
        if not isinstance(picture_external_url, str):
            raise TypeError("picture_external_url must be the picture's file name")
        if data is None:
            raise TyperError("data is required: a list of annotation objects")
        validate_objects(data)
        _check_status(status)
        unknown = set(kwargs) - {"nb_instances", "duration", "picture_id"}
        if unknown:
            raise TypeError(
                f"add_annotation() got unexpected keywords: {', '.join(sorted(unknown))}"
            )
        body = {
            "external_url": picture_external_url,
            "data": data,
            "image_qa": image_qa,
            "status": status,
            "nb_instances": kwargs.get("nb_instances"),
            "duration": kwargs.get("duration"),
            "split": split,
        }
        answer = self._api.request(
            "PUT",
            self._version_path(dataset_id) + "/annotations",
            json={"annotations": [body], "replace": replace},
        ).json()
        return {"message": "annotation saved", "objects": answer["count"]}

    def set_annotation_status(
        self, pictures: Sequence[str], status: str, dataset_id: str | None = None
    ) -> int:
        """Set the review status (pending, accepted, rejected, review) of pictures'
        annotations, by file name; returns how many changed."""
        if isinstance(pictures, str):
            pictures = [pictures]
        answer = self._api.post(
            self._version_path(dataset_id) + "/annotations/status",
            json={"pictures": list(pictures), "status": status},
        )
        return int(answer["count"])

    def get_annotations(
        self,
        picture_name: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        from_snapshot: bool = False,
        *,
        status: str | None = None,
    ) -> Any:
        """The fetched version's annotation records, or one picture's.

        With ``limit`` (and ``offset``), one page; otherwise all, page by page.  ``status``
        keeps only annotations of that review status.  ``from_snapshot`` is accepted for
        compatibility: pixlake always reads the live annotations.
        """
        path = self._version_path() + "/annotations"
        if picture_name is not None:
            found = self._api.get(path, params={"external_url": picture_name, "limit": 1})["data"]
            if not found:
                raise ResourceNotFoundError(f"no annotation for picture {picture_name!r}")
            return found[0]
        params: dict[str, Any] = {}
        if status is not None:
            params["status"] = status
        if limit is not None:
            params.update(limit=limit, offset=offset or 0)
            page = self._api.get(path, params=params)["data"]
            self.annotations = page
            return page
        params["limit"] = ANNOTATION_PAGE
        self.annotations = list(self._pages(path, params))
        return self.annotations

    def delete_annotations(
        self,
        dataset_id: str | None = None,
        picture_id: str | None = None,
        all_annotations: bool = False,
    ) -> dict[str, Any]:
        """Delete one picture's annotation, or all of them with ``all_annotations=True``."""
        if picture_id is None and not all_annotations:
            raise InvalidQueryError(
                "give picture_id=..., or all_annotations=True to delete every annotation"
            )
        params = {} if picture_id is None else {"picture_id": picture_id}
        answer = self._api.request(
            "DELETE", self._version_path(dataset_id) + "/annotations", params=params
        ).json()
        return {"message": "annotations deleted", "count": answer["count"]}

    def add_annotation_legacy(
        self, annotation_yield: Any, new_picture: bool = False, dataset_id: str | None = None
    ) -> None:
        """Bulk form of ``add_annotation`` (deprecated upstream): ``annotation_yield`` gives
        ``{external_picture_url, annotations: [objects], nb_labels?, time_spent?}`` records."""
        batch: list[dict[str, Any]] = []
        for record in annotation_yield:
            objects = record.get("annotations", [])
            validate_objects(objects)
            batch.append(
                {
                    "external_url": record["external_picture_url"],
                    "data": objects,
                    "nb_instances": record.get("nb_labels", record.get("nb_instances")),
                    "duration": record.get("time_spent", record.get("duration")),
                }
            )
        if batch:
            self._api.request(
                "PUT",
                self._version_path(dataset_id) + "/annotations",
                json={"annotations": batch, "replace": True},
            )

    # ------------------------------------------------------------------ bytes out

    def items(self, dataset_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every picture of the version with its annotation (``{"picture", "annotation"}``),
        a page at a time."""
        return self._pages(self._version_path(dataset_id) + "/items", {"limit": PAGE})

    def download(
        self, dataset: str, folder_name: PathLike | None = None, nb_threads: int = 20
    ) -> DownloadReport:
        """Download every image of ``"name/version"`` into ``folder_name`` (default
        ``name/version``, with ``latest`` resolved to the version it names), in parallel;
        files already there with the right bytes are skipped, so an interrupted download
        resumes.  On the server's machine, images are copied from its store's files (see
        ``PIXLAKE_SAME_HOST`` in the docs).

        Returns what it did, a :class:`DownloadReport` (upstream returned ``None``)."""
        name, version = split_name(dataset)
        record = self._record(name, version)
        # by default a folder per version, "latest" resolved: versions never share one
        folder = Path(folder_name) if folder_name is not None else Path(name) / record["version"]
        if folder.exists() and not folder.is_dir():
            raise InvalidQueryError(f"{folder} is a file, not a folder: download into a folder")
        make_folder(folder)
        root = folder.resolve()
        conn = self._ctx.connection
        org_path = self._ctx.org_path
        local = conn.local_store()
        threads = max(1, min(nb_threads, 8))

        fetch = _Fetcher(conn, org_path, local, root)

        with (
            Bar("Downloading", total=record["size"], enabled=self.interactive) as bar,
            ThreadPoolExecutor(max_workers=threads) as pool,
        ):
            # a sliding window of batches: the oldest is waited for once 2 per thread are out
            pending: deque[tuple[Future[int], int]] = deque()
            batch: list[dict[str, Any]] = []
            total = kept = 0

            def settle(window: int) -> None:
                nonlocal kept
                while len(pending) > window:
                    future, size = pending.popleft()
                    kept += future.result()
                    bar.advance(size)

            for item in self.items(str(record["dataset_id"])):
                batch.append(item["picture"])
                total += 1
                if len(batch) >= BATCH:
                    pending.append((pool.submit(fetch, batch), len(batch)))
                    batch = []
                    settle(2 * threads)
            if batch:
                pending.append((pool.submit(fetch, batch), len(batch)))
            settle(0)
        self._say("Images downloaded: %d fetched, %d already there", total - kept, kept)
        return DownloadReport(f"{name}/{record['version']}", folder, total - kept, kept)

    def export(
        self,
        format: str,
        path: PathLike,
        zip: bool = False,
        *,
        yolo_mode: str | None = None,
        yolo_absolute: bool = False,
        status: str | None = None,
    ) -> Path:
        """Export the fetched version as COCO, PASCAL-VOC or YOLO (case-insensitive) into
        folder ``path``, or into the zip file ``path`` with ``zip=True``; returns the path.

        Pictures with a split go where the format's tools look for it (COCO's
        ``annotations/instances_<split>.json`` and ``images/<split>/``, PASCAL-VOC's
        ``ImageSets/Main/<split>.txt``, YOLO's ``images/<split>/`` and ``labels/<split>/``).
        ``yolo_mode`` (YOLO only): ``"detect"`` writes every object as a box row (the
        default), ``"segment"`` writes polygons as ``class x1 y1 x2 y2 ...`` rows.
        ``yolo_absolute`` (YOLO into a folder): ``data.yaml`` gives the folder's absolute
        path as ``path``, for a copy of it read from elsewhere; without it, Ultralytics reads
        the folders beside it.  ``status`` (``"pending"``, ``"accepted"``, ``"rejected"`` or
        ``"review"``) exports only the pictures whose annotation has that review status, with
        every label.  What a format could not hold as it is (YOLO's crowd regions, say) is
        said once the export ends and kept in ``export_notes``, and in the export's
        ``pixlake-export-notes.txt``."""
        _check_status(status)
        result = export_version(
            self._ctx,
            self._version_path(),
            format,
            Path(path),
            as_zip=zip,
            progress=self.interactive,
            yolo_mode=yolo_mode,
            yolo_absolute=yolo_absolute,
            status=status,
        )
        self.export_notes = result.notes
        for note in result.notes:
            self._say("Note: %s", note)
        return result.path


def _q(segment: str) -> str:
    return quote(segment, safe="")
