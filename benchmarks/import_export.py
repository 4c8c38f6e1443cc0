"""Import/export benchmark: a COCO dataset through pixlake, against the floor of the same work.

For each size N (1k and 10k by default, 100k with ``--full``), on a deterministic generated
COCO detection dataset (``shared/tools/gen_coco.py``: ~640x480 JPEGs, ~7 boxes per image, half
of them with a detailed polygon, with the same boxes as YOLO and PASCAL-VOC files; cached in
``benchmarks/out/coco-N/``, generation is not measured):

floor, in its own process, single-threaded
    read + SHA-256 + write a copy of every image into a folder, ``json.load`` the COCO file,
    then one ``sqlite3`` transaction inserting one row per image and one row per annotation
    object (image id, category, bbox JSON, segmentation JSON, area, iscrowd; WAL,
    synchronous=NORMAL, like the server)

pixlake, the SDK in its own process against ``pixlake serve`` in another (fresh
``PIXLAKE_HOME`` per N), in this order on the same server
    import       ``Datalake.upload(name=, imgdir=, ann_path=, ann_format="COCO", tags=)``:
                 parse + validate, upload the pictures, the import job, until it ends
    COCO, YOLO, PASCAL-VOC export
                 ``lake.dataset.export(format, folder)`` of that dataset: annotations and
                 every image (the SDK being on the server's machine, it copies the images
                 from the store's files: docs/server.md, "Same-host reads")
    COCO over HTTP
                 the COCO export again with ``PIXLAKE_SAME_HOST=0``: every image
                 sent over HTTP, as to an SDK on another machine
    YOLO import, PASCAL-VOC import
                 ``Datalake.upload`` of the generator's flat ``yolo/`` folder
                 (``ann_format="YOLO"``, the images from ``yolo/images``, its link to
                 ``images/``) and of its ``voc/`` folder (``"PASCAL-VOC"``, the images from
                 ``images/``), each as a new dataset (its pictures are already in the
                 datalake: their bytes are not sent again)
    YOLO split import (this code only: the baseline cannot read it)
                 ``Datalake.upload`` of an Ultralytics split layout (``images/train|val/``,
                 ``labels/train|val/``, ``data.yaml``): the generator's YOLO data, the first
                 80% of the images by name in ``train``, the rest in ``val``; made once per
                 N (not timed) in ``benchmarks/out/coco-N/yolo-split/``, images hard-linked
    import over HTTP
                 the COCO import again, into a second fresh server, with
                 ``PIXLAKE_SAME_HOST=0`` (likewise)

Every import is checked complete (its pictures, its objects, and the split import's splits),
and every export (its images, and its annotations, rows or objects: a YOLO export may leave
the crowd regions out).

baseline (``--baseline PYTHON``): the same pixlake steps with another installation of
pixlake, e.g. an earlier commit's, in the same rounds: its own fresh servers (started with
the ``pixlake`` script beside that Python), its SDK process run by that Python (this file,
in a child mode).  The report then compares each step of the two side by side.

FiftyOne (``--peer fiftyone``, only when ``import fiftyone`` works), in its own Python
(``--fiftyone-python``; ``benchmarks/peers/fiftyone.sh`` makes one) and process
    ``fo.Dataset.from_dir`` on the same COCO file and images (detections: boxes, with the
    polygons as instance masks), then its COCO, YOLOv5 and VOC exports with the media; its
    database is started before any timing.  When FiftyOne cannot run, the report compares the
    import with the issue's *reference* figure (~290 images/s on a 2-core machine), labelled
    as such: it is not a same-run measurement.

Every image and annotation file is read once before any timing (warm page cache for every
contender).  Wall times, images/s, ratios to the floor, client and server CPU seconds, peak
RSS of the client (``ru_maxrss`` of its process) and of the server (``VmHWM``) and their sum.

    python benchmarks/import_export.py                    # N = 1000, 10000
    python benchmarks/import_export.py --full             # and 100000 (~8 GB of images)
    python benchmarks/import_export.py --sizes 1000 --keep --peer fiftyone
    python benchmarks/import_export.py --sizes 10000 --peer fiftyone --rounds 3
    python benchmarks/import_export.py --sizes 1000 --baseline ../baseline/.venv/bin/python

With ``--rounds K`` each size is measured K times over, every contender in every round (a
round is what one run does: floor, pixlake, the baseline, FiftyOne; pixlake and the
baseline take turns going first).  The tables then give each step's median, and the
FiftyOne-relative targets are judged round by round, each pixlake time against FiftyOne's in
the same round, their median deciding: on a machine whose writes swing from one minute to the
next, one round is one draw.  The baseline comparison is likewise the median of each round's
ratio.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import functools
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from _harness import (
    pixlake_cli,
    pixlake_server,
    proc_cpu,
    proc_hwm_mib,
    self_cpu,
    self_peak_mib,
    set_aside,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
DEFAULT_GEN_COCO = REPO.parent / "shared" / "tools" / "gen_coco.py"
SEED = 0
DUP_FRACTION = 0.0
TAG = "bench"
FORMATS = ("COCO", "YOLO", "PASCAL-VOC")
#: The COCO export again, its images sent over HTTP rather than copied from the server's
#: store (which the SDK does on the server's machine: docs/server.md, "Same-host reads").
COCO_HTTP = "COCO over HTTP"
#: The import again, into a second server, its bytes sent over HTTP.
IMPORT_HTTP = "import over HTTP"
#: The generator's flat YOLO folder and its PASCAL-VOC folder, imported after the exports.
YOLO_IMPORT = "YOLO import"
VOC_IMPORT = "PASCAL-VOC import"
#: The generator's YOLO data in an Ultralytics split layout, imported by this code only.
SPLIT_IMPORT = "YOLO split import"
#: The share of the images (the first ones, by name) in the split layout's ``train``.
TRAIN_SHARE = 0.8
#: The steps of a pixlake contender, in the report's order.
IMPORTS = ("import", IMPORT_HTTP, YOLO_IMPORT, VOC_IMPORT, SPLIT_IMPORT)
STEPS = (*IMPORTS, *FORMATS, COCO_HTTP)
#: What an export may hold at its root besides the format's files (what it left out).
EXPORT_NOTES = "pixlake-export-notes.txt"
#: The floor's parts, as reported.
FLOOR_READ = "read and hash the images"
FLOOR_WRITE = "write their copies"
FLOOR_INSERT = "parse the COCO file and insert its rows"
#: Where finished steps' outputs wait, in the run's folder (see ``set_aside``), until the end.
TRASH = "set-aside"
#: The roles of the two pixlake installations a run can measure.
THIS = "pixlake"
BASELINE = "baseline"


def keep_free(image_bytes: int) -> int:
    """Free space to keep on the disk: room for two more copies of the images, and 4 GiB."""
    return 2 * image_bytes + 4 * 1024**3


#: The issue's figure for FiftyOne's COCO import on a 2-core machine (it copies no bytes).
FIFTYONE_REFERENCE_IMAGES_PER_S = 290.0
#: Targets from the issue, checked at TARGET_N.
TARGET_N = 10_000
IMPORT_OVER_FLOOR = 3.0
IMPORT_OVER_FIFTYONE = 0.2
COCO_EXPORT_OVER_FIFTYONE = 0.1
MEMORY_MIB = 1024.0
MEMORY_N = 100_000


T = TypeVar("T")


def log(message: str) -> None:
    print(f"[import_export] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- measuring


@dataclass
class Step:
    seconds: float
    client_cpu: float
    server_cpu: float | None = None
    #: Wall seconds of some parts of the step, by name (the floor's).
    parts: dict[str, float] = field(default_factory=dict)


def timed(name: str, n: int, fn: Callable[[], Any], server_pid: int | None = None) -> Step:
    cpu0 = self_cpu()
    srv0 = proc_cpu(server_pid) if server_pid else 0.0
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    step = Step(
        seconds,
        self_cpu() - cpu0,
        (proc_cpu(server_pid) - srv0) if server_pid else None,
    )
    log(f"N={n} {name:<28} {seconds:9.3f} s  {n / seconds:9.1f} images/s")
    return step


def in_child(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in a fresh interpreter, so that its peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


# --------------------------------------------------------------------------- data


def ensure_dataset(n: int, gen_coco: Path) -> Path:
    """``benchmarks/out/coco-N/``, generated once by gen_coco.py (not timed)."""
    folder = OUT / f"coco-{n}"
    stats_file = folder / "gen_stats.json"
    if stats_file.exists():
        stats = json.loads(stats_file.read_text())
        if (stats.get("images"), stats.get("seed"), stats.get("dup_fraction")) == (
            n,
            SEED,
            DUP_FRACTION,
        ):
            return folder
    if not gen_coco.is_file():
        raise SystemExit(
            f"error: the COCO generator is not at {gen_coco}; it is shared/tools/gen_coco.py "
            "beside the repository: pass its path with --gen-coco PATH"
        )
    log(f"coco-{n}: generating with {gen_coco} (not timed)")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(gen_coco),
            str(folder),
            "--images",
            str(n),
            "--seed",
            str(SEED),
            "--dup-fraction",
            str(DUP_FRACTION),
            "--workers",
            "2",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log(f"coco-{n}: ready in {time.perf_counter() - started:.0f} s")
    return folder


def image_paths(folder: Path) -> list[Path]:
    return sorted((folder / "images").glob("*.jpg"))


def warm(paths: Sequence[Path]) -> int:
    total = 0
    for p in paths:
        total += len(p.read_bytes())
    return total


def annotation_files(folder: Path) -> list[Path]:
    """The YOLO and PASCAL-VOC files the imports read, to warm with the images."""
    return sorted(
        [
            *(folder / "yolo" / "labels").glob("*.txt"),
            *(folder / "voc" / "Annotations").glob("*.xml"),
            *(folder / "yolo-split" / "labels").glob("*/*.txt"),
        ]
    )


def split_counts(n: int) -> dict[str, int]:
    train = int(n * TRAIN_SHARE)
    return {"train": train, "val": n - train}


def ensure_split(folder: Path) -> tuple[Path, dict[str, int]]:
    """``coco-N/yolo-split/``: the generator's YOLO data in an Ultralytics split layout
    (``images/train|val/``, ``labels/train|val/``, a ``data.yaml`` without ``path``), the
    first ``TRAIN_SHARE`` of the images by name in ``train``, the others in ``val``; made
    once (not timed) and kept while ``gen_stats.json`` is the same.  The images are
    hard-linked (copied where links cannot be made), the label files copied.  Returns the
    folder and the pictures per split."""
    target = folder / "yolo-split"
    marker = folder / "yolo-split.json"
    images = image_paths(folder)
    splits = split_counts(len(images))
    stamp = {
        "gen_stats": hashlib.sha256((folder / "gen_stats.json").read_bytes()).hexdigest(),
        "splits": splits,
    }
    if target.is_dir() and marker.exists() and json.loads(marker.read_text()) == stamp:
        return target, splits
    log(f"{folder.name}: making {target.name}/ (not timed)")
    marker.unlink(missing_ok=True)
    partial = folder / "yolo-split.partial"
    for stale in (target, partial):
        if stale.exists():
            shutil.rmtree(stale)
    labels = folder / "yolo" / "labels"
    link = True
    train = splits["train"]
    for split, chunk in (("train", images[:train]), ("val", images[train:])):
        image_dir = partial / "images" / split
        label_dir = partial / "labels" / split
        image_dir.mkdir(parents=True)
        label_dir.mkdir(parents=True)
        for image in chunk:
            if link:
                try:
                    os.link(image, image_dir / image.name)
                except OSError:
                    link = False
            if not link:
                shutil.copyfile(image, image_dir / image.name)
            label = f"{image.stem}.txt"
            shutil.copyfile(labels / label, label_dir / label)
    names = (folder / "yolo" / "classes.txt").read_text().splitlines()
    (partial / "data.yaml").write_text(
        "train: images/train\nval: images/val\n"
        f"nc: {len(names)}\nnames:\n" + "".join(f"  {i}: {name}\n" for i, name in enumerate(names))
    )
    partial.rename(target)
    marker.write_text(json.dumps(stamp))
    if not link:
        log(f"{target}: images copied (hard links could not be made)")
    return target, splits


def split_images(folder: Path) -> list[Path]:
    """The split layout's images that are copies rather than links (to warm them too)."""
    return [p for p in sorted((folder / "images").glob("*/*.jpg")) if p.stat().st_nlink == 1]


def count_crowds(coco_file: Path) -> int:
    """The COCO file's crowd regions (``iscrowd: 1``): a YOLO export may leave them out."""
    with coco_file.open("rb") as f:
        coco = json.load(f)
    return sum(1 for a in coco["annotations"] if a.get("iscrowd"))


@functools.cache
def crowds_in(folder: Path) -> int:
    # In a process of its own, as the checks are: a large COCO file takes gigabytes.
    return in_child(count_crowds, folder / "annotations" / "instances.json")


# --------------------------------------------------------------------------- the floor


def _floor_work(folder: Path, workdir: Path, parts: dict[str, float]) -> tuple[int, int]:
    copies = workdir / "copies"
    copies.mkdir(parents=True)
    pictures = []
    writing = 0.0
    start = time.perf_counter()
    for path in image_paths(folder):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        t = time.perf_counter()
        (copies / digest).write_bytes(data)
        writing += time.perf_counter() - t
        pictures.append((path.name, digest, len(data)))
    parts[FLOOR_READ] = time.perf_counter() - start - writing
    parts[FLOOR_WRITE] = writing
    start = time.perf_counter()
    with (folder / "annotations" / "instances.json").open("rb") as f:
        coco = json.load(f)
    rows = [
        (
            a["image_id"],
            a["category_id"],
            json.dumps(a["bbox"]),
            json.dumps(a.get("segmentation")),
            a.get("area"),
            a.get("iscrowd", 0),
        )
        for a in coco["annotations"]
    ]
    con = sqlite3.connect(workdir / "floor.sqlite", isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(
            "CREATE TABLE pictures (pk INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
            "digest TEXT NOT NULL, size INTEGER NOT NULL)"
        )
        con.execute(
            "CREATE TABLE objects (pk INTEGER PRIMARY KEY, image_id INTEGER NOT NULL, "
            "category INTEGER NOT NULL, bbox TEXT NOT NULL, segmentation TEXT, area REAL, "
            "iscrowd INTEGER NOT NULL)"
        )
        con.execute("BEGIN")
        con.executemany("INSERT INTO pictures (name, digest, size) VALUES (?, ?, ?)", pictures)
        con.executemany(
            "INSERT INTO objects (image_id, category, bbox, segmentation, area, iscrowd) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        con.execute("COMMIT")
    finally:
        con.close()
    parts[FLOOR_INSERT] = time.perf_counter() - start
    return len(pictures), len(rows)


def floor_child(n: int, folder: str, workdir: str, free: int) -> dict[str, Any]:
    work = Path(workdir)
    try:
        counts: list[tuple[int, int]] = []
        parts: dict[str, float] = {}
        step = timed("floor", n, lambda: counts.append(_floor_work(Path(folder), work, parts)))
        step.parts = parts
        images, objects = counts[0]
        if images != n:
            raise RuntimeError(f"the floor copied {images} images, expected {n}")
        return {"floor": step.__dict__, "objects": objects, "client_rss_mib": self_peak_mib()}
    finally:
        set_aside(work, work.parent / TRASH, free)


# --------------------------------------------------------------------------- checks


def _count_files(folder: Path, pattern: str) -> int:
    return sum(1 for _ in folder.glob(pattern))


def _notes(out: Path) -> str:
    """What the export said it left out (``pixlake-export-notes.txt``), for the summary."""
    notes = out / EXPORT_NOTES
    if not notes.is_file():
        return ""
    text = " ".join(notes.read_text().split())
    return f" ({EXPORT_NOTES}: {text[:120]}{'...' if len(text) > 120 else ''})"


def check_export(fmt: str, out: Path, n: int, objects: int, crowds: int = 0) -> str:
    """Check that an export holds every image and its annotations; a short summary.

    Both layouts pass: pixlake's earlier one and its present one (COCO's one
    ``annotations/*.json``, ``instances.json`` then ``instances_default.json``; YOLO
    without the ``crowds`` crowd regions, as Ultralytics' converter does; PASCAL-VOC's
    ``ImageSets/Main/`` and ``labelmap.txt``; images and labels in ``<split>/`` folders;
    ``pixlake-export-notes.txt``, which is not counted)."""
    if fmt == "COCO":
        found = sorted((out / "annotations").glob("*.json"))
        if len(found) != 1:
            raise RuntimeError(
                f"COCO export: {len(found)} annotation files ({[p.name for p in found]}); "
                "expected one (instances.json or instances_default.json)"
            )
        coco = json.loads(found[0].read_text())
        images = _count_files(out / "images", "**/*.jpg")
        if len(coco["images"]) != n or len(coco["annotations"]) != objects or images != n:
            raise RuntimeError(
                f"COCO export: {len(coco['images'])} image records, {images} images, "
                f"{len(coco['annotations'])} annotations; expected {n}, {n}, {objects}"
            )
        return f"{n} images, {objects} annotations in {found[0].name}{_notes(out)}"
    if fmt == "YOLO":
        images = _count_files(out / "images", "**/*.jpg")
        labels = list((out / "labels").glob("**/*.txt"))
        rows = sum(len(p.read_text().splitlines()) for p in labels)
        if images != n or len(labels) != n or rows not in (objects, objects - crowds):
            raise RuntimeError(
                f"YOLO export: {images} images, {len(labels)} label files, {rows} rows; "
                f"expected {n}, {n}, {objects}"
                + (f" or {objects - crowds} (without the crowd regions)" if crowds else "")
            )
        left_out = " (its crowd regions left out)" if crowds and rows != objects else ""
        return f"{n} images, {rows} rows{left_out}{_notes(out)}"
    images = _count_files(out / "JPEGImages", "**/*.jpg")
    xml = list((out / "Annotations").glob("*.xml"))
    boxes = sum(p.read_text().count("<object>") for p in xml)
    if images != n or len(xml) != n or boxes != objects:
        raise RuntimeError(
            f"PASCAL-VOC export: {images} images, {len(xml)} files, {boxes} objects; "
            f"expected {n}, {n}, {objects}"
        )
    return f"{n} images, {boxes} objects{_notes(out)}"


# --------------------------------------------------------------------------- pixlake


def timed_import(
    lake: Any,
    step_name: str,
    n: int,
    objects: int,
    pid: int,
    *,
    name: str,
    imgdir: Path,
    ann_path: Path,
    ann_format: str,
    splits: dict[str, int] | None = None,
) -> dict[str, Any]:
    """``Datalake.upload`` of one dataset, timed, and checked complete: ``n`` pictures,
    ``objects`` objects and, when given, ``splits`` pictures per split."""
    records: list[Any] = []

    def upload() -> None:
        records.append(
            lake.upload(
                name=name, imgdir=imgdir, ann_path=ann_path, ann_format=ann_format, tags=[TAG]
            )
        )

    step = timed(step_name, n, upload, pid)
    record = records[0]
    if record["size"] != n or record["nb_objects"] != objects:
        raise RuntimeError(
            f"{step_name} made {record['size']} pictures and {record['nb_objects']} objects; "
            f"expected {n} and {objects}"
        )
    if splits is not None and record.get("splits") != splits:
        raise RuntimeError(f"{step_name} made the splits {record.get('splits')}; expected {splits}")
    return step.__dict__


def coco_import(
    lake: Any, step_name: str, n: int, folder: Path, objects: int, pid: int
) -> dict[str, Any]:
    """The COCO import of the dataset in ``folder``."""
    return timed_import(
        lake,
        step_name,
        n,
        objects,
        pid,
        name=f"coco-{n}",
        imgdir=folder / "images",
        ann_path=folder / "annotations" / "instances.json",
        ann_format="COCO",
    )


def pixlake_child(
    role: str,
    n: int,
    folder: str,
    split_folder: str | None,
    splits: dict[str, int] | None,
    workdir: str,
    url: str,
    token: str,
    pid: int,
    objects: int,
    crowds: int,
    keep: bool,
    free: int,
) -> dict[str, Any]:
    """One pixlake installation's steps against its server (see the module docstring), in
    the SDK process of that installation's Python: the import, the exports, the COCO export
    over HTTP, then the YOLO and PASCAL-VOC imports and (``split_folder``) the split one."""
    from pixlake import Datalake

    data = Path(folder)
    work = Path(workdir)
    lake = Datalake(api_token=token, host=url, interactive=False)
    out: dict[str, Any] = {"import": coco_import(lake, f"{role} import", n, data, objects, pid)}
    out["import check"] = f"{n} pictures, {objects} objects"
    out["client_rss_import_mib"] = self_peak_mib()
    out["server_rss_import_mib"] = proc_hwm_mib(pid)
    for fmt in FORMATS:
        target = work / f"export-{fmt}"
        step = timed(
            f"{role} {fmt} export", n, functools.partial(lake.dataset.export, fmt, target), pid
        )
        out[fmt] = step.__dict__
        # Checked in a process of its own: loading a large COCO file whole takes gigabytes,
        # which must not count as the SDK's memory.
        out[f"{fmt} check"] = in_child(check_export, fmt, target, n, objects, crowds)
        if not keep:
            set_aside(target, work / TRASH, free)
    before = os.environ.get("PIXLAKE_SAME_HOST")
    os.environ["PIXLAKE_SAME_HOST"] = "0"  # read by each new connection
    over_http = Datalake(api_token=token, host=url, interactive=False)
    target = work / "export-COCO-http"
    export = functools.partial(over_http.dataset.fetch(f"coco-{n}").export, "COCO", target)
    out[COCO_HTTP] = timed(f"{role} {COCO_HTTP}", n, export, pid).__dict__
    out[f"{COCO_HTTP} check"] = in_child(check_export, "COCO", target, n, objects, crowds)
    if not keep:
        set_aside(target, work / TRASH, free)
    # ``lake`` found the server's store at its first transfer, and keeps it; new
    # connections would not, with the variable set.
    if before is None:
        del os.environ["PIXLAKE_SAME_HOST"]
    else:
        os.environ["PIXLAKE_SAME_HOST"] = before
    # The YOLO folder's images are ``yolo/images``, the generator's link to ``images/``.
    imports = [
        (YOLO_IMPORT, f"yolo-{n}", data / "images", data / "yolo", "YOLO"),
        (VOC_IMPORT, f"voc-{n}", data / "images", data / "voc", "PASCAL-VOC"),
    ]
    for step_name, name, imgdir, ann_path, ann_format in imports:
        out[step_name] = timed_import(
            lake,
            f"{role} {step_name}",
            n,
            objects,
            pid,
            name=name,
            imgdir=imgdir,
            ann_path=ann_path,
            ann_format=ann_format,
        )
        out[f"{step_name} check"] = f"{n} pictures, {objects} objects"
    if split_folder is not None and splits is not None:
        out[SPLIT_IMPORT] = timed_import(
            lake,
            f"{role} {SPLIT_IMPORT}",
            n,
            objects,
            pid,
            name=f"yolo-split-{n}",
            imgdir=Path(split_folder),
            ann_path=Path(split_folder),
            ann_format="YOLO",
            splits=splits,
        )
        out[f"{SPLIT_IMPORT} check"] = f"{n} pictures, {objects} objects, splits " + ", ".join(
            f"{k} {v}" for k, v in splits.items()
        )
    out["client_rss_mib"] = self_peak_mib()
    return out


def pixlake_http_import_child(
    role: str, n: int, folder: str, url: str, token: str, pid: int, objects: int
) -> dict[str, Any]:
    """The import with every byte sent over HTTP, as from another machine."""
    os.environ["PIXLAKE_SAME_HOST"] = "0"
    from pixlake import Datalake

    lake = Datalake(api_token=token, host=url, interactive=False)
    return coco_import(lake, f"{role} {IMPORT_HTTP}", n, Path(folder), objects, pid)


#: What ``--child NAME ARGS`` runs: a pixlake installation's SDK process, started by that
#: installation's Python (``run_client``), so that ``import pixlake`` is that one's.
CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "pixlake_child": pixlake_child,
    "pixlake_http_import_child": pixlake_http_import_child,
}


def python_env(role: str) -> dict[str, str]:
    """The environment an installation's processes run in: this one's, without
    ``PYTHONPATH`` or ``PYTHONHOME`` for the baseline's (they could lead its Python to this
    code's pixlake)."""
    env = dict(os.environ)
    if role != THIS:
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
    return env


@dataclass(frozen=True)
class Install:
    """A pixlake installation a run measures: this code, or the baseline's."""

    role: str
    python: str
    version: str
    #: The ``__init__.py`` of the pixlake it imports.
    file: str
    #: Where its pixlake was installed from, and that folder's commit.
    origin: str
    #: How the report names it.
    label: str

    def env(self) -> dict[str, str]:
        return python_env(self.role)

    def cli(self) -> list[str]:
        return pixlake_cli(None if self.role == THIS else self.python)


#: Run by an installation's Python: its pixlake's version, file and where pip installed it
#: from (``direct_url.json``).
PROBE_SCRIPT = r"""
import json
import importlib.metadata as md
import pixlake
try:
    url = json.loads(md.distribution("pixlake").read_text("direct_url.json") or "{}")["url"]
except Exception:
    url = ""
print(json.dumps({"version": pixlake.__version__, "file": pixlake.__file__, "url": url}))
"""


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def origin_of(source: Path) -> str:
    """``source`` and its commit, when it is in a Git work tree, with a word when its
    ``src/`` has changes not committed."""
    top = _git(source, "rev-parse", "--show-toplevel")
    head = _git(source, "rev-parse", "--short", "HEAD") if top else None
    if top is None or head is None:
        return str(source)
    dirty = _git(Path(top), "status", "--porcelain", "--", "src")
    return f"{top} at {head}" + (" with uncommitted changes in src/" if dirty else "")


def probe_install(role: str, python: str, label: str | None) -> Install:
    """What pixlake ``python`` imports (``SystemExit`` when it imports none)."""
    try:
        done = subprocess.run(
            [python, "-c", PROBE_SCRIPT],
            capture_output=True,
            text=True,
            env=python_env(role),
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SystemExit(f"error: cannot run {python}: {exc}") from exc
    if done.returncode != 0:
        raise SystemExit(f"error: {python} cannot import pixlake:\n{done.stderr[-2000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    url = urlsplit(found["url"])
    source = Path(unquote(url.path)) if url.scheme == "file" else Path(found["file"]).parent
    origin = origin_of(source)
    version = str(found["version"])
    install = Install(
        role, python, version, str(found["file"]), origin, label or f"pixlake {version} ({origin})"
    )
    log(f"{role}: pixlake {version} from {found['file']} ({origin}), run by {python}")
    return install


def run_client(install: Install, child: str, **kwargs: Any) -> dict[str, Any]:
    """``CHILDREN[child](**kwargs)`` in a process of ``install``'s Python (this file, in its
    child mode), so that its SDK and its peak RSS are its own; its JSON answer."""
    done = subprocess.run(
        [install.python, str(Path(__file__).resolve()), "--child", child, json.dumps(kwargs)],
        stdout=subprocess.PIPE,
        text=True,
        env=install.env(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{install.role}'s {child} failed (exit {done.returncode}; see above)")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Contender:
    """One pixlake installation's figures on one size."""

    steps: dict[str, Step] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    client_rss_mib: float = 0.0
    client_rss_import_mib: float = 0.0
    server_rss_mib: float = 0.0
    server_rss_import_mib: float = 0.0


def measure_pixlake(
    install: Install,
    n: int,
    folder: Path,
    split: tuple[Path, dict[str, int]] | None,
    workdir: Path,
    objects: int,
    crowds: int,
    keep: bool,
    free: int,
) -> Contender:
    """``install``'s steps: its server, its SDK process, then the import over HTTP into a
    second fresh server."""
    work = workdir / install.role
    home = work / "home"
    home.mkdir(parents=True)
    contender = Contender()
    with pixlake_server(home, install.cli(), install.env()) as server:
        pid = server.process.pid
        client = run_client(
            install,
            "pixlake_child",
            role=install.role,
            n=n,
            folder=str(folder),
            split_folder=str(split[0]) if split else None,
            splits=split[1] if split else None,
            workdir=str(work),
            url=server.url,
            token=server.token,
            pid=pid,
            objects=objects,
            crowds=crowds,
            keep=keep,
            free=free,
        )
        contender.server_rss_mib = proc_hwm_mib(pid)
    contender.server_rss_import_mib = client["server_rss_import_mib"]
    contender.client_rss_mib = client["client_rss_mib"]
    contender.client_rss_import_mib = client["client_rss_import_mib"]
    http_home = work / "home-http"
    http_home.mkdir()
    with pixlake_server(http_home, install.cli(), install.env()) as server:
        contender.steps[IMPORT_HTTP] = Step(
            **run_client(
                install,
                "pixlake_http_import_child",
                role=install.role,
                n=n,
                folder=str(folder),
                url=server.url,
                token=server.token,
                pid=server.process.pid,
                objects=objects,
            )
        )
    for step in STEPS:
        if step in client:
            contender.steps[step] = Step(**client[step])
        if f"{step} check" in client:
            contender.checks[step] = client[f"{step} check"]
    return contender


# --------------------------------------------------------------------------- FiftyOne


#: Run by FiftyOne's own Python (``--fiftyone-python``): argv is folder, workdir, N, objects,
#: keep; outputs are set aside as ``set_aside`` does; prints one JSON line with each step's
#: wall and CPU seconds and the peak RSS.
FIFTYONE_SCRIPT = r"""
import json, resource, shutil, sys, time, uuid
from pathlib import Path
import fiftyone as fo

folder, work, n, objects, keep = (Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]),
                                  int(sys.argv[4]), sys.argv[5] == "1")
fo.config.show_progress_bars = False
fo.Dataset().delete()  # start the database before any timing, as pixlake's server is

def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

def timed(fn):
    c, t = cpu(), time.perf_counter()
    value = fn()
    return value, {"seconds": time.perf_counter() - t, "client_cpu": cpu() - c}

out = {"version": fo.__version__}
dataset, out["import"] = timed(lambda: fo.Dataset.from_dir(
    dataset_type=fo.types.COCODetectionDataset,
    data_path=str(folder / "images"),
    labels_path=str(folder / "annotations" / "instances.json"),
    label_types="detections",
    label_field="detections",
))
try:
    found = (len(dataset), dataset.count("detections.detections"))
    if found != (n, objects):
        raise SystemExit(f"FiftyOne imported {found}, expected {(n, objects)}")
    types = {"COCO": fo.types.COCODetectionDataset, "YOLO": fo.types.YOLOv5Dataset,
             "PASCAL-VOC": fo.types.VOCDetectionDataset}
    for fmt, kind in types.items():
        target = work / f"fiftyone-{fmt}"
        _, out[fmt] = timed(lambda: dataset.export(
            export_dir=str(target), dataset_type=kind, label_field="detections",
            export_media=True))
        if not keep:
            if shutil.disk_usage(target).free < keep_free:
                shutil.rmtree(target, ignore_errors=True)
            else:
                (work / TRASH).mkdir(exist_ok=True)
                target.rename(work / TRASH / f"{target.name}-{uuid.uuid4().hex}")
finally:
    dataset.delete()
out["client_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def default_fiftyone_python() -> str:
    """The Python that ``benchmarks/peers/fiftyone.sh`` makes, when it is there."""
    made = OUT / "fiftyone-venv" / "bin" / "fiftyone-python"
    return str(made) if made.exists() else sys.executable


def fiftyone_version(python: str) -> str | None:
    """FiftyOne's version when ``import fiftyone`` works in ``python``, else ``None``."""
    try:
        probe = subprocess.run(
            [python, "-c", "import fiftyone; print(fiftyone.__version__)"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    return probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else "unknown version"


def fiftyone_run(
    python: str, n: int, folder: Path, workdir: Path, objects: int, keep: bool, free: int
) -> dict[str, Any]:
    """FiftyOne's import and exports of the same data, in its own Python and process."""
    log(f"N={n} FiftyOne import and exports ({python})")
    done = subprocess.run(
        [python, "-c", f"keep_free = {free}\nTRASH = {TRASH!r}\n{FIFTYONE_SCRIPT}"]
        + [str(folder), str(workdir), str(n), str(objects)]
        + ["1" if keep else "0"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"FiftyOne failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("import", *FORMATS):
        seconds = result[name]["seconds"]
        log(f"N={n} FiftyOne {name:<13} {seconds:9.3f} s  {n / seconds:9.1f} images/s")
    return result


# --------------------------------------------------------------------------- one size


@dataclass
class Result:
    n: int
    image_bytes: int
    objects: int
    floor: Step
    #: This code's figures, and the baseline's (``--baseline``).
    pixlake: Contender = field(default_factory=Contender)
    baseline: Contender | None = None
    #: Which of the two went first in this round (``THIS`` or ``BASELINE``).
    first: str = THIS
    floor_rss_mib: float = 0.0
    fiftyone: dict[str, Step] = field(default_factory=dict)
    fiftyone_rss_mib: float = 0.0


def run_size(
    n: int,
    *,
    gen_coco: Path,
    keep: bool,
    run_dir: Path,
    this: Install,
    baseline: Install | None,
    fiftyone_python: str | None,
    round_: int = 0,
) -> Result:
    folder = ensure_dataset(n, gen_coco)
    paths = image_paths(folder)
    if len(paths) != n:
        raise RuntimeError(f"{folder} holds {len(paths)} images, expected {n}")
    split = ensure_split(folder)
    log(f"N={n}{f', round {round_ + 1}' if round_ else ''}: warming the page cache")
    image_bytes = warm(paths)
    warm(split_images(split[0]))
    warm(annotation_files(folder))
    crowds = crowds_in(folder)
    workdir = run_dir / (f"n{n}" if round_ == 0 else f"n{n}-round{round_ + 1}")
    workdir.mkdir()
    free = keep_free(image_bytes)
    try:
        floor = in_child(floor_child, n, str(folder), str(workdir / "floor"), free)
        result = Result(n, image_bytes, floor["objects"], Step(**floor["floor"]))
        result.floor_rss_mib = floor["client_rss_mib"]
        # The two installations take turns going first, round after round.
        installs = [this] if baseline is None else [this, baseline][:: 1 if round_ % 2 == 0 else -1]
        result.first = installs[0].role
        for install in installs:
            contender = measure_pixlake(
                install,
                n,
                folder,
                split if install.role == THIS else None,
                workdir,
                result.objects,
                crowds,
                keep,
                free,
            )
            if install.role == THIS:
                result.pixlake = contender
            else:
                result.baseline = contender
        if fiftyone_python is not None:
            fo = fiftyone_run(fiftyone_python, n, folder, workdir, result.objects, keep, free)
            result.fiftyone = {k: Step(**fo[k]) for k in ("import", *FORMATS)}
            result.fiftyone_rss_mib = fo["client_rss_mib"]
    finally:
        if not keep:
            set_aside(workdir, run_dir / TRASH, free)
    return result


def _median_step(steps: Sequence[Step]) -> Step:
    servers = [s.server_cpu for s in steps if s.server_cpu is not None]
    parts = {k: statistics.median(s.parts[k] for s in steps) for k in steps[0].parts}
    return Step(
        statistics.median(s.seconds for s in steps),
        statistics.median(s.client_cpu for s in steps),
        statistics.median(servers) if servers else None,
        parts,
    )


def _combine_contender(rounds: Sequence[Contender]) -> Contender:
    first = rounds[0]
    return Contender(
        steps={k: _median_step([r.steps[k] for r in rounds]) for k in first.steps},
        checks=first.checks,
        client_rss_mib=max(r.client_rss_mib for r in rounds),
        client_rss_import_mib=max(r.client_rss_import_mib for r in rounds),
        server_rss_mib=max(r.server_rss_mib for r in rounds),
        server_rss_import_mib=max(r.server_rss_import_mib for r in rounds),
    )


def combine(rounds: Sequence[Result]) -> Result:
    """One size's rounds as one result: each step's median (wall and CPU seconds, each on
    its own), the highest peak memory, the first round's checks."""
    first = rounds[0]
    if len(rounds) == 1:
        return first
    baselines = [r.baseline for r in rounds if r.baseline is not None]
    return Result(
        first.n,
        first.image_bytes,
        first.objects,
        _median_step([r.floor for r in rounds]),
        pixlake=_combine_contender([r.pixlake for r in rounds]),
        baseline=_combine_contender(baselines) if baselines else None,
        first=first.first,
        floor_rss_mib=max(r.floor_rss_mib for r in rounds),
        fiftyone={k: _median_step([r.fiftyone[k] for r in rounds]) for k in first.fiftyone},
        fiftyone_rss_mib=max(r.fiftyone_rss_mib for r in rounds),
    )


# --------------------------------------------------------------------------- report


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _per_round(rounds: Sequence[Result], step: str) -> list[float]:
    """pixlake's ``step`` over FiftyOne's, in each round."""
    return [r.pixlake.steps[step].seconds / r.fiftyone[step].seconds for r in rounds]


def _rounds_judged(ratios: Sequence[float], target: float) -> str:
    """How a target fares over rounds: the median ratio, and in how many rounds it held."""
    if len(ratios) == 1:
        return ""
    held = sum(ratio <= target for ratio in ratios)
    listed = ", ".join(f"{ratio:.3f}x" for ratio in ratios)
    return f" (median of {len(ratios)} rounds: {listed}; within the target in {held})"


def step_title(step: str) -> str:
    """A step's name in the tables: ``import``, ``YOLO import``, ``COCO export``..."""
    return f"{step} export" if step in FORMATS else step


def _checks(results: Sequence[Result], pick: Callable[[Result], Contender | None]) -> str:
    return "; ".join(
        f"N={r.n} {step_title(step)}: {contender.checks[step]}"
        for r in results
        if (contender := pick(r)) is not None
        for step in STEPS
        if step in contender.checks
    )


def _ab_ratio(rounds: Sequence[Result], step: str) -> float:
    """This code's ``step`` over the baseline's: the median of each round's ratio."""
    return statistics.median(
        r.pixlake.steps[step].seconds / r.baseline.steps[step].seconds
        for r in rounds
        if r.baseline is not None
    )


def _cpu(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def ab_report(sizes: Sequence[Sequence[Result]], this: Install, baseline: Install) -> list[str]:
    """The section comparing this code with the baseline, step by step and size by size."""
    results = [combine(rounds) for rounds in sizes]
    nb_rounds = max(len(rounds) for rounds in sizes)
    lines = [
        "",
        f"## This code against the baseline, {baseline.label}",
        "",
        f"This code: pixlake {this.version}, {this.origin}, run by {this.python}. "
        f"Baseline: pixlake {baseline.version}, installed from {baseline.origin}, run by "
        f"{baseline.python}. Each with its own fresh servers (started with its own `pixlake` "
        "script) and its own SDK process, on the same data, in the same rounds"
        + (
            f" ({nb_rounds} of them, the two going first in turn; the seconds are each "
            "step's median, a ratio the median of each round's)"
            if nb_rounds > 1
            else f" ({'this code' if results[0].first == THIS else 'the baseline'} first)"
        )
        + ". this / baseline is the ratio of wall times: below 1, this code is faster. "
        f"{step_title(SPLIT_IMPORT)} is this code's only (the baseline cannot read that "
        "layout): see the detail table.",
        "",
        "| N | step | this wall s | baseline wall s | this / baseline | this client CPU s "
        "| baseline client CPU s | this server CPU s | baseline server CPU s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rounds, r in zip(sizes, results, strict=True):
        if r.baseline is None:
            continue
        for step in STEPS:
            if step not in r.pixlake.steps or step not in r.baseline.steps:
                continue
            mine, theirs = r.pixlake.steps[step], r.baseline.steps[step]
            lines.append(
                f"| {r.n} | {step_title(step)} | {mine.seconds:.2f} | {theirs.seconds:.2f} "
                f"| {_ab_ratio(rounds, step):.2f}x | {mine.client_cpu:.2f} "
                f"| {theirs.client_cpu:.2f} | {_cpu(mine.server_cpu)} "
                f"| {_cpu(theirs.server_cpu)} |"
            )
    lines += [
        "",
        "Peak memory (MiB) of each: the SDK process after the import and at the end, the "
        "server after the import and at the end (VmHWM)"
        + (" (the highest over the rounds)" if nb_rounds > 1 else "")
        + ".",
        "",
        "| N | peak RSS | this | baseline | this / baseline |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in results:
        if r.baseline is None:
            continue
        ours, base = r.pixlake, r.baseline
        pairs = [
            ("client after import", ours.client_rss_import_mib, base.client_rss_import_mib),
            ("client", ours.client_rss_mib, base.client_rss_mib),
            ("server after import", ours.server_rss_import_mib, base.server_rss_import_mib),
            ("server", ours.server_rss_mib, base.server_rss_mib),
            (
                "client + server",
                ours.client_rss_mib + ours.server_rss_mib,
                base.client_rss_mib + base.server_rss_mib,
            ),
        ]
        for name, mine_mib, theirs_mib in pairs:
            lines.append(
                f"| {r.n} | {name} | {mine_mib:.0f} | {theirs_mib:.0f} "
                f"| {mine_mib / theirs_mib:.2f}x |"
            )
    if nb_rounds > 1:
        shared = [
            step
            for step in STEPS
            if all(
                r.baseline is not None and step in r.baseline.steps and step in r.pixlake.steps
                for rounds in sizes
                for r in rounds
            )
        ]
        lines += [
            "",
            "Rounds (this / baseline, wall time, in each round):",
            "",
            "| N | round | first | " + " | ".join(step_title(s) for s in shared) + " |",
            "|---:|---:|---|" + "---:|" * len(shared),
        ]
        for rounds in sizes:
            for k, r in enumerate(rounds, start=1):
                if r.baseline is None:
                    continue
                cells = " | ".join(
                    f"{r.pixlake.steps[s].seconds / r.baseline.steps[s].seconds:.2f}x"
                    for s in shared
                )
                first = "this" if r.first == THIS else "baseline"
                lines.append(f"| {r.n} | {k} | {first} | {cells} |")
    lines += ["", f"Baseline checks: {_checks(results, lambda r: r.baseline)}."]
    return lines


def report(
    sizes: Sequence[Sequence[Result]],
    peer: str | None,
    fiftyone: str | None,
    this: Install,
    baseline: Install | None = None,
) -> str:
    """The report of a run: ``sizes`` holds each size's rounds (see ``--rounds``)."""
    results = [combine(rounds) for rounds in sizes]
    rounds_at = {rounds[0].n: rounds for rounds in sizes}
    nb_rounds = max(len(rounds) for rounds in sizes)
    same_run = bool(peer == "fiftyone" and fiftyone and all(r.fiftyone for r in results))
    if same_run:
        peer_note = f"FiftyOne {fiftyone}, measured in the same run."
    elif peer == "fiftyone":
        peer_note = (
            "FiftyOne: **not available** (`import fiftyone` fails here; see the README). "
            f"The FiftyOne import column is the issue's **reference figure** "
            f"(~{FIFTYONE_REFERENCE_IMAGES_PER_S:.0f} images/s on a 2-core machine), "
            "**not a same-run measurement**; there is no reference figure for its exports."
        )
    else:
        peer_note = (
            "FiftyOne not requested (`--peer fiftyone`). The FiftyOne import column is the "
            f"issue's **reference figure** (~{FIFTYONE_REFERENCE_IMAGES_PER_S:.0f} images/s on "
            "a 2-core machine), **not a same-run measurement**."
        )
    baseline_note = (
        f" Baseline: {baseline.label}, measured in the same rounds (its own section below)."
        if baseline is not None
        else ""
    )
    lines = [
        f"# pixlake import/export benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"pixlake {this.version} ({this.origin}), Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}. Data: gen_coco.py "
        f"seed {SEED}, dup-fraction {DUP_FRACTION}. Warm page cache for every contender. "
        f"{peer_note}{baseline_note}"
        + (
            f" Each size measured in {nb_rounds} rounds; the tables give each step's median "
            "(peak memory: the highest), the rounds themselves follow them."
            if nb_rounds > 1
            else ""
        ),
        "",
        "| N | objects | images MiB | floor s | import s | import / floor | import images/s "
        "| FiftyOne import s | import / FiftyOne | COCO export s | YOLO export s "
        "| PASCAL-VOC export s | peak RSS client MiB | peak RSS server MiB | sum MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        steps = r.pixlake.steps
        imp = steps["import"].seconds
        if same_run:
            fo_s = r.fiftyone["import"].seconds
            fo_cell = f"{fo_s:.2f}"
            # Over rounds, the median of each round's ratio, as the targets are judged.
            fo_ratio = statistics.median(_per_round(rounds_at[r.n], "import"))
        else:
            fo_s = r.n / FIFTYONE_REFERENCE_IMAGES_PER_S
            fo_cell = f"{fo_s:.1f} (reference)"
            fo_ratio = imp / fo_s
        lines.append(
            f"| {r.n} | {r.objects} | {r.image_bytes / 2**20:.0f} | {r.floor.seconds:.2f} "
            f"| {imp:.2f} | {imp / r.floor.seconds:.2f}x | {r.n / imp:.0f} | {fo_cell} "
            f"| {fo_ratio:.3f}x | {steps['COCO'].seconds:.2f} "
            f"| {steps['YOLO'].seconds:.2f} | {steps['PASCAL-VOC'].seconds:.2f} "
            f"| {r.pixlake.client_rss_mib:.0f} | {r.pixlake.server_rss_mib:.0f} "
            f"| {r.pixlake.client_rss_mib + r.pixlake.server_rss_mib:.0f} |"
        )
    lines += [
        "",
        "Each step in detail (CPU seconds of the SDK process and of the server process; "
        "exports write every image and the annotation files into a folder; the YOLO, "
        "PASCAL-VOC and split imports are of pictures the datalake already holds):",
        "",
        "| N | step | wall s | images/s | ratio to floor | client CPU s | server CPU s |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows: list[tuple[str, Step]] = [("floor", r.floor)]
        rows += [
            (f"pixlake {step_title(step)}", r.pixlake.steps[step])
            for step in STEPS
            if step in r.pixlake.steps
        ]
        rows += [(f"FiftyOne {k}", s) for k, s in r.fiftyone.items()]
        for name, s in rows:
            lines.append(
                f"| {r.n} | {name} | {s.seconds:.2f} | {r.n / s.seconds:.0f} "
                f"| {s.seconds / r.floor.seconds:.2f}x | {s.client_cpu:.2f} "
                f"| {_cpu(s.server_cpu)} |"
            )
    lines += [
        "",
        "The floor's parts (wall s): "
        + "; ".join(
            f"N={r.n}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.floor.parts.items())
            for r in results
        )
        + ".",
    ]
    lines += [
        "",
        "Peak memory (MiB): the floor's process, the SDK process after the import and at the "
        "end, the server after the import and at the end (VmHWM).",
        "",
        "| N | floor | client after import | client | server after import | server "
        "| client + server |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        p = r.pixlake
        lines.append(
            f"| {r.n} | {r.floor_rss_mib:.0f} | {p.client_rss_import_mib:.0f} "
            f"| {p.client_rss_mib:.0f} | {p.server_rss_import_mib:.0f} "
            f"| {p.server_rss_mib:.0f} | {p.client_rss_mib + p.server_rss_mib:.0f} |"
        )
    lines += ["", f"Checks: {_checks(results, lambda r: r.pixlake)}."]
    if nb_rounds > 1:
        lines += [
            "",
            "Rounds (wall s; the ratios are to FiftyOne in the same round):",
            "",
            "| N | round | floor | import | FiftyOne import | import / FiftyOne | COCO export "
            "| FiftyOne COCO | COCO / FiftyOne |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for rounds in sizes:
            for k, r in enumerate(rounds, start=1):
                imp, coco = r.pixlake.steps["import"].seconds, r.pixlake.steps["COCO"].seconds
                if r.fiftyone:
                    fo_imp, fo_coco = r.fiftyone["import"].seconds, r.fiftyone["COCO"].seconds
                    fo_cells = (
                        f"{fo_imp:.2f} | {imp / fo_imp:.3f}x | {coco:.2f} | {fo_coco:.2f} "
                        f"| {coco / fo_coco:.3f}x"
                    )
                else:
                    fo_cells = f"| | {coco:.2f} | |"
                lines.append(f"| {r.n} | {k} | {r.floor.seconds:.2f} | {imp:.2f} | {fo_cells} |")

    verdicts: list[str] = []
    at = {r.n: r for r in results}
    r10 = at.get(TARGET_N)
    if r10 is not None:
        imp = r10.pixlake.steps["import"].seconds
        ratio = imp / r10.floor.seconds
        verdicts.append(
            f"import at N={TARGET_N}: {ratio:.2f}x the floor (<= {IMPORT_OVER_FLOOR}x): "
            f"{_verdict(ratio <= IMPORT_OVER_FLOOR)}"
        )
        if same_run:
            rounds = rounds_at[TARGET_N]
            ratios = _per_round(rounds, "import")
            fo_ratio = statistics.median(ratios)
            budget = IMPORT_OVER_FIFTYONE * r10.fiftyone["import"].seconds
            write = r10.floor.parts.get(FLOOR_WRITE, 0.0)
            verdicts.append(
                f"import at N={TARGET_N}: {fo_ratio:.3f}x FiftyOne's, same run"
                f"{_rounds_judged(ratios, IMPORT_OVER_FIFTYONE)} "
                f"(<= {IMPORT_OVER_FIFTYONE}x): {_verdict(fo_ratio <= IMPORT_OVER_FIFTYONE)}; "
                f"the budget is {budget:.2f} s, of which the floor takes "
                f"{r10.floor.seconds / budget:.0%}; over HTTP it took "
                f"{r10.pixlake.steps[IMPORT_HTTP].seconds:.2f} s "
                f"({r10.pixlake.steps[IMPORT_HTTP].seconds / r10.fiftyone['import'].seconds:.3f}x)"
            )
            ratios = _per_round(rounds, "COCO")
            coco_ratio = statistics.median(ratios)
            budget = COCO_EXPORT_OVER_FIFTYONE * r10.fiftyone["COCO"].seconds
            verdicts.append(
                f"COCO export at N={TARGET_N}: {coco_ratio:.3f}x FiftyOne's, same run"
                f"{_rounds_judged(ratios, COCO_EXPORT_OVER_FIFTYONE)} "
                f"(<= {COCO_EXPORT_OVER_FIFTYONE}x): "
                f"{_verdict(coco_ratio <= COCO_EXPORT_OVER_FIFTYONE)}; the budget is "
                f"{budget:.2f} s, and writing the images once (part of the floor) takes "
                f"{write:.2f} s; over HTTP it took {r10.pixlake.steps[COCO_HTTP].seconds:.2f} s "
                f"({r10.pixlake.steps[COCO_HTTP].seconds / r10.fiftyone['COCO'].seconds:.3f}x)"
            )
        else:
            ref = TARGET_N / FIFTYONE_REFERENCE_IMAGES_PER_S
            fo_ratio = imp / ref
            verdicts.append(
                f"import at N={TARGET_N}: {fo_ratio:.3f}x the **reference** FiftyOne time "
                f"({ref:.1f} s at {FIFTYONE_REFERENCE_IMAGES_PER_S:.0f} images/s, not measured "
                f"here) (<= {IMPORT_OVER_FIFTYONE}x): "
                f"{_verdict(fo_ratio <= IMPORT_OVER_FIFTYONE)} against the reference"
            )
            verdicts.append(
                f"COCO export at N={TARGET_N} (<= {COCO_EXPORT_OVER_FIFTYONE}x FiftyOne's): "
                f"not assessable, FiftyOne is not available and the issue gives no reference "
                f"figure for its export (pixlake: {r10.pixlake.steps['COCO'].seconds:.2f} s)"
            )
    r100 = at.get(MEMORY_N)
    if r100 is not None:
        total = r100.pixlake.client_rss_mib + r100.pixlake.server_rss_mib
        verdicts.append(
            f"peak memory client + server at N={MEMORY_N}: {total:.0f} MiB "
            f"(<= {MEMORY_MIB:.0f} MiB): {_verdict(total <= MEMORY_MIB)}"
        )
    else:
        verdicts.append(f"peak memory at N={MEMORY_N}: not measured in this run (use --full)")
    if len(results) > 1:
        first, last = results[0], results[-1]
        low = first.pixlake.client_rss_mib + first.pixlake.server_rss_mib
        high = last.pixlake.client_rss_mib + last.pixlake.server_rss_mib
        verdicts.append(
            f"peak memory client + server, N={last.n} over N={first.n}: {high / low:.2f}x "
            f"({low:.0f} -> {high:.0f} MiB for {last.n // first.n}x the data)"
        )
    lines += ["", "Targets:", ""] + [f"- {v}" for v in verdicts]
    if baseline is not None:
        lines += ab_report(sizes, this, baseline)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma-separated N (default: 1000,10000)"
    )
    parser.add_argument("--full", action="store_true", help="add N=100000")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folders and the exports"
    )
    parser.add_argument(
        "--gen-coco",
        type=Path,
        default=DEFAULT_GEN_COCO,
        help=f"path of gen_coco.py (default: {DEFAULT_GEN_COCO})",
    )
    parser.add_argument(
        "--peer",
        choices=["fiftyone"],
        default=None,
        help="also import and export the same data with FiftyOne, when it is installed",
    )
    parser.add_argument(
        "--fiftyone-python",
        default=default_fiftyone_python(),
        help="a Python where `import fiftyone` works (default: the one "
        "benchmarks/peers/fiftyone.sh makes, when it is there, else this one)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure each size this many times over, every contender each time; the "
        "report gives medians and judges the FiftyOne-relative targets round by round "
        "(default: 1)",
    )
    parser.add_argument(
        "--tmpdir",
        default=None,
        help="where the floor's copies, the server's PIXLAKE_HOME and the exports go "
        "(default: the system's temporary folder)",
    )
    parser.add_argument(
        "--baseline",
        metavar="PYTHON",
        default=None,
        help="also measure the pixlake that PYTHON imports (another installation, e.g. an "
        "earlier commit's venv), in the same rounds, each with its own servers (started "
        "with the pixlake script beside PYTHON); the report compares the two step by step",
    )
    parser.add_argument(
        "--baseline-label",
        metavar="TEXT",
        default=None,
        help="how the report names the baseline (default: its version, folder and commit)",
    )
    # Internal: one SDK process of a pixlake installation (see run_client).
    parser.add_argument("--child", nargs=2, metavar=("NAME", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, payload = args.child
        print(json.dumps(CHILDREN[name](**json.loads(payload))), flush=True)
        return 0
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.full and 100_000 not in sizes:
        sizes.append(100_000)
    OUT.mkdir(parents=True, exist_ok=True)
    fiftyone: str | None = None
    fiftyone_python: str | None = None
    peer: str | None = args.peer
    if peer == "fiftyone":
        fiftyone = fiftyone_version(args.fiftyone_python)
        if fiftyone is None:
            log(
                f"FiftyOne is not importable by {args.fiftyone_python} (make one with "
                "benchmarks/peers/fiftyone.sh): the reference figure only"
            )
        else:
            log(f"FiftyOne {fiftyone} ({args.fiftyone_python}): measured in the same run")
            fiftyone_python = args.fiftyone_python
    this = probe_install(THIS, sys.executable, None)
    baseline: Install | None = None
    if args.baseline is not None:
        baseline = probe_install(BASELINE, args.baseline, args.baseline_label)
        if baseline.file == this.file:
            parser.error(f"{args.baseline} imports this code's pixlake ({this.file})")
    run_dir = Path(tempfile.mkdtemp(prefix="pixlake-import-export-", dir=args.tmpdir))
    try:
        results = [
            [
                run_size(
                    n,
                    gen_coco=args.gen_coco,
                    keep=args.keep,
                    run_dir=run_dir,
                    this=this,
                    baseline=baseline,
                    fiftyone_python=fiftyone_python,
                    round_=k,
                )
                for k in range(args.rounds)
            ]
            for n in sizes
        ]
    finally:
        if args.keep:
            log(f"kept {run_dir}")
        else:
            log(f"deleting {run_dir}")
            shutil.rmtree(run_dir, ignore_errors=True)
    text = report(results, peer, fiftyone, this, baseline)
    out = OUT / f"import_export-{dt.date.today():%Y-%m-%d}.md"
    out.write_text(text)
    print(text)
    log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
