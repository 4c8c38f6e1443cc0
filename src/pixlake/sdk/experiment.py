"""``Experiment``: runs of a project, with file assets, data assets and run logs.

As in the Picsellia SDK contract: ``checkout``, ``list``, ``create``, ``update``,
``delete``, ``delete_all``, ``dl_annotations`` and the training helpers, file assets
(``store``, ``list_files``, ``get_file``, ``update_file``, ``delete_file``,
``delete_all_files``, ``download``), data assets (``log``, ``list_data``, ``get_data``,
``update_data``, ``delete_data``, ``delete_all_data``, ``create_data``, ``append_data``),
the logging primitives, and ``publish``.  pixlake adds ``flush()``, ``capture()`` (a block's
stdout and exit code as run log), ``get_logs()`` and ``get_line()``.

Appends to ``line`` data and run-log lines are buffered and sent by a background thread at
least once a second, at exit, and before any read of an experiment in this process; so a
training loop logging point by point never waits on the network (``pixlake.sdk._runlog``,
which also holds the stdout tee of ``capture()``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from pixlake.errors import (
    InvalidInputError,
    InvalidQueryError,
    ResourceNotFoundError,
    UnsupportedFeatureError,
)
from pixlake.imaging import NotAnImageError, probe
from pixlake.names import check_file_name
from pixlake.schemas.experiments import (
    DATA_TYPES,
    MAX_DESCRIPTION,
    MAX_EXPERIMENT_NAME,
    check_data,
    check_line,
    encode_non_finite,
)
from pixlake.sdk._base import Context, Resource
from pixlake.sdk._local import cannot_write, existing_path, make_folder, read_file
from pixlake.sdk._runlog import Tee, flush_others, open_sender
from pixlake.sdk._transfer import download, stored_name, upload_file, zipped

__all__ = ["Experiment"]

PathLike = str | os.PathLike[str]
LARGE = 5 * 1024 * 1024
TREE = ("images", "checkpoint", "metrics", "records", "config", "results", "exported_model")
PAGE = 1000

Records = list[dict[str, Any]]
Lines = list[str]


def _check_str(value: object, name: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")


def _check_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


class Experiment(Resource):
    """The experiments of a project: create or check out a run, store files, log data.

    >>> exp = Experiment(api_token=token, project_token=pid).create(name="run-1")  # doctest: +SKIP
    """

    _greets = True

    def __init__(
        self,
        api_token: str | None = None,
        host: str | None = None,
        project_token: str | None = None,
        id: str | None = None,
        name: str | None = None,
        interactive: bool = True,
        *,
        transport: httpx.BaseTransport | None = None,
        _context: Context | None = None,
    ) -> None:
        for value, label in (
            (api_token, "api_token"),
            (host, "host"),
            (project_token, "project_token"),
            (id, "id"),
            (name, "name"),
        ):
            _check_str(value, label, optional=True)
        super().__init__(
            api_token, None, host, interactive=interactive, transport=transport, _context=_context
        )
        self.project_token: str | None = project_token
        self.id: str | None = id
        self.experiment_name: str = name or ""
        self.infos: dict[str, Any] = {}
        self.name: str | None = None
        self.date_created: str | None = None
        self.dataset: Any = None
        self.owner: Any = None
        self.description: str = ""
        self.files: list[dict[str, Any]] = []
        self.data: list[dict[str, Any]] = []
        self.status: str | None = None
        self.dict_annotations: dict[str, Any] = {}
        self.base_dir = Path(self.experiment_name or ".")
        self.png_dir = self.base_dir / "images"
        self._kinds: dict[str, str] = {}
        self._part = ""
        self._log_buffer: list[str] = []
        self._log_buffer_length = 1
        self._sender = open_sender(self, self._ctx.connection)

    def __str__(self) -> str:
        if not self.infos:
            return "No experiment selected: use checkout(name=...) or create(name=...) first"
        return json.dumps(self.infos, indent=2, default=str)

    # ------------------------------------------------------------------ helpers

    @property
    def _org(self) -> str:
        return self._ctx.org_path

    def _project(self, project_token: str | None = None) -> str:
        token = self.project_token or project_token
        if not token:
            raise InvalidQueryError(
                "no project token: pass project_token=... (the project's id) to the constructor "
                "or to this method",
                details=[{"field": "project_token", "message": "missing"}],
            )
        return token

    def _selected(self) -> str:
        if not self.id:
            raise InvalidQueryError(
                "no experiment selected: call checkout(name=...) or create(name=...) first"
            )
        return self.id

    @property
    def _path(self) -> str:
        return f"{self._org}/experiments/{self._selected()}"

    def _keep(self, record: dict[str, Any]) -> None:
        self.infos = record
        self.id = str(record["id"])
        self.name = self.experiment_name = record["name"]
        self.date_created = record["date_created"]
        self.dataset = record["dataset"]
        self.owner = record["owner"]
        self.description = record["description"]
        self.files = record["files"]
        self.data = record["data"]
        self.status = record["status"]
        self.project_token = str(record["project"]["project_id"])
        self._kinds = {d["name"]: d["type"] for d in record["data"]}
        self.base_dir = Path(record["name"])
        self.png_dir = self.base_dir / "images"

    def flush(self) -> None:
        """Block until every buffered line append and log line of this object is stored
        (raises the first error the background sender met)."""
        self._sender.flush()

    def _sync(self) -> None:
        """Before a read: send what every experiment object of the process buffered."""
        flush_others(self._sender)
        self._sender.flush()

    # ------------------------------------------------------------------ experiments

    def checkout(
        self,
        name: str | None = None,
        id: str | None = None,
        project_token: str | None = None,
        tree: bool = False,
        with_files: bool = False,
        with_data: bool = False,
        *,
        with_file: bool | None = None,
    ) -> Experiment:
        """Select an experiment (by id, or by name in the project); ``tree`` makes the
        training folders, ``with_files`` downloads the file assets (alias ``with_file``),
        ``with_data`` includes the data assets' data in ``infos``."""
        for value, label in ((name, "name"), (id, "id"), (project_token, "project_token")):
            _check_str(value, label, optional=True)
        if with_file is not None:
            with_files = with_files or with_file
        self._sync()
        params = {"with_data": "true" if with_data else "false"}
        if self.id:
            record = self._ctx.connection.get(f"{self._org}/experiments/{self.id}", params=params)
        elif self.project_token and (self.experiment_name or name):
            ref = self.experiment_name or name or ""
            record = self._ctx.connection.get(
                f"{self._org}/projects/{self.project_token}/experiments/by-name/"
                f"{quote(ref, safe='')}",
                params=params,
            )
        elif self.project_token and id:
            record = self._ctx.connection.get(f"{self._org}/experiments/{id}", params=params)
        elif project_token and (self.experiment_name or name):
            ref = self.experiment_name or name or ""
            record = self._ctx.connection.get(
                f"{self._org}/projects/{project_token}/experiments/by-name/{quote(ref, safe='')}",
                params=params,
            )
        elif id:
            record = self._ctx.connection.get(f"{self._org}/experiments/{id}", params=params)
        else:
            raise InvalidQueryError(
                "cannot identify the experiment: give its id, or a project_token and its name"
            )
        self._keep(record)
        logs = self._ctx.connection.get(f"{self._path}/logs")
        self.infos["logging"] = {
            "logs": logs["logs"],
            "steps": logs["steps"],
            "timestamps": logs["timestamps"],
            "exit_code": logs["exit_code"],
        }
        if tree:
            self._make_tree()
        if with_files:
            for f in self.files:
                self.download(f["name"], self._folder_for(f["name"]) if tree else self.base_dir)
        return self

    def _make_tree(self) -> None:
        for sub in TREE:
            make_folder(self.base_dir / sub)
        self.png_dir = self.base_dir / "images"
        self.checkpoint_dir = self.base_dir / "checkpoint"
        self.metrics_dir = self.base_dir / "metrics"
        self.record_dir = self.base_dir / "records"
        self.config_dir = self.base_dir / "config"
        self.results_dir = self.base_dir / "results"
        self.exported_model_dir = self.base_dir / "exported_model"

    def _folder_for(self, name: str) -> Path:
        if name == "config":
            return self.base_dir / "config"
        if name.startswith("checkpoint"):
            return self.base_dir / "checkpoint"
        if name == "model-latest":
            return self.base_dir / "exported_model"
        return self.base_dir

    def list(self, project_token: str | None = None) -> Records:
        """The project's experiment records."""
        _check_str(project_token, "project_token", optional=True)
        self._sync()
        records: Records = self._ctx.connection.get(
            f"{self._org}/projects/{self._project(project_token)}/experiments"
        )
        return records

    def create(
        self,
        name: str | None = None,
        project_token: str | None = None,
        description: str = "",
        previous: str | None = None,
        dataset: str | None = None,
        source: str | None = None,
        with_files: bool = False,
        with_data: bool = False,
        *,
        with_file: bool | None = None,
    ) -> Experiment:
        """Create experiment ``name`` in the project and select it."""
        for value, label in (
            (name, "name"),
            (project_token, "project_token"),
            (description, "description"),
            (previous, "previous"),
            (dataset, "dataset"),
            (source, "source"),
        ):
            _check_str(value, label, optional=label != "description")
        if with_file is not None:
            with_files = with_files or with_file
        name = name if name is not None else self.experiment_name
        if not name:
            raise _bad("name", "create needs a name, e.g. create(name='run-1')")
        if len(name) > MAX_EXPERIMENT_NAME:
            raise _bad("name", f"{len(name)} characters; {MAX_EXPERIMENT_NAME} at most")
        if len(description) > MAX_DESCRIPTION:
            raise _bad("description", f"{len(description)} characters; {MAX_DESCRIPTION} at most")
        self._sync()
        body = {
            "name": name,
            "description": description,
            "previous": previous,
            "dataset": dataset,
            "source": source,
            "with_files": with_files,
            "with_data": with_data,
        }
        record = self._ctx.connection.post(
            f"{self._org}/projects/{self._project(project_token)}/experiments", json=body
        )
        self._keep(record)
        self._say("Experiment %s created", self.name)
        return self

    def update(self, **kwargs: Any) -> dict[str, Any]:
        """Change ``name``, ``description`` or ``status``; returns the record."""
        unknown = set(kwargs) - {"name", "description", "status"}
        if unknown:
            raise _bad(sorted(unknown)[0], "not updatable; use name, description or status")
        record: dict[str, Any] = self._ctx.connection.request(
            "PATCH", self._path, json=kwargs, idempotent=True
        ).json()
        self._keep(record)
        return record

    def delete(self) -> bool:
        """Delete the selected experiment and its assets."""
        self._sync()
        self._ctx.connection.request("DELETE", self._path)
        self._say("Experiment %s deleted.", self.name)
        self.id, self.infos, self.name, self.experiment_name = None, {}, None, ""
        return True

    def delete_all(self, project_token: str | None = None) -> bool:
        """Delete every experiment of the project."""
        self._sync()
        self._ctx.connection.request(
            "DELETE", f"{self._org}/projects/{self._project(project_token)}/experiments"
        )
        self.id, self.infos, self.name, self.experiment_name = None, {}, None, ""
        return True

    def publish(self, name: str) -> dict[str, Any]:
        """Make a network of the organization from the file assets and the label map."""
        _check_str(name, "name")
        self._sync()
        record: dict[str, Any] = self._ctx.connection.post(
            f"{self._path}/publish", json={"name": name}
        )
        self._say("Experiment %s published as network %s", self.name, name)
        return record

    # ------------------------------------------------------------------ annotations

    def dl_annotations(self, type: str = "all", *, option: str | None = None) -> dict[str, Any]:
        """The attached dataset version's annotations, COCO-shaped (``type``: ``"all"`` or
        ``"accepted"``; alias ``option``), also kept in ``dict_annotations``."""
        kind = option if option is not None else type
        if kind not in ("all", "accepted"):
            raise _bad("type", f"{kind!r}: expected 'all' or 'accepted'")
        self._selected()
        if not self.dataset:
            self.checkout()
        if not self.dataset:
            raise ResourceNotFoundError(
                f"experiment {self.name!r} has no dataset attached: create it with dataset=..."
            )
        version = f"{self._org}/dataset-versions/{self.dataset['dataset_id']}"
        labels = self._ctx.connection.get(version)["labels"]
        images, annotations = [], []
        params: dict[str, Any] = {"limit": PAGE}
        while True:
            page = self._ctx.connection.get(version + "/items", params=params)
            for item in page["data"]:
                picture, annotation = item["picture"], item.get("annotation")
                images.append(
                    {
                        "internal_picture_id": picture["picture_id"],
                        "external_picture_url": picture["external_url"],
                        "signed_url": picture["url"],
                        "width": picture["width"],
                        "height": picture["height"],
                    }
                )
                if annotation and (kind == "all" or annotation.get("status") == "accepted"):
                    annotations.append(annotation)
            if not page.get("next_cursor"):
                break
            params["cursor"] = page["next_cursor"]
        if not images:
            raise ResourceNotFoundError(f"dataset {self.dataset['name']} has no pictures")
        self.dict_annotations = {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": i, "name": lab["name"]} for i, lab in enumerate(labels, 1)],
        }
        return self.dict_annotations

    def _need_annotations(self) -> None:
        if not self.dict_annotations:
            raise ResourceNotFoundError("run dl_annotations() first")

    def dl_pictures(self) -> None:
        """Download the annotated images into ``png_dir``."""
        self._need_annotations()
        make_folder(self.png_dir)
        for image in self.dict_annotations["images"]:
            url = str(image["signed_url"])
            api = self._ctx.connection.host + "/api/v1"
            path = url[len(api) :] if url.startswith(api) else url
            download(
                self._ctx.connection,
                path,
                self.png_dir / check_file_name(str(image["external_picture_url"])),
                expected_digest=None,
                progress=False,
            )

    def generate_labelmap(self) -> dict[str, str]:
        """Write ``label_map.pbtxt`` in ``base_dir``; sets ``label_map``."""
        self._need_annotations()
        self.label_map = {str(c["id"]): c["name"] for c in self.dict_annotations["categories"]}
        target = make_folder(self.base_dir) / "label_map.pbtxt"
        text = "".join(
            f'item {{\n  name: "{value}"\n  id: {key}\n}}\n'
            for key, value in self.label_map.items()
        )
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise cannot_write(target, exc) from exc
        return self.label_map

    def train_test_split(self, prop: float = 0.8) -> None:
        """Split the images at random into ``train_list`` and ``eval_list``."""
        if isinstance(prop, bool) or not isinstance(prop, int | float):
            raise TypeError(f"prop must be a number, not {type(prop).__name__}")
        if not 0 <= prop <= 1:
            raise _bad("prop", f"{prop}: expected the share of training images, from 0 to 1")
        self._need_annotations()
        images = list(self.dict_annotations["images"])
        random.shuffle(images)
        cut = int(len(images) * prop)
        self.train_list, self.eval_list = images[:cut], images[cut:]
        self.train_list_id = [i["internal_picture_id"] for i in self.train_list]
        self.eval_list_id = [i["internal_picture_id"] for i in self.eval_list]
        by_picture: dict[str, list[dict[str, Any]]] = {}
        for a in self.dict_annotations["annotations"]:
            by_picture.setdefault(str(a["internal_picture_id"]), []).extend(a["annotations"])
        self.categories = [c["name"] for c in self.dict_annotations["categories"]]

        def count(ids: list[Any]) -> dict[str, Any]:
            counts = dict.fromkeys(self.categories, 0)
            for pid in ids:
                for obj in by_picture.get(str(pid), []):
                    counts[obj.get("label", "")] = counts.get(obj.get("label", ""), 0) + 1
            return {"x": list(counts), "y": list(counts.values())}

        self.train_repartition = count(self.train_list_id)
        self.test_repartition = count(self.eval_list_id)

    # ------------------------------------------------------------------ file assets

    def _default_file(self, name: str) -> tuple[Path, bool]:
        """The tree file a reserved name stands for (path, zip)."""
        base = self.base_dir
        if name == "config":
            candidate = base / "config" / "pipeline.config"
            if candidate.is_file():
                return candidate, False
        elif name in ("checkpoint-index-latest", "checkpoint-data-latest"):
            pattern = "*.index" if name.endswith("index-latest") else "*.data*"
            found = sorted((base / "checkpoint").glob(pattern), key=lambda p: p.stat().st_mtime)
            if found:
                return found[-1], False
        elif name == "model-latest":
            candidate = base / "exported_model" / "saved_model"
            if candidate.is_dir():
                return candidate, True
        raise ResourceNotFoundError(f"nothing to store for {name!r}: pass path=...")

    def store(self, name: str = "", path: PathLike | None = None, zip: bool = False) -> str:
        """Upload a file (or, with ``zip=True``, a zipped file or folder) as file asset
        ``name``; a second store replaces it.  The asset keeps the file's name (the zip's),
        which its object key ends with and ``download`` writes.  Returns the object key."""
        _check_str(name, "name")
        if not name:
            raise _bad("name", "a file asset needs a name")
        self._selected()
        if path is None:
            local, zip = self._default_file(name)
        else:
            local = existing_path(path, "store")
            if local.is_dir() and not zip:
                raise _bad("path", f"{local} is a folder: pass zip=True to store it zipped")
        file_name = stored_name(local, zip=zip)
        with zipped(local) if zip else nullcontext(local) as source:
            size = source.stat().st_size
            digest, _ = upload_file(
                self._ctx.connection, self._org, source, progress=self.interactive
            )
        record: dict[str, Any] = self._ctx.connection.post(
            f"{self._path}/files",
            json={"name": name, "sha256": digest, "large": size >= LARGE, "file_name": file_name},
            idempotent=True,
        )
        self.files = [f for f in self.files if f["name"] != name] + [record]
        self._say("File %s stored for experiment %s", name, self.name)
        return str(record["object_name"])

    def list_files(self) -> Records:
        """The file assets."""
        self.checkout()
        return self.files

    def get_file(self, name: str) -> dict[str, Any] | None:
        """File asset ``name``, or ``None``."""
        _check_str(name, "name")
        return next((f for f in self.list_files() if f["name"] == name), None)

    def update_file(self, file_name: str, **kwargs: Any) -> dict[str, Any]:
        """Rename file asset ``file_name`` (``name=`` the new name)."""
        _check_str(file_name, "file_name")
        if set(kwargs) != {"name"}:
            raise _bad("name", "update_file takes name= (the new name)")
        record: dict[str, Any] = self._ctx.connection.request(
            "PATCH", f"{self._path}/files/{quote(file_name, safe='')}", json=kwargs
        ).json()
        return record

    def delete_file(self, name: str) -> bool:
        _check_str(name, "name")
        self._ctx.connection.request("DELETE", f"{self._path}/files/{quote(name, safe='')}")
        return True

    def delete_all_files(self) -> bool:
        self._ctx.connection.request("DELETE", f"{self._path}/files")
        return True

    def download(self, name: str, path: PathLike = "", large: bool | None = None) -> Path | None:
        """Download file asset ``name`` into folder ``path`` under its key's base name
        (resumes an interrupted download; keeps a file already there with the right bytes)."""
        _check_str(name, "name")
        found = next((f for f in self.files if f["name"] == name), None) or self.get_file(name)
        if found is None:
            print(f"No file found with name {name}")
            return None
        folder = make_folder(Path(path) if str(path) else Path.cwd())
        # the server's name for the file, checked all the same: it never leads out of the folder
        dest = folder / check_file_name(
            str(found["object_name"]).rsplit("/", 1)[-1], field="object_name"
        )
        download(
            self._ctx.connection,
            f"{self._path}/files/{quote(name, safe='')}/content",
            dest,
            expected_digest=str(found["sha256"]),
            expected_size=int(found["size"]),
            progress=self.interactive,
        )
        return dest

    # ------------------------------------------------------------------ data assets

    def _data_path(self, name: str) -> str:
        return f"{self._path}/data/{quote(name, safe='')}"

    def _kind(self, name: str) -> str | None:
        """The type of data ``name`` (``None`` when it does not exist)."""
        if name in self._kinds:
            return self._kinds[name]
        try:
            record = self._ctx.connection.get(self._data_path(name), params={"max_points": 1})
        except ResourceNotFoundError:
            return None
        self._kinds[name] = record["type"]
        return str(record["type"])

    def _image_data(self, data: Any) -> dict[str, str]:
        if not isinstance(data, str | os.PathLike):
            raise _bad("data", "an image is logged from a path to an image file")
        local = Path(data)
        if not local.is_file():
            raise InvalidQueryError(
                f"{local}: no such image file",
                details=[{"file": str(local), "message": "no such file"}],
            )
        try:
            probe(read_file(local))
        except NotAnImageError as exc:
            raise _bad("data", f"{local} is not an image ({exc})") from None
        digest, _ = upload_file(self._ctx.connection, self._org, local, progress=False)
        return {"object_name": f"{self._selected()}/{local.name}", "sha256": digest}

    def log(self, name: str, data: Any, type: str | None = None, replace: bool = False) -> None:
        """Record data asset ``name``: the first log needs ``type``; later logs overwrite it,
        except that a ``line`` gets ``data`` appended (buffered, sent in the background)."""
        _check_str(name, "name")
        _check_str(type, "type", optional=True)
        self._selected()
        if type is not None and type not in DATA_TYPES:
            raise _bad("type", f"unknown type {type!r}; expected one of {', '.join(DATA_TYPES)}")
        known = self._kinds.get(name)
        if known == "line" and type in (None, "line") and not replace:
            self.append_data(name, data=data)
            return
        if known is None:
            self._sync()
            known = self._kind(name)
        if known is None and type == "line" and not replace:
            # a new line: its first points go through the buffer too (the points route
            # creates the line)
            self.append_data(name, data=data)
            return
        if known is None and type is None:
            raise _bad("type", f"data {name!r} does not exist yet: its first log needs a type")
        kind = type or known or ""
        if known is not None and known != "line" and kind == "line" and not replace:
            raise _bad(
                "type",
                f"data {name!r} is a {known!r} asset: cannot append line points to it "
                "(pass replace=True to turn it into a line)",
            )
        if known == "line" and kind == "line" and not replace:
            self.append_data(name, data=data)
            return
        self._sync()
        self._write(name, kind, data, replace=True)

    def _prepare(self, kind: str, data: Any) -> Any:
        if kind == "value" and not (isinstance(data, dict) and set(data) == {"value"}):
            data = {"value": data}
        if kind == "image":
            data = self._image_data(data)
        if kind == "line" and isinstance(data, int | float) and not isinstance(data, bool):
            data = [data]
        return check_data(kind, encode_non_finite(data))

    def _write(self, name: str, kind: str, data: Any, *, replace: bool) -> dict[str, Any]:
        body = {"name": name, "type": kind, "data": self._prepare(kind, data), "replace": replace}
        record: dict[str, Any] = self._ctx.connection.post(f"{self._path}/data", json=body)
        self._kinds[name] = kind
        return record

    def create_data(self, name: str, data: Any, type: str) -> dict[str, Any]:
        """Create (or overwrite) data asset ``name``."""
        _check_str(name, "name")
        _check_str(type, "type")
        self._sync()
        return self._write(name, type, data, replace=True)

    def append_data(self, name: str, **kwargs: Any) -> None:
        """Append ``data`` (numbers, or ``{x, y}``) to line ``name``, buffered."""
        data = kwargs.get("data")
        if isinstance(data, int | float) and not isinstance(data, bool):
            data = [data]
        xs, ys = check_line(encode_non_finite(data))
        self._kinds.setdefault(name, "line")
        self._sender.add_points(f"{self._data_path(name)}/points", xs, ys)

    def list_data(self) -> Records:
        """The data assets (without their data)."""
        self._sync()
        records: Records = self._ctx.connection.get(f"{self._path}/data")
        self._kinds.update({d["name"]: d["type"] for d in records})
        return records

    def get_data(self, name: str, max_points: int | None = None) -> Any:
        """The ``data`` of data asset ``name`` (a long line may be downsampled to
        ``max_points``)."""
        _check_str(name, "name")
        self._sync()
        params = {"max_points": max_points} if max_points else None
        record = self._ctx.connection.get(self._data_path(name), params=params)
        self._kinds[name] = record["type"]
        return record["data"]

    def get_line(self, name: str, max_points: int | None = None) -> dict[str, Any]:
        """Line ``name`` as ``{size, idx, y, x}`` (fast path for long series)."""
        self._sync()
        params = {"max_points": max_points} if max_points else None
        answer: dict[str, Any] = self._ctx.connection.get(
            self._data_path(name) + "/points", params=params
        )
        return answer

    def update_data(
        self, data_name: str | None = None, *, name: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Change data asset ``data_name`` (alias ``name`` when only one name is given):
        ``name`` the new name, ``data``, ``type``."""
        if data_name is None:
            data_name, name = name, None
        if data_name is None:
            raise _bad("data_name", "which data asset to update")
        unknown = set(kwargs) - {"data", "type"}
        if unknown:
            raise _bad(sorted(unknown)[0], "update_data takes name, data and type")
        self._sync()
        body: dict[str, Any] = {"name": name, "type": kwargs.get("type")}
        if "data" in kwargs:
            kind = kwargs.get("type") or self._kind(data_name) or ""
            body["data"] = self._prepare(kind, kwargs["data"])
        record: dict[str, Any] = self._ctx.connection.request(
            "PATCH", self._data_path(data_name), json=body
        ).json()
        self._kinds.pop(data_name, None)
        self._kinds[record["name"]] = record["type"]
        return record

    def delete_data(self, name: str) -> bool:
        self._sync()
        self._ctx.connection.request("DELETE", self._data_path(name))
        self._kinds.pop(name, None)
        return True

    def delete_all_data(self) -> bool:
        self._sync()
        self._ctx.connection.request("DELETE", f"{self._path}/data")
        self._kinds.clear()
        return True

    # ------------------------------------------------------------------ run logs

    def _queue_logs(self, lines: Lines, part: str, exit_code: int | None = None) -> None:
        self._sender.add_logs(f"{self._path}/logs", part, lines, exit_code)

    def start_logging_chapter(self, name: str) -> None:
        """Following lines belong to part (step) ``name``."""
        _check_str(name, "name")
        self.end_logging_buffer()
        self._part = name

    def start_logging_buffer(self, length: int = 1) -> None:
        """Send lines by groups of ``length``."""
        _check_int(length, "length")
        self._log_buffer_length = max(1, length)

    def end_logging_buffer(self) -> None:
        """Send the lines still grouped."""
        if self._log_buffer:
            self._queue_logs(self._log_buffer, self._part)
            self._log_buffer = []

    def send_experiment_logging(
        self, log: str, part: str, final: bool = False, special: bool | int = False
    ) -> None:
        """Append one line to part ``part``; with ``final=True``, ``special`` (an int) is
        the run's exit code."""
        _check_str(log, "log")
        _check_str(part, "part")
        if part != self._part:
            self.end_logging_buffer()
            self._part = part
        self._log_buffer.append(log)
        exit_code = special if final and not isinstance(special, bool) else None
        if final or len(self._log_buffer) >= self._log_buffer_length:
            self._queue_logs(self._log_buffer, self._part, exit_code)
            self._log_buffer = []

    def update_job_status(self, status: str) -> None:
        self.update(status=status)

    def set_exit_code(self, code: int) -> None:
        """Record the run's exit code."""
        _check_int(code, "code")
        self._queue_logs([], self._part, code)

    @contextlib.contextmanager
    def capture(self, part: str = "train") -> Iterator[None]:
        """Send the block's stdout lines to the run log (they still print) and record its
        exit code: 0, the ``SystemExit`` code, or 1 for an exception (re-raised)."""
        self._selected()
        tee = Tee(sys.stdout, lambda lines: self._queue_logs(lines, part))
        code = 0
        try:
            with contextlib.redirect_stdout(tee):
                yield
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            raise
        except BaseException:
            code = 1
            raise
        finally:
            tee.finish()
            self._queue_logs([], part, code)
            self._sync()

    def get_logs(self, after: int = -1) -> dict[str, Any]:
        """The run log ``{logs, steps, timestamps, lines, texts, exit_code}`` (lines
        numbered above ``after``); readable while the run goes on."""
        self._sync()
        answer: dict[str, Any] = self._ctx.connection.get(
            f"{self._path}/logs", params={"after": after}
        )
        return answer

    # ------------------------------------------------------------------ hosted training

    def _hosted(self, method: str) -> UnsupportedFeatureError:
        return UnsupportedFeatureError(
            f"{method}() belongs to Picsellia's hosted training and scans; pixlake does not run "
            "training: run your script yourself and log to the experiment"
        )

    def launch(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("launch")

    def launch_scan(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("launch_scan")

    def init_scan(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("init_scan")

    def get_next_run(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("get_next_run")

    def get_run(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("get_run")

    def update_run(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("update_run")

    def end_run(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("end_run")

    def download_script(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("download_script")

    def download_run_data(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("download_run_data")

    def install_run_requirements(self, *_a: Any, **_k: Any) -> None:
        raise self._hosted("install_run_requirements")
