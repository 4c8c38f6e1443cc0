"""Exports of a dataset version as COCO, PASCAL-VOC or YOLO: one archive, streamed as it is
written.

The server writes the export itself: it reads the version a page at a time, copies each
picture's bytes from the blob store into the archive, and formats the annotations with the
format's exporter (``pixlake.formats``).  A client reads one response, a tar to unpack or a
zip to keep.  The archive is written by a thread of its own into a bounded pipe that the
response reads, so memory is bounded on both sides whatever the size of the version, and a
client that stops reading stops the writing.

Everything that can be checked before the first byte is: the format, that every picture's
bytes are in the store, that no two pictures would write the same file (``a.jpg`` and
``a.png`` both give ``Annotations/a.xml`` in PASCAL-VOC).  A problem found later (a value the
format cannot hold) ends the archive with the member ``ERROR_MEMBER``, a JSON problem that
the SDK raises; an I/O failure cuts the response short, which no client takes for a whole
archive.
"""

from __future__ import annotations

import functools
import io
import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final, cast

from pixlake._text import counted
from pixlake.core import blobs, datasets, jobs
from pixlake.core.accounts import require_organization
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.entities.datasets import ExportItem
from pixlake.errors import (
    InvalidInputError,
    InvalidQueryError,
    PicselliaError,
    ResourceNotFoundError,
)
from pixlake.formats import QA, AnnotatedImage, Exporter, FormatDescriptor, LabelKind, LabelSpec
from pixlake.formats.registry import export_formats, formats, get_format, names_text
from pixlake.formats.sinks import Sink, TarSink, ZipSink
from pixlake.jobs import JobContext, JobRunner
from pixlake.names import file_name_problem
from pixlake.schemas.datasets import EXPORT_ERROR_MEMBER, EXPORT_NOTES_MEMBER
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database

__all__ = [
    "ARCHIVES",
    "ERROR_MEMBER",
    "NOTES_MEMBER",
    "ExportStream",
    "KIND",
    "export_version",
    "run_export",
    "start_export",
]

#: Archive kinds and their media types.
ARCHIVES: Final = {"tar": "application/x-tar", "zip": "application/zip"}
ERROR_MEMBER: Final = EXPORT_ERROR_MEMBER
NOTES_MEMBER: Final = EXPORT_NOTES_MEMBER
#: The longest ``yolo_path``.
MAX_YOLO_PATH: Final = 4096
#: Pictures read from the database at a time; the first read is smaller, so that the first
#: bytes (or, for a client copying the images from the store, the first references) go soon.
PAGE: Final = 500
FIRST_PAGE: Final = 50
#: Bytes the pipe hands to the response at a time, and pieces it holds at most.
CHUNK: Final = 1024 * 1024
DEPTH: Final = 4
#: Problems listed in one error.
MAX_LISTED: Final = 50


@dataclass(frozen=True, slots=True)
class ExportStream:
    """An export ready to be sent: the archive's bytes start flowing at the first ``next``.
    Call ``close()`` when the response ends, however it ends."""

    filename: str
    media_type: str
    chunks: Iterator[bytes]
    #: The problem that ended the archive with ``ERROR_MEMBER``, once the bytes are read.
    failures: list[PicselliaError] = field(default_factory=list)

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


class _Cancelled(Exception):
    """The reader of the pipe went away."""


_END: Final = object()


class _Pipe:
    """What the archive is written into: a bounded queue of ~1 MiB pieces.  ``write`` blocks
    while the reader is behind, and raises ``_Cancelled`` once it has gone."""

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=DEPTH)
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._position = 0
        self._cancelled = threading.Event()

    # the writing side (a file object for tarfile and zipfile: write and tell, no seek)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._cancelled.is_set():
            raise _Cancelled
        piece = data if isinstance(data, bytes) else bytes(data)
        self._buffer.append(piece)
        self._buffered += len(piece)
        self._position += len(piece)
        if self._buffered >= CHUNK:
            self._put(b"".join(self._buffer))
            self._buffer, self._buffered = [], 0
        return len(piece)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def send(self) -> None:
        """Hand over what is buffered now, however little."""
        if self._buffer:
            self._put(b"".join(self._buffer))
            self._buffer, self._buffered = [], 0

    def finish(self, error: BaseException | None = None) -> None:
        """End the stream: what is buffered, then the end or ``error``."""
        try:
            if self._buffer and error is None:
                self._put(b"".join(self._buffer))
            self._put(_END if error is None else error)
        except _Cancelled:
            pass

    def _put(self, item: object) -> None:
        while True:
            if self._cancelled.is_set():
                raise _Cancelled
            try:
                self._queue.put(item, timeout=0.25)
                return
            except queue.Full:
                continue

    # the reading side

    def get(self) -> object:
        return self._queue.get()

    def cancel(self) -> None:
        self._cancelled.set()


def _collisions(
    exporter: Exporter, files: Sequence[tuple[str, str, str | None]], where: str
) -> None:
    """Refuse the export when two pictures would write the same file."""
    owner: dict[str, str] = {}
    details: list[dict[str, Any]] = []
    for name, _digest, split in files:
        for path in exporter.paths_of(name, split):
            first = owner.setdefault(path, name)
            if first != name and len(details) < MAX_LISTED:
                details.append(
                    {
                        "file": name,
                        "field": "external_url",
                        "message": f"{first} and {name} would both write {path}",
                    }
                )
    if details:
        raise InvalidInputError(
            f"{where} cannot be exported as {exporter.format}: pictures share a file name "
            "once their extension is dropped; rename them, or export to COCO",
            details=details,
        )


def _unwritable(files: Sequence[tuple[str, str, str | None]], where: str) -> None:
    """Refuse the export when a picture's name is not a file name every system can write
    (``pixlake.names.file_name_problem``; a picture may have been stored under an older,
    looser rule)."""
    refused = [(name, problem) for name, _d, _s in files if (problem := file_name_problem(name))]
    if refused:
        raise InvalidInputError(
            f"{where} cannot be exported: the names of {counted(len(refused), 'picture')} are "
            "not file names every system can write; upload them again under other names",
            details=[
                {"file": name, "field": "external_url", "message": problem}
                for name, problem in refused[:MAX_LISTED]
            ],
        )


def _option(fmt: FormatDescriptor, option: str) -> str:
    """The exporter's keyword for the export option ``option``, which ``fmt`` must have."""
    keyword = fmt.export_options.get(option)
    if keyword is None:
        having = names_text([d.name for d in formats() if option in d.export_options])
        raise InvalidQueryError(
            f"{option} applies to {having} exports, not to {fmt.name}",
            details=[{"field": option, "message": f"expected it with format {having} only"}],
        )
    return keyword


def _checked_yolo_path(path: str) -> str:
    """``yolo_path``, once checked: absolute, one line, bounded."""
    field = [{"field": "yolo_path", "message": "expected an absolute folder path, one line"}]
    absolute = path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "/\\")
    if (
        not absolute
        or len(path) > MAX_YOLO_PATH
        or any(ord(char) < 32 or 0xD800 <= ord(char) < 0xE000 for char in path)
    ):
        raise InvalidQueryError(f"yolo_path {path[:80]!r} is not an absolute path", details=field)
    return path


def _bytes_missing(names: Sequence[str], what: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(
        f"the bytes of {what} are missing from storage; upload them again",
        details=[
            {"file": name, "message": "bytes missing from storage"} for name in names[:MAX_LISTED]
        ],
    )


def _check_bytes(
    store: BlobStore, files: Sequence[tuple[str, str, str | None]], where: str
) -> None:
    missing = store.missing({digest for _name, digest, _split in files})
    if missing:
        names = [name for name, digest, _split in files if digest in missing]
        raise _bytes_missing(names, f"{counted(len(names), 'picture')} of {where}")


def _image(item: ExportItem) -> AnnotatedImage:
    """A picture of the version and its annotation, as the formats' neutral image, less its
    objects: they go to ``Exporter.write_compact`` as stored."""
    extra = item.extra
    if item.nb_instances is not None or item.duration is not None:
        extra = dict(extra)
        if item.nb_instances is not None:
            extra["nb_instances"] = item.nb_instances
        if item.duration is not None:
            extra["duration"] = item.duration
    return AnnotatedImage(
        file_name=item.external_url,
        width=item.width,
        height=item.height,
        qa=tuple([QA(q["question"], q["answer"]) for q in item.image_qa]),
        status=item.status,
        extra=extra,
        split=item.split,
    )


def _open(store: BlobStore, item: ExportItem) -> BinaryIO:
    try:
        return store.open(item.digest)
    except FileNotFoundError:  # gone since the check before the first byte
        raise _bytes_missing([item.external_url], item.external_url) from None


def _problem(exc: PicselliaError) -> bytes:
    return json.dumps(
        {"code": exc.code, "status": exc.status_code, "detail": exc.message, "errors": exc.details},
        indent=2,
    ).encode()


def _check_request(fmt: FormatDescriptor, archive: str, images: str) -> None:
    """Refuse a format that does not export, an unknown archive or ``images``, and
    ``images="reference"`` in a zip."""
    if not fmt.exports:
        known = tuple(d.name for d in export_formats())
        raise InvalidQueryError(
            f"{fmt.name} is an import format; export to one of {', '.join(known)}",
            details=[{"field": "format", "message": f"expected one of {known}"}],
        )
    if archive not in ARCHIVES:
        raise InvalidQueryError(
            f"unknown archive {archive!r}",
            details=[{"field": "archive", "message": "expected 'tar' or 'zip'"}],
        )
    if images not in ("bytes", "reference"):
        raise InvalidQueryError(
            f"unknown images {images!r}",
            details=[{"field": "images", "message": "expected 'bytes' or 'reference'"}],
        )
    if images == "reference" and archive != "tar":
        raise InvalidQueryError(
            "images=reference needs archive=tar: a zip holds the images themselves",
            details=[{"field": "images", "message": "expected 'bytes' with archive=zip"}],
        )


@dataclass(frozen=True, slots=True)
class _ArchiveWriter:
    """Writes one export's archive into a pipe: ``exporter`` makes the format's exporter over
    a sink, ``pages`` reads the version's pictures a page at a time."""

    store: BlobStore
    archive: str
    images: str
    exporter: Callable[[Sink], Exporter]
    pages: Callable[[], Iterable[Sequence[ExportItem]]]
    failures: list[PicselliaError]
    progress: Callable[[int], None] | None = None

    def write(self, out: _Pipe) -> None:
        """Write the archive; a problem found on the way ends it with ``ERROR_MEMBER``."""
        sink: Sink = TarSink(out) if self.archive == "tar" else ZipSink(out)  # type: ignore[arg-type]
        written = 0
        try:
            with self.exporter(sink) as exporter:
                for items in self.pages():
                    self._write_page(out, sink, exporter, items)
                    written += len(items)
                    if self.progress is not None:
                        self.progress(written)
            notes = exporter.report()
            if notes:
                sink.write_bytes(NOTES_MEMBER, "".join(n + "\n" for n in notes).encode())
        except PicselliaError as exc:
            self.failures.append(exc)
            sink.write_bytes(ERROR_MEMBER, _problem(exc))
        sink.close()

    def _write_page(
        self, out: _Pipe, sink: Sink, exporter: Exporter, items: Sequence[ExportItem]
    ) -> None:
        for item in items:
            path = exporter.image_path(item.external_url, item.split)
            if isinstance(sink, TarSink) and self.images == "reference":
                sink.write_reference(path, item.digest, item.size)
            else:
                with _open(self.store, item) as blob:
                    sink.write_file(path, blob, item.size)
            exporter.write_compact(_image(item), item.objects)
        if self.images == "reference":
            out.send()  # a page of references is small: its copies can start


def _chunks(write: Callable[[_Pipe], None]) -> Iterator[bytes]:
    """The bytes ``write`` writes, from a thread of its own that starts at the first
    ``next``; an exception the thread raises is raised here."""
    pipe = _Pipe()

    def run() -> None:
        try:
            write(pipe)
        except _Cancelled:
            return
        except BaseException as exc:  # handed to the reader, which raises it
            pipe.finish(exc)
            return
        pipe.finish()

    thread = threading.Thread(target=run, name="pixlake-export", daemon=True)
    thread.start()
    try:
        while (item := pipe.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        pipe.cancel()
        thread.join()


def _filename(
    version_name: str,
    version: str,
    name: str,
    archive: str,
    yolo_mode: str | None,
    status: str | None,
) -> str:
    suffix = ".tar" if archive == "tar" else ".zip"
    kind = name.lower() + ("-seg" if yolo_mode == "segment" else "")
    if status is not None:
        kind += f"-{status}"
    return f"{version_name}-{version}-{kind}{suffix}"


def export_version(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    format: str,
    *,
    archive: str = "zip",
    yolo_mode: str | None = None,
    yolo_path: str | None = None,
    images: str = "bytes",
    status: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportStream:
    """Check that the version can be exported as ``format`` and return the archive's stream
    (``archive`` is ``"tar"`` or ``"zip"``; ``yolo_mode``, for YOLO only, ``"detect"`` for box
    rows or ``"segment"`` for polygon rows); see the module docstring.  With ``status``, only
    the pictures whose annotation has that review status are exported, with every label of
    the version.

    ``images="reference"`` (tar only) writes each image as a reference to its blob
    (``TarSink.write_reference``) instead of its bytes: for a client on the server's machine
    that copies them from the store's files.  ``yolo_path`` (YOLO only) is the absolute path
    ``data.yaml`` gives as ``path``: where the client puts the export, for Ultralytics to find
    it from anywhere.  A format that cannot hold everything as it is ends the archive with
    ``NOTES_MEMBER``, saying what it left out or changed."""
    require_organization(caller, organization_id, write=False)
    fmt = get_format(format, field="format")
    _check_request(fmt, archive, images)
    options: dict[str, Any] = {}
    if yolo_mode is not None:
        options[_option(fmt, "yolo_mode")] = yolo_mode
    if yolo_path is not None:
        options[_option(fmt, "yolo_path")] = _checked_yolo_path(yolo_path)
    version = datasets.get_version_by_id(db, caller, organization_id, version_id=version_id)
    where = f"{version.name}/{version.version}"
    labels, info = datasets.get_metadata(db, caller, organization_id, version_id=version_id)
    specs = [LabelSpec(label.name, cast(LabelKind, label.type)) for label in labels]
    exporter_cls = fmt.exporter
    assert exporter_cls is not None  # a format that exports has an exporter
    files = datasets.version_files(
        db, caller, organization_id, version_id=version_id, status=status
    )
    options["splits"] = {split for _name, _digest, split in files}
    _unwritable(files, where)
    with TarSink(io.BytesIO()) as scratch:  # the exporter's own checks, before any byte
        _collisions(exporter_cls(scratch, specs, info=info, **options), files, where)
    _check_bytes(store, files, where)
    failures: list[PicselliaError] = []
    writer = _ArchiveWriter(
        store,
        archive,
        images,
        exporter=lambda sink: exporter_cls(sink, specs, info=info, **options),
        pages=functools.partial(
            datasets.iter_export,
            db,
            caller,
            organization_id,
            version_id=version_id,
            page=PAGE,
            first_page=FIRST_PAGE,
            status=status,
        ),
        failures=failures,
        progress=progress,
    )
    filename = _filename(version.name, version.version, fmt.name, archive, yolo_mode, status)
    return ExportStream(filename, ARCHIVES[archive], _chunks(writer.write), failures)


# ------------------------------------------------------------------ exports as jobs

#: The job that writes an export into the blob store, for a download link.
KIND: Final = "dataset_export"


def start_export(
    db: Database,
    store: BlobStore,
    runner: JobRunner,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    format: str,
    status: str | None = None,
) -> uuid.UUID:
    """Check that the version can be exported as ``format`` (all that ``export_version``
    checks before the first byte), then queue the job that writes its zip; the job's id."""
    export_version(db, store, caller, organization_id, version_id, format, status=status).close()
    params = {"version_id": str(version_id), "format": format, "status": status}
    job = jobs.create_job(db, caller, organization_id, kind=KIND, params=params, runner=runner.name)
    runner.submit(job.id, caller)
    return job.id


def run_export(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """The job: the version's zip, written into the blob store (granted to the organization,
    so that its members can download it, and collected as garbage a day after)."""
    version_id = uuid.UUID(str(params["version_id"]))
    org = ctx.organization_id
    total = datasets.get_version_by_id(ctx.db, ctx.caller, org, version_id=version_id).size

    def written(count: int) -> None:
        ctx.progress(count, max(total, count), "writing the archive")

    stream = export_version(
        ctx.db,
        ctx.store,
        ctx.caller,
        org,
        version_id,
        str(params["format"]),
        archive="zip",
        status=params.get("status"),
        progress=written,
    )
    writer = ctx.store.writer()
    try:
        for chunk in stream.chunks:
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    finally:
        stream.close()
    if stream.failures:
        writer.abort()
        raise stream.failures[0]
    info = writer.commit()
    blobs.record(
        ctx.db, org, blobs=[BlobEntity(info.digest, info.size, ARCHIVES["zip"], None, None)]
    )
    ctx.progress(total, total, "done", force=True)
    return {"sha256": info.digest, "size": info.size, "filename": stream.filename}
