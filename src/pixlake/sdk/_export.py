"""Exporting a dataset version to COCO, PASCAL-VOC or YOLO files, streaming.

The version is read a page at a time (pictures with their annotations; the next page is
asked for while one is written); images are fetched in parallel, a bounded number ahead of the
one being written, and written in order, with the annotations, through the format's exporter
into a folder or a zip.  Memory is bounded by two pages and ``IN_FLIGHT`` images, whatever the
size of the dataset.  Labels keep their version order, so class indices and category ids are
the same at every export.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pixlake.errors import InvalidQueryError
from pixlake.formats import QA, AnnotatedImage, LabelSpec, Obj
from pixlake.formats.registry import format_name, get_exporter
from pixlake.formats.sinks import FolderSink, Sink, ZipSink
from pixlake.sdk._base import Context
from pixlake.sdk._progress import Bar
from pixlake.sdk._transfer import read_blobs

__all__ = ["EXPORT_FORMATS", "export_version", "to_image"]

EXPORT_FORMATS = ("COCO", "PASCAL-VOC", "YOLO")
#: Pictures being fetched or held in memory at once.
IN_FLIGHT = 128
#: Pictures fetched by one request (one tar of their blobs).
BATCH = 32
#: Items per page of the version (the server's default largest page).
PAGE = 1000


def to_image(item: dict[str, Any]) -> AnnotatedImage:
    """A version item (picture + annotation records) as the formats' neutral image."""
    picture = item["picture"]
    annotation = item.get("annotation") or {}
    objects = tuple(
        Obj.from_wire(o, field=f"{picture['external_url']}.annotations[{i}]")
        for i, o in enumerate(annotation.get("annotations", []))
    )
    qa = tuple(QA(q["question"], q["answer"]) for q in annotation.get("image_qa") or [])
    extra = dict(annotation.get("extra") or {})
    for key in ("nb_instances", "duration"):
        if annotation.get(key) is not None:
            extra[key] = annotation[key]
    return AnnotatedImage(
        file_name=picture["external_url"],
        width=picture["width"],
        height=picture["height"],
        objects=objects,
        qa=qa,
        status=annotation.get("status"),
        extra=extra,
    )


def export_version(
    ctx: Context,
    version_path: str,
    format: str,
    path: Path,
    *,
    as_zip: bool = False,
    progress: bool = True,
    workers: int = 8,
) -> Path:
    name = format_name(format)
    if name not in EXPORT_FORMATS:
        raise InvalidQueryError(
            f"{name} is an import format; export to one of {', '.join(EXPORT_FORMATS)}"
        )
    conn = ctx.connection
    meta = conn.get(f"{version_path}/metadata")
    record = conn.get(version_path)
    labels = [LabelSpec(label["name"], label["type"]) for label in meta["labels"]]
    sink: Sink = ZipSink(path, overwrite=True) if as_zip else FolderSink(path, overwrite=True)
    exporter_cls = get_exporter(name)

    def fetch(batch: list[dict[str, Any]]) -> list[bytes]:
        return read_blobs(conn, ctx.org_path, [item["picture"]["sha256"] for item in batch])

    def page(cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        answer: dict[str, Any] = conn.get(f"{version_path}/items", params=params)
        return answer

    try:
        with (
            exporter_cls(sink, labels, info=meta["info"]) as exporter,
            Bar(f"Exporting {name}", total=record["size"], enabled=progress) as bar,
            ThreadPoolExecutor(max_workers=workers) as pool,
            ThreadPoolExecutor(max_workers=1) as pager,
        ):
            # Images are fetched ahead (BATCH per request, at most IN_FLIGHT at once) and
            # written in order while the next ones travel; the next page is asked for while
            # this one is written.
            pending: deque[tuple[list[dict[str, Any]], Future[list[bytes]]]] = deque()
            batch: list[dict[str, Any]] = []

            def send() -> None:
                pending.append((list(batch), pool.submit(fetch, list(batch))))
                batch.clear()

            def write_oldest() -> None:
                items, future = pending.popleft()
                for item, data in zip(items, future.result(), strict=True):
                    image = to_image(item)
                    sink.write_bytes(exporter.image_path(image.file_name), data)
                    exporter.write(image)
                    bar.advance()

            next_page: Future[dict[str, Any]] | None = pager.submit(page, None)
            while next_page is not None:
                current = next_page.result()
                cursor = current.get("next_cursor")
                next_page = pager.submit(page, cursor) if cursor else None
                for item in current["data"]:
                    batch.append(item)
                    if len(batch) >= BATCH:
                        send()
                        if len(pending) * BATCH >= IN_FLIGHT:
                            write_oldest()
            if batch:
                send()
            while pending:
                write_oldest()
    finally:
        sink.close()
    return path
