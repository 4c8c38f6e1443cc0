"""The hostile inputs: each made here from nothing (no file is downloaded), with the answer
it must get.

A case is a set of files (``files``: relative path to bytes) and a way to send them
(``channel``):

- ``upload``: the files are images given to ``Picture().upload``;
- ``import-COCO``, ``import-PASCAL-VOC``, ``import-YOLO``: the folder is a dataset given to
  ``Datalake().upload`` (``images/`` holds the images; the annotations are ``ann``);
- ``http``: ``request`` is sent to the API as it is (method, path under the organization,
  headers, body), or ``raw`` bytes are written to its socket.

``expect`` is the answer: an HTTP status for ``http``, or ``"refused"`` for the SDK's
channels (a ``PicselliaError``).  ``mentions`` must appear in the message or its details: the
file or field at fault.  ``python -m tests.corpus.make DIR`` writes every case's files into
``DIR/<case>/`` to look at.
"""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class Case:
    name: str
    channel: str
    files: dict[str, bytes] = field(default_factory=dict)
    ann: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    raw: bytes = b""
    expect: int | str = "refused"
    mentions: tuple[str, ...] = ()


# ---------------------------------------------------------------------------- images


def _image(fmt: str, size: tuple[int, int] = (32, 24), seed: int = 0) -> bytes:
    image = Image.new("RGB", size, (seed * 40 % 256, 90, 160))
    for x in range(size[0]):
        image.putpixel((x, x % size[1]), (255, seed % 256, 0))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def jpeg(seed: int = 0) -> bytes:
    return _image("JPEG", seed=seed)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_bomb() -> bytes:
    """A 100000 x 100000 grey PNG whose compressed rows are a few hundred bytes."""
    width = height = 100_000
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 8, 9)  # the first rows; the rest "follow"
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_with_size(width: int, height: int) -> bytes:
    data = bytearray(jpeg())
    at = data.find(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gif_with_screen(width: int, height: int) -> bytes:
    data = bytearray(_image("GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0xFF
    return bytes(out)


def _png_bad_crc() -> bytes:
    data = _image("PNG")
    at = data.find(b"IDAT") + 6
    return _flip(data, at)


def _image_cases() -> list[Case]:
    j, p, w = jpeg(), _image("PNG"), _image("WEBP")
    images: dict[str, bytes] = {
        "truncated.jpg": j[: len(j) // 2],
        "no-end-marker.jpg": j[:-2],
        "header-only.jpg": j[:20],
        "no-frame.jpg": j[:2] + b"\xff\xd9",
        "truncated.png": p[: len(p) // 2],
        "bad-crc.png": _png_bad_crc(),
        "signature-only.png": p[:8],
        "truncated.webp": w[: len(w) // 2],
        "riff-only.webp": w[:12],
        "empty.jpg": b"",
        "bomb.png": _png_bomb(),
        "bomb.jpg": _jpeg_with_size(65_000, 65_000),
        "bomb.gif": _gif_with_screen(65_535, 65_535),
        "zero-width.jpg": _jpeg_with_size(0, 24),
        "html.jpg": b"<!doctype html><script>alert(document.cookie)</script>",
        "svg-script.png": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "gif-script.gif": b"GIF89a/*<script>alert(1)</script>*/",
        "pdf.jpg": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "zip.png": b"PK\x03\x04" + b"\x00" * 26 + b"evil.sh",
        "random.webp": bytes(range(256)) * 4,
    }
    return [
        Case(f"image-{name}", "upload", files={name: data}, mentions=(name,))
        for name, data in images.items()
    ]


# ------------------------------------------------------------------------------ COCO


def _coco(**change: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 8], "area": 80}
        ],
    }
    document.update(change)
    return document


def _ann(**change: Any) -> list[dict[str, Any]]:
    base = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 8], "area": 80}
    return [{**base, **change}]


def _img(**change: Any) -> list[dict[str, Any]]:
    return [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24, **change}]


def _coco_cases() -> list[Case]:
    documents: dict[str, bytes | dict[str, Any]] = {
        "not-json": b"images: [a.jpg]\n",
        "truncated": json.dumps(_coco()).encode()[:-9],
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "top-list": b"[]",
        "images-object": _coco(images={"a.jpg": 1}),
        "image-id-text": _coco(images=_img(id="one")),
        "width-negative": _coco(images=_img(width=-32)),
        "width-huge": _coco(images=_img(width=1e308)),
        "width-text": _coco(images=_img(width="32px")),
        "file-name-traversal": _coco(images=_img(file_name="../../etc/passwd")),
        "file-name-absolute": _coco(images=_img(file_name="/etc/shadow")),
        "file-name-drive": _coco(images=_img(file_name="C:evil.jpg")),
        "file-name-nul": _coco(images=_img(file_name="a\u0000.jpg")),
        "bbox-short": _coco(annotations=_ann(bbox=[1, 2, 3])),
        "bbox-text": _coco(annotations=_ann(bbox=["1", "2", "3", "4"])),
        "bbox-nan": b'{"images":[{"id":1,"file_name":"a.jpg","width":32,"height":24}],'
        b'"categories":[{"id":1,"name":"car"}],"annotations":[{"id":1,"image_id":1,'
        b'"category_id":1,"bbox":[NaN,2,3,4]}]}',
        "category-unknown": _coco(annotations=_ann(category_id=7)),
        "image-unknown": _coco(annotations=_ann(image_id=9)),
        "annotation-id-duplicate": _coco(annotations=_ann() + _ann()),
        "segmentation-text": _coco(annotations=_ann(segmentation="polygon")),
        "category-newline": _coco(categories=[{"id": 1, "name": "car\nperson"}]),
        "category-huge": _coco(categories=[{"id": 1, "name": "c" * 1_000_000}]),
        "category-surrogate": b'{"images":[{"id":1,"file_name":"a.jpg","width":32,'
        b'"height":24}],"categories":[{"id":1,"name":"\\ud800"}],"annotations":[]}',
    }
    cases = []
    for name, document in documents.items():
        data = document if isinstance(document, bytes) else json.dumps(document).encode()
        cases.append(
            Case(
                f"coco-{name}",
                "import-COCO",
                files={"images/a.jpg": jpeg(), "instances.json": data},
                ann="instances.json",
                mentions=("instances.json",),
            )
        )
    return cases


# ------------------------------------------------------------------------ PASCAL-VOC


def _voc(
    name: str = "car",
    box: str = "<xmin>2</xmin><ymin>3</ymin><xmax>11</xmax><ymax>10</ymax>",
    filename: str = "a.jpg",
    prolog: str = "",
) -> bytes:
    return (
        f"{prolog}<annotation><filename>{filename}</filename><size><width>32</width>"
        f"<height>24</height><depth>3</depth></size><object><name>{name}</name>"
        f"<bndbox>{box}</bndbox></object></annotation>"
    ).encode()


_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def _voc_cases() -> list[Case]:
    documents = {
        "xxe-file": _voc(
            name="&xxe;",
            prolog='<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        ),
        "xxe-url": _voc(
            name="&xxe;",
            prolog='<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/">]>',
        ),
        "billion-laughs": _voc(name="&lol9;", prolog=_LAUGHS),
        "dtd": _voc(prolog='<?xml version="1.0"?><!DOCTYPE annotation SYSTEM "voc.dtd">'),
        "not-xml": b"<annotation><filename>a.jpg</filename>",
        "box-missing": _voc(box=""),
        "xmin-text": _voc(box="<xmin>two</xmin><ymin>3</ymin><xmax>11</xmax><ymax>10</ymax>"),
        "box-reversed": _voc(box="<xmin>20</xmin><ymin>3</ymin><xmax>11</xmax><ymax>10</ymax>"),
        "name-control": _voc(name="car&#x1b;[31m"),
        "filename-traversal": _voc(filename="../../a.jpg"),
    }
    return [
        Case(
            f"voc-{name}",
            "import-PASCAL-VOC",
            files={"images/a.jpg": jpeg(), "voc/a.xml": data},
            ann="voc",
            mentions=("a.xml",),
        )
        for name, data in documents.items()
    ]


# ------------------------------------------------------------------------------ YOLO


def _yolo_cases() -> list[Case]:
    def dataset(
        label: bytes, names: bytes = b"car\n", extra: dict[str, bytes] | None = None
    ) -> dict[str, bytes]:
        return {
            "images/a.jpg": jpeg(),
            "labels/a.txt": label,
            "classes.txt": names,
            **(extra or {}),
        }

    datasets: dict[str, tuple[dict[str, bytes], str]] = {
        "class-out-of-range": (dataset(b"3 0.5 0.5 0.2 0.2\n"), "a.txt"),
        "class-negative": (dataset(b"-1 0.5 0.5 0.2 0.2\n"), "a.txt"),
        "coordinate-text": (dataset(b"0 0.5 half 0.2 0.2\n"), "a.txt"),
        "coordinate-past-one": (dataset(b"0 0.5 0.5 7 0.2\n"), "a.txt"),
        "too-few-fields": (dataset(b"0 0.5 0.5\n"), "a.txt"),
        "label-without-image": (
            dataset(b"0 0.5 0.5 0.2 0.2\n", extra={"labels/ghost.txt": b"0 0.5 0.5 0.1 0.1\n"}),
            "ghost.txt",
        ),
        "yaml-python-tag": (
            {
                "images/train/a.jpg": jpeg(),
                "labels/train/a.txt": b"0 0.5 0.5 0.2 0.2\n",
                "data.yaml": b"train: images/train\n"
                b"names: !!python/object/apply:os.system ['id']\n",
            },
            "data.yaml",
        ),
        "yaml-names-number": (
            {
                "images/train/a.jpg": jpeg(),
                "labels/train/a.txt": b"0 0.5 0.5 0.2 0.2\n",
                "data.yaml": b"train: images/train\nnames: 7\n",
            },
            "data.yaml",
        ),
    }
    return [
        Case(f"yolo-{name}", "import-YOLO", files=files, ann=".", mentions=(mention,))
        for name, (files, mention) in datasets.items()
    ]


# ------------------------------------------------------------------ archives and HTTP


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def _member(
    name: str, data: bytes = b"bytes", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.linkname = link
    return info, data


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _http_cases() -> list[Case]:
    payload = b"bytes"
    digest = _digest(payload)
    tar_post = {
        "method": "POST",
        "path": "/blobs",
        "headers": {"content-type": "application/x-tar"},
    }
    tars = {
        "tar-traversal": (_tar(_member("../../" + digest, payload)), "../../"),
        "tar-absolute": (_tar(_member("/" + digest, payload)), "/" + digest),
        "tar-symlink": (_tar(_member(digest, kind=tarfile.SYMTYPE, link="/etc/passwd")), digest),
        "tar-hardlink": (_tar(_member(digest, kind=tarfile.LNKTYPE, link="/etc/passwd")), digest),
        "tar-fifo": (_tar(_member(digest, kind=tarfile.FIFOTYPE)), digest),
        "tar-wrong-bytes": (_tar(_member(digest, b"other bytes")), digest),
        "tar-not-digest": (_tar(_member("evil.sh", payload)), "evil.sh"),
    }
    cases = [
        Case(name, "http", request={**tar_post, "body": body}, expect=200, mentions=(mention,))
        for name, (body, mention) in tars.items()
    ]
    unreadable = {
        "tar-truncated": _tar(_member(digest, payload * 400))[:700],
        "tar-zip-instead": b"PK\x03\x04" + b"\x00" * 60,
    }
    cases += [
        Case(name, "http", request={**tar_post, "body": body}, expect=422, mentions=("body",))
        for name, body in unreadable.items()
    ]
    json_post = {
        "method": "POST",
        "path": "/pictures",
        "headers": {"content-type": "application/json"},
    }

    def pictures(body: bytes | dict[str, Any]) -> dict[str, Any]:
        return {**json_post, "body": body if isinstance(body, bytes) else json.dumps(body).encode()}

    def named(name: str) -> dict[str, Any]:
        return {"pictures": [{"external_url": name, "sha256": digest}]}

    bodies: dict[str, tuple[dict[str, Any], int, str]] = {
        "json-deep": (pictures(b"[" * 50_000 + b"]" * 50_000), 400, "body"),
        "json-truncated": (pictures(b'{"pictures": [{"external_url": "a.jpg"'), 422, "body"),
        "json-not-utf8": (pictures(b'{"pictures": [], "source": "\xff\xfe"}'), 400, "body"),
        "json-surrogate": (pictures(b'{"pictures": [], "source": "\\ud800"}'), 422, "source"),
        "name-drive": (pictures(named("C:x.png")), 200, "external_url"),
        "name-traversal": (pictures(named("../x.png")), 200, "external_url"),
        "name-nul": (pictures(named("x\u0000.png")), 422, "external_url"),
        "name-newline": (pictures(named("x\n.png")), 200, "external_url"),
        "name-bidi": (pictures(named("x\u202egnp.exe")), 200, "external_url"),
        "name-huge": (pictures(named("x" * 100_000 + ".png")), 200, "external_url"),
        "tag-bidi": (pictures({"pictures": [], "tags": ["a\u202eb"]}), 422, "tags"),
        "tag-newline": (pictures({"pictures": [], "tags": ["a\nb"]}), 422, "tags"),
        "tag-control": (pictures({"pictures": [], "tags": ["a\x1b[31mb"]}), 422, "tags"),
        "integer-past-64-bits": (
            {
                "method": "POST",
                "path": "/pictures/search",
                "headers": {"content-type": "application/json"},
                "body": b'{"quantity": 99999999999999999999999}',
            },
            422,
            "quantity",
        ),
    }
    cases += [
        Case(name, "http", request=request, expect=status, mentions=(mention,))
        for name, (request, status, mention) in bodies.items()
    ]
    # lying Content-Length and hang-ups: raw bytes on the socket, no answer is awaited
    hangups = {
        "hangup-mid-json": ("POST", "/pictures", b'{"pictures": [{"external_url": "a.jpg"'),
        "hangup-mid-blob": ("PUT", f"/blobs/{digest}", payload[:2]),
        "content-length-lies": ("POST", "/pictures", b"{}"),
    }
    cases.append(  # a declared length past the limit: refused before a byte is read
        Case(
            "body-over-limit",
            "http",
            raw=b"{}",
            expect=413,
            mentions=("limit",),
            request={"method": "POST", "path": "/pictures", "declared": 2**40},
        )
    )
    cases += [
        Case(
            name,
            "http",
            raw=body,
            expect=0,
            request={"method": method, "path": path, "declared": 10_000},
        )
        for name, (method, path, body) in hangups.items()
    ]
    return cases


MAKERS: tuple[Callable[[], list[Case]], ...] = (
    _image_cases,
    _coco_cases,
    _voc_cases,
    _yolo_cases,
    _http_cases,
)


def all_cases() -> list[Case]:
    cases = [case for make in MAKERS for case in make()]
    names = [case.name for case in cases]
    assert len(set(names)) == len(names), "two cases share a name"
    return cases
