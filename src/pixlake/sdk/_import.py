"""``Datalake.upload``: a dataset from a folder of images and an annotation file, in one call.

1. **Validate everything first**: paths, the format, and the whole annotation input (every
   problem reported at once, naming file, line or JSON path); every image the annotations name
   must be in ``imgdir`` (all missing ones listed together).  Nothing is sent before this.
2. Upload the folder's pictures to the datalake (deduplicated, resumable: see ``_upload``).
3. Send the annotations as one *import document*, uploaded as a blob (so a large one resumes
   too), and start the server-side import job; show its progress until it ends.  The
   document's ``images`` are encoded (into a temporary file) while step 2 runs.

The server checks the document again and writes the version, its labels and every annotation
in one transaction: an import either happens whole or leaves no dataset behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from pixlake._text import count_is, counted, splits_text
from pixlake.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidQueryError,
    ResourceNotFoundError,
    error_class_for,
)
from pixlake.formats import (
    AnnotatedImage,
    Annotations,
    FormatDescriptor,
    SpooledImages,
    get_format,
    qa_to_wire,
    to_compact,
)
from pixlake.formats.registry import names_text, read_formats
from pixlake.memory import gc_paused
from pixlake.schemas.datasets import IMPORT_DOCUMENT_FORMAT
from pixlake.sdk import _transfer
from pixlake.sdk._base import Context
from pixlake.sdk._progress import Bar
from pixlake.sdk._records import SELECTION_BATCH, DatasetRecord
from pixlake.sdk._upload import collect_paths, is_image_name, upload_files

__all__ = ["DOCUMENT_FORMAT", "import_dataset"]

DOCUMENT_FORMAT = IMPORT_DOCUMENT_FORMAT
#: Each request for the import job's state waits this long for its end (the server answers
#: as soon as it ends): the progress bar moves twice a second, and the end is seen at once.
WAIT_SECONDS = 0.5
#: Pause between requests to a server that answers without waiting.
POLL_SECONDS = 0.2
#: The states of a job that has not ended.
_UNFINISHED = frozenset({"queued", "running"})


def _read_annotations(
    ann_path: Path, fmt: FormatDescriptor, *, imgdir: Path | None, rectangle: bool, progress: bool
) -> Annotations:
    """Read and validate the annotations, with a bar in the format's progress unit (bytes
    for the JSON formats, files for PASCAL-VOC, images for YOLO, whose sizes are read from
    the images)."""
    assert fmt.reader is not None  # checked by import_dataset
    options = fmt.read_options(ann_path) if fmt.read_options is not None else {}
    with Bar(
        f"Reading {ann_path.name}", total=None, enabled=progress, unit=fmt.progress_unit
    ) as bar:
        told = bar.update if bar.shown else None
        read: Any = fmt.reader  # read_options may add keywords the protocol does not name
        annotations: Annotations = read(
            ann_path, rectangle=rectangle, images=imgdir, progress=told, **options
        )
        return annotations


def _without_objects(images: Sequence[AnnotatedImage]) -> Iterator[AnnotatedImage]:
    if isinstance(images, SpooledImages):  # without reading the objects back
        return (images.without_objects(i) for i in range(len(images)))
    return iter(images)


def _files_to_upload(
    folder: Path, listed: list[str], annotations: Annotations | None, ann_path: Path | None
) -> list[str]:
    """The files of an import: the image files directly in ``folder``, and those the
    annotations place in its subfolders (``train2017/a.jpg``) when ``folder`` does not hold
    a file of that name itself.  Every image the annotations name must be found; the missing
    ones are listed together."""
    if annotations is None or ann_path is None:
        return listed
    present = {os.path.basename(f) for f in listed}
    nested: list[str] = []
    absent: list[str] = []
    for image in _without_objects(annotations.images):
        if image.file_name in present:
            continue
        if image.path is not None and is_image_name(image.file_name):
            candidate = folder / image.path
            if candidate.is_file():
                nested.append(str(candidate))
                present.add(image.file_name)
                continue
        absent.append(image.path or image.file_name)
    if absent:
        raise InvalidInputError(
            f"{folder} lacks {counted(len(absent), 'image')} named in {ann_path}",
            details=[
                {"file": ann_path.name, "message": f"{n} is not in the images folder"}
                for n in absent
            ],
        )
    return listed + nested


def _tag_splits(
    ctx: Context, names: list[str], ids: list[str], annotations: Annotations, say: Any
) -> None:
    """Tag each uploaded picture with its split (``train``, ``val``...), so that the
    datalake can fetch a split by tag; the version keeps the split of each picture too."""
    splits = {
        image.file_name: image.split
        for image in _without_objects(annotations.images)
        if image.split is not None
    }
    if not splits:
        return
    by_split: dict[str, list[str]] = {}
    for name, picture_id in zip(names, ids, strict=True):
        split = splits.get(name)
        if split is not None:
            by_split.setdefault(split, []).append(picture_id)
    for split, chosen in sorted(by_split.items()):
        for start in range(0, len(chosen), SELECTION_BATCH):
            ctx.connection.post(
                f"{ctx.org_path}/pictures/tag",
                json={"pictures": chosen[start : start + SELECTION_BATCH], "tags": [split]},
                idempotent=True,
            )
        say("%d pictures tagged %r", len(chosen), split)


def _image_json(images: Sequence[AnnotatedImage], index: int) -> str:
    """One entry of the document's ``images`` array (compact JSON)."""
    if not isinstance(images, SpooledImages):
        image = images[index]
        return _ENCODER.encode(_image_record(image, [to_compact(obj) for obj in image.objects]))
    # The objects' JSON as spooled, spliced into the record's
    record = _ENCODER.encode(_image_record(images.without_objects(index), []))
    objects = b",".join(images.objects_json(index)).decode()
    head, tail = record.split('"objects":[]', 1)
    return f'{head}"objects":[{objects}]{tail}'


def _image_record(image: AnnotatedImage, objects: list[dict[str, Any]]) -> dict[str, Any]:
    extra = dict(image.extra)
    nb_instances = extra.pop("nb_instances", None)
    duration = extra.pop("duration", None)
    record = {
        "external_url": image.file_name,
        "objects": objects,
        "image_qa": [qa_to_wire(qa) for qa in image.qa],
        "status": image.status,
        "nb_instances": nb_instances,
        "duration": duration,
        "extra": extra or None,
    }
    if image.split is not None:
        record["split"] = image.split
    return record


def _write_images(out: TextIO, annotations: Annotations, stop: threading.Event) -> None:
    """Write the ``images`` array of the import document (compact JSON, the C encoder), a
    batch of images at a time; stops early when ``stop`` is set."""
    out.write("[")
    with gc_paused():  # millions of short-lived containers beside the parsed annotations
        images = annotations.images
        for start in range(0, len(images), _WRITE_BATCH):
            if stop.is_set():
                return
            end = min(start + _WRITE_BATCH, len(images))
            part = ",".join(_image_json(images, i) for i in range(start, end))
            out.write("," + part if start else part)
    out.write("]")


def _write_document(
    out: TextIO, annotations: Annotations, picture_ids: list[str], images: Path
) -> None:
    """Write the import document around its ``images`` array, already written to the file
    ``images``.  The text is that of ``json.dump`` of the whole document (compact), which
    was never held in memory."""
    encode = _ENCODER.encode
    labels = [{"name": label.name, "type": label.kind} for label in annotations.labels]
    out.write(
        f'{{"format":{encode(DOCUMENT_FORMAT)},"labels":{encode(labels)},'
        f'"pictures":{encode(picture_ids)},"images":'
    )
    with images.open(encoding="utf-8") as part:
        shutil.copyfileobj(part, out, _COPY_CHARS)
    out.write(f',"info":{encode(dict(annotations.info))}}}')


@contextmanager
def _encoding_images(annotations: Annotations, path: Path) -> Iterator[Future[None]]:
    """Write the images array to ``path`` in a thread, beside the picture upload (which
    waits on the network and the server much of the time).  Leaving early stops it."""
    stop = threading.Event()

    def run() -> None:
        with path.open("w", encoding="utf-8") as out:
            _write_images(out, annotations, stop)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pixlake-encode") as pool:
        future = pool.submit(run)
        try:
            yield future
        finally:
            stop.set()


_ENCODER = json.JSONEncoder(separators=(",", ":"))
#: Images encoded per write of the import document.
_WRITE_BATCH = 256
_COPY_CHARS = 1024 * 1024


def _wait(ctx: Context, job: dict[str, Any], *, progress: bool) -> dict[str, Any]:
    conn = ctx.connection
    with Bar("Importing annotations", total=None, enabled=progress) as bar:
        running = job["status"] in _UNFINISHED
        while running:
            asked = time.monotonic()
            job = conn.get(f"{ctx.org_path}/jobs/{job['id']}", params={"wait": WAIT_SECONDS})
            running = job["status"] in _UNFINISHED
            if running and time.monotonic() - asked < 0.1:
                time.sleep(POLL_SECONDS)  # a server that does not wait
            stage = f": {job['message']}" if running and job.get("message") else ""
            bar.update(
                job["done"], job["total"] or None, description=f"Importing annotations{stage}"
            )
    if job["status"] == "failed":
        error = job.get("error") or {}
        cls = error_class_for(error.get("code"), 0)
        raise cls(error.get("detail", "the import failed"), details=error.get("errors") or [])
    result: dict[str, Any] = job["result"]
    return result


def _exists(ctx: Context, versions: str) -> bool:
    """Whether the dataset whose versions are at ``versions`` exists."""
    try:
        ctx.connection.get(f"{versions}/latest")
    except ResourceNotFoundError:
        return False
    return True


def _check_target(ctx: Context, name: str, version: str | None, *, new: bool) -> str | None:
    """For a ``new`` dataset, check that ``name`` is free; otherwise return the id of the
    version to annotate (the latest when ``version`` is ``None``)."""
    versions = f"{ctx.org_path}/datasets/{quote(name, safe='')}/versions"
    if not new:
        try:
            record = ctx.connection.get(f"{versions}/{quote(version or 'latest', safe='')}")
        except ResourceNotFoundError as exc:
            if version not in (None, "latest") and _exists(ctx, versions):
                raise  # the dataset is there, not that version: the server's message says so
            raise ResourceNotFoundError(
                f"no dataset named {name!r} to add these annotations to; "
                "to create it, give its images as well"
            ) from exc
        return str(record["dataset_id"])
    if _exists(ctx, versions):
        raise AlreadyExistsError(
            f"a dataset named {name!r} already exists, and an import with imgdir creates one: "
            "choose another name, or leave imgdir out to annotate one of its versions"
        )
    return None


def _checked_inputs(
    imgdir: str | os.PathLike[str] | None,
    ann_path: str | os.PathLike[str] | None,
    ann_format: str | None,
) -> tuple[Path | None, Path | None, FormatDescriptor | None]:
    """The images folder, the annotations' path and their format, once checked: nothing is
    read or sent before these are right."""
    folder = Path(imgdir) if imgdir is not None else None
    if folder is not None and not folder.is_dir():
        raise ResourceNotFoundError(f"imgdir {str(folder)!r} is not a folder of images")
    path = Path(ann_path) if ann_path is not None else None
    if path is None and folder is None:
        raise InvalidQueryError("give imgdir (images), ann_path (annotations), or both")
    if path is not None and not path.exists():
        raise InvalidQueryError(f"ann_path {str(path)!r} does not exist")
    if path is not None and not ann_format:
        quoted = names_text([f"'{d.name}'" for d in read_formats()])
        raise InvalidQueryError(f"give ann_format with ann_path: {quoted}")
    # the format; an unknown one is refused here, before anything else
    fmt = get_format(ann_format) if path is not None and ann_format else None
    if fmt is not None and fmt.reader is None:
        raise InvalidQueryError(
            f"pixlake cannot read {fmt.name} annotations; read one of "
            f"{names_text([d.name for d in read_formats()])}"
        )
    if path is not None and fmt is not None and fmt.input == "file" and path.is_dir():
        folders = [d for d in read_formats() if d.input != "file"]
        raise InvalidQueryError(
            f"ann_path {str(path)!r} is a folder, and {fmt.name} annotations are "
            f"{fmt.input_text}; " + ", ".join(f"{d.name} reads {d.input_text}" for d in folders)
        )
    return folder, path, fmt


def _image_files(folder: Path, annotations: Annotations | None, path: Path | None) -> list[str]:
    """The image files of ``folder`` to upload; raises when one cannot be, or there is none."""
    files, failures = collect_paths(folder)  # image files directly inside, by name
    if failures:
        raise InvalidInputError(
            f"{counted(len(failures), 'file')} in {folder} cannot be uploaded; nothing was written",
            details=[{"file": f.file, "message": f.reason} for f in failures],
        )
    files = _files_to_upload(folder, files, annotations, path)
    if not files:
        raise InvalidQueryError(f"imgdir {str(folder)!r} holds no image files")
    return files


def _upload_pictures(
    ctx: Context,
    files: list[str],
    *,
    tags: list[str] | None,
    workers: int,
    progress: bool,
    say: Any,
    annotations: Annotations | None,
    split_tags: bool,
) -> list[str]:
    """Upload ``files`` to the datalake (and tag their splits); the pictures' ids, in order."""
    report = upload_files(
        ctx.connection,
        ctx.org_path,
        files,
        tags=tags if tags is not None else [dt.date.today().isoformat()],
        source="sdk",
        workers=workers,
        progress=progress,
        records=False,
    )
    if report.failures:
        raise InvalidInputError(
            f"{counted(len(report.failures), 'image')} could not be uploaded; no "
            f"dataset was created ({count_is(len(report.ids), 'other image')} in "
            "the datalake)",
            details=[{"file": f.file, "message": f.reason} for f in report.failures],
        )
    say("%d pictures uploaded (%d new)", len(report.ids), report.nb_created)
    if split_tags and annotations is not None:
        _tag_splits(ctx, report.names, report.ids, annotations, say)
    return report.ids


def _run_import(ctx: Context, body: dict[str, Any], *, progress: bool, say: Any) -> DatasetRecord:
    """Start the import job of ``body``, wait for its end and say what it made."""
    conn = ctx.connection
    job = conn.post(f"{ctx.org_path}/imports", json=body)
    result = _wait(ctx, job, progress=progress)
    record: DatasetRecord = conn.get(f"{ctx.org_path}/dataset-versions/{result['dataset_id']}")
    say(
        "Dataset %s/%s: %d annotated images%s, %d objects",
        result["dataset_name"],
        result["version"],
        result["nb_annotations"],
        splits_text(record.get("splits") or {}),
        result["nb_objects"],
    )
    return record


def import_dataset(
    ctx: Context,
    *,
    name: str | None,
    version: str | None,
    imgdir: str | os.PathLike[str] | None,
    ann_path: str | os.PathLike[str] | None,
    ann_format: str | None,
    tags: list[str] | None,
    nb_jobs: int,
    rectangle: bool,
    progress: bool,
    say: Any,
    split_tags: bool = True,
) -> DatasetRecord:
    if not name:
        raise InvalidQueryError("give the dataset's name: upload(name=..., ...)")
    folder, path, fmt = _checked_inputs(imgdir, ann_path, ann_format)
    # Before reading or uploading anything: the dataset to create must not exist, the
    # version to annotate must (the server checks both again, in its transaction).
    version_id = _check_target(ctx, name, version, new=folder is not None)
    annotations: Annotations | None = None
    if path is not None and fmt is not None:
        say("Reading %s annotations from %s", fmt.name, path)
        annotations = _read_annotations(
            path, fmt, imgdir=folder, rectangle=rectangle, progress=progress
        )
    workers = (os.cpu_count() or 4) if nb_jobs == -1 else max(1, nb_jobs)
    files = _image_files(folder, annotations, path) if folder is not None else []

    picture_ids: list[str] = []
    document = annotations or Annotations(labels=[], images=[])
    with tempfile.TemporaryDirectory(prefix="pixlake-import-") as tmp:
        images_path = Path(tmp) / "images.json"
        with _encoding_images(document, images_path) as encoded:
            if folder is not None:
                picture_ids = _upload_pictures(
                    ctx,
                    files,
                    tags=tags,
                    workers=workers,
                    progress=progress,
                    say=say,
                    annotations=annotations,
                    split_tags=split_tags,
                )
            encoded.result()
        doc_path = Path(tmp) / "import.json"
        with doc_path.open("w", encoding="utf-8") as f:
            _write_document(f, document, picture_ids, images_path)
        images_path.unlink()
        digest, _size = _transfer.upload_file(
            ctx.connection, ctx.org_path, doc_path, progress=False
        )
    body: dict[str, Any] = {"document": digest}
    if version_id is not None:
        body["version_id"] = version_id
    else:
        body["name"] = name
    return _run_import(ctx, body, progress=progress, say=say)
