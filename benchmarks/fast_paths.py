"""The fast paths of decision 0025, each against the reference path it holds to.

- the JPEG probe (``pixlake.imaging``) against Pillow, on a 640x480 photo-like JPEG;
- the PASCAL-VOC text writer against the ``ElementTree`` writer it replaced (kept in
  ``tests/formats/test_voc.py``), on images of 7 boxes and of 7 polygons of 200 points;
- the SDK's tar reader (``pixlake.tarstream.iter_tar``) against ``tarfile``'s stream mode,
  on a tar of 100,000 small members: time, and memory beyond the archive (``--tar-memory``);
- the pure-Python COCO RLE (``pixlake.formats.Mask``) against pycocotools, on a 640x480 mask.

Run from the repository's root, with the ``dev`` extra installed (numpy, pycocotools)::

    python benchmarks/fast_paths.py [--tar-memory]

Each figure is the best of a few rounds of one process's wall time: on a shared machine,
compare the ratios rather than the times.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tarfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' reference writer

from tests.formats.test_voc import elementtree_xml  # noqa: E402

from pixlake import imaging  # noqa: E402
from pixlake.formats import AnnotatedImage, Box, LabelSpec, Mask, Obj  # noqa: E402
from pixlake.formats.sinks import Sink  # noqa: E402
from pixlake.formats.voc import VocExporter, _shapes  # noqa: E402
from pixlake.tarstream import iter_tar  # noqa: E402


def best(fn: Callable[[], object], n: int, rounds: int = 5) -> float:
    """Seconds per call, the best of ``rounds``."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - start) / n)
    return min(times)


def jpeg_probe() -> None:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    fast = best(lambda: imaging.probe(data), 2000)
    kept = imaging._jpeg_size

    def none(data: bytes) -> tuple[int, int] | None:
        return None

    imaging._jpeg_size = none  # every JPEG to Pillow, the reference
    try:
        reference = best(lambda: imaging.probe(data), 2000)
    finally:
        imaging._jpeg_size = kept
    print(
        f"JPEG probe, 640x480 ({len(data) // 1024} KiB): fast path {fast * 1e6:.1f} us, "
        f"Pillow {reference * 1e6:.1f} us (x{reference / fast:.1f})"
    )


class _NullSink(Sink):
    def _open(self, relpath: str) -> IO[bytes]:
        return io.BytesIO()


def voc_writer() -> None:
    rng = random.Random(1)

    def ring(points: int) -> tuple[tuple[float, float], ...]:
        return tuple(
            (round(rng.uniform(0, 600), 2), round(rng.uniform(0, 400), 2)) for _ in range(points)
        )

    polygons = [
        AnnotatedImage(
            file_name=f"p{i}.jpg",
            width=640,
            height=480,
            objects=tuple(
                Obj(label="car", kind="polygon", polygons=(ring(200),)) for _ in range(7)
            ),
        )
        for i in range(50)
    ]
    boxes = [
        AnnotatedImage(
            file_name=f"b{i}.jpg",
            width=640,
            height=480,
            objects=tuple(
                Obj(label="car", kind="rectangle", box=Box(10.5, 20, 30, 40)) for _ in range(7)
            ),
        )
        for i in range(500)
    ]
    exporter = VocExporter(_NullSink(), [LabelSpec("car", "polygon")])
    for what, images in (("7 polygons of 200 points", polygons), ("7 boxes", boxes)):

        def text(images: list[AnnotatedImage] = images) -> None:
            for image in images:
                exporter._write_xml(image, _shapes(image.objects))

        def tree(images: list[AnnotatedImage] = images) -> None:
            for image in images:
                elementtree_xml(image)

        fast = best(text, 1, 3) / len(images)
        reference = best(tree, 1, 3) / len(images)
        print(
            f"PASCAL-VOC XML, {what}: text {fast * 1e6:.0f} us, ElementTree "
            f"{reference * 1e6:.0f} us (x{reference / fast:.1f})"
        )


def tar_reader(memory: bool) -> None:
    count = 100_000
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for i in range(count):
            info = tarfile.TarInfo(f"images/img_{i:06d}.jpg")
            info.size = 64
            archive.addfile(info, io.BytesIO(b"x" * 64))
    body = out.getvalue()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 1 << 20):
            yield body[i : i + (1 << 20)]

    def ours() -> None:
        for _member, pieces in iter_tar(chunks()):
            for _piece in pieces:
                pass

    def theirs() -> None:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r|") as archive:
            for member in archive:
                handle = archive.extractfile(member)
                if handle is not None:
                    handle.read()

    for name, fn in (("SDK reader", ours), ("tarfile r|", theirs)):
        start = time.perf_counter()
        fn()
        line = f"tar of {count} members, {name}: {time.perf_counter() - start:.2f} s"
        if memory:
            tracemalloc.start()
            fn()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            line += f", peak {peak / 2**20:.1f} MiB beyond the archive"
        print(line)


def rle() -> None:
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(3)
    array = np.zeros((480, 640), dtype=np.uint8, order="F")
    for _ in range(5):
        y, x = rng.integers(0, 400), rng.integers(0, 560)
        array[y : y + 60, x : x + 80] = 1
    encoded = mask_utils.encode(np.asfortranarray(array))
    text = encoded["counts"].decode()

    def ours() -> None:
        mask = Mask(480, 640, text)
        mask.area()
        mask.bbox()

    def theirs() -> None:
        mask_utils.area(encoded)
        mask_utils.toBbox(encoded)

    fast, reference = best(ours, 300), best(theirs, 2000)
    print(
        f"COCO RLE, 640x480 mask ({len(text)} characters): area and box in Python "
        f"{fast * 1e6:.0f} us, pycocotools {reference * 1e6:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tar-memory", action="store_true", help="measure the tar's memory")
    args = parser.parse_args()
    jpeg_probe()
    voc_writer()
    tar_reader(args.tar_memory)
    rle()


if __name__ == "__main__":
    main()
