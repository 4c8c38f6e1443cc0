"""The web UI's pages against the queries under them, in headless Chromium.

    python benchmarks/ui.py [--pictures 100000] [--annotated 10000] [--new 10000] [--rounds 3]

Starts ``pixlake serve`` on a fresh home and fills it through the SDK: a lake of
``--pictures`` small JPEGs, a dataset version of ``--annotated`` more pictures with 7 boxes
each (imported from COCO), and three experiments with a line of 1k, 100k and 1M points.
Once the server has made the thumbnails it was asked for, each round measures:

- **grids**: the datalake's first page and a page deep in it (the cursor of a picture near
  the oldest), and the same for the version's grid (its annotations drawn): the list query
  under the page (the service call, in this process, on the same database), the server's
  answer to the page's GET (with a session cookie), and the time to a fully drawn page in
  Chromium (navigation to the last thumbnail received, the load event included), each in a
  browser context of its own, so that nothing comes from the browser's cache;
- **charts**: the experiment page of each line, to its chart drawn (uPlot's canvas made
  from the server's bucketed points);
- **thumbnails**, once: the job that makes them for ``--new`` new photos of 1280 x 960
  (from its start to its end, as the jobs table records them), against decoding and
  resizing the same images with Pillow in one process (its floor).

Targets (benchmarks/README.md): a grid page served in <= 3x its list query and drawn in
<= 1 s; a deep page within 1.5x of the first; the 1M-point chart drawn in <= 2x the
1k-point one; thumbnails within 1.5x of the Pillow floor.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import select

from _harness import Server, pixlake_cli, pixlake_server
from pixlake import Datalake, Experiment, Project
from pixlake.clock import utcnow
from pixlake.core import accounts, datalake, datasets
from pixlake.core.pagination import encode_cursor
from pixlake.entities.datalake import PictureFilter
from pixlake.store.db.engine import Database
from pixlake.store.db.models import JobRow

PASSWORD = "a passphrase for the benchmark"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"1k": 1_000, "100k": 100_000, "1M": 1_000_000}


def _jpeg(i: int, size: tuple[int, int] = (96, 72)) -> bytes:
    """A small JPEG of its own (a colour per index, so that no two are the same bytes)."""
    out = io.BytesIO()
    colour = (i % 251, (i // 251) % 251, (i // 63001) % 251)
    Image.new("RGB", size, colour).save(out, "JPEG", quality=80)
    return out.getvalue()


def _write(folder: Path, prefix: str, start: int, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"{prefix}_{i:07d}.jpg"
        path.write_bytes(_jpeg(i))
        paths.append(path)
    return paths


def _photos(folder: Path, count: int) -> list[Path]:
    """``count`` JPEGs the size of a phone's photo at 1.2 megapixels (1280 x 960), each its
    own: a gradient, a texture of noise, and a square that moves."""
    folder.mkdir(parents=True, exist_ok=True)
    noise = Image.effect_noise((1280, 960), 40).convert("RGB")
    base = Image.linear_gradient("L").resize((1280, 960)).convert("RGB")
    texture = Image.blend(base, noise, 0.35)
    paths = []
    for i in range(count):
        image = texture.copy()
        image.paste((i % 256, 90, 200), (i % 1000, i % 700, i % 1000 + 180, i % 700 + 180))
        path = folder / f"photo_{i:06d}.jpg"
        image.save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def _coco(folder: Path, count: int) -> Path:
    """``count`` pictures with 7 boxes each, and their COCO file."""
    paths = _write(folder / "images", "annotated", 10_000_000, count)
    images: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    for n, path in enumerate(paths):
        images.append({"id": n + 1, "file_name": path.name, "width": 96, "height": 72})
        for k in range(7):
            box = [4 + 11 * k, 5 + 7 * (k % 3), 9, 12]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": n + 1,
                    "category_id": 1 + k % 3,
                    "bbox": box,
                    "area": 108,
                    "iscrowd": 0,
                    "segmentation": [],
                }
            )
    categories = [{"id": i, "name": name} for i, name in enumerate(("car", "bus", "bike"), 1)]
    document = {"images": images, "annotations": annotations, "categories": categories}
    path = folder / "instances.json"
    path.write_text(json.dumps(document))
    return path


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _drawn(browser: Browser, state: Any, base: str, url: str) -> float:
    """Seconds from navigating to ``url`` to its last image received (its load included), in
    a browser context of its own (nothing cached) signed in with ``state``."""
    context = browser.new_context(
        base_url=base, storage_state=state, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    ms: float = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType("navigation")[0];
            const images = performance.getEntriesByType("resource")
                .filter((r) => r.initiatorType === "img" || r.name.includes("/thumbnails/"));
            return Math.max(nav.loadEventEnd, ...images.map((r) => r.responseEnd));
        }"""
    )
    context.close()
    return ms / 1000


def _wait_for_thumbnails(db: Database, org: uuid.UUID) -> None:
    for _ in range(36_000):
        with db.read() as tx:
            if tx.blobs.count_without_thumbnail(org) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the thumbnails were not made in an hour")


def _jobs_time(db: Database, org: uuid.UUID, kind: str, since: datetime) -> tuple[float, int]:
    """The seconds the jobs of ``kind`` created since ``since`` ran, added up (they run one
    at a time, in the background lane), and how many there were."""
    with db.read() as tx:
        rows = tx.session.execute(
            select(JobRow.started_at, JobRow.finished_at, JobRow.status).where(
                JobRow.organization_id == org, JobRow.kind == kind, JobRow.created_at >= since
            )
        ).all()
    seconds = 0.0
    for started, finished, status in rows:
        assert status == "succeeded" and started is not None and finished is not None, rows
        seconds += (finished - started).total_seconds()
    return seconds, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=100_000)
    parser.add_argument("--annotated", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, pixlake_server(Path(scratch) / "home") as srv:
        run(srv, Path(scratch), args)


def run(srv: Server, work: Path, args: argparse.Namespace) -> None:
    env = {**os.environ, "PIXLAKE_HOME": str(srv.home)}
    subprocess.run(
        [*pixlake_cli(), "user", "password", "bench", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    lake = Datalake(api_token=srv.token, host=srv.url, interactive=False)
    started = time.perf_counter()
    for start in range(0, args.pictures, 10_000):
        count = min(10_000, args.pictures - start)
        files = _write(work / "lake" / str(start), "lake", start, count)
        lake.picture.upload(files, tags=["lake"])
    lake.upload(
        name="cars",
        imgdir=work / "coco" / "images",
        ann_path=_coco(work / "coco", args.annotated),
        ann_format="COCO",
    )
    version_id = uuid.UUID(str(lake.dataset.dataset_id))
    project = Project(api_token=srv.token, host=srv.url, interactive=False).create("charts")
    runs: dict[str, str] = {}
    for name, n in SIZES.items():
        exp = Experiment(
            api_token=srv.token,
            host=srv.url,
            project_token=project.project_token,
            interactive=False,
        ).create(name=f"line-{name}")
        for offset in range(0, n, 100_000):
            exp.log(
                "loss",
                [1.0 / (1 + i) for i in range(offset, min(n, offset + 100_000))],
                type="line",
            )
        exp.flush()
        runs[name] = str(exp.id)
    db = Database(f"sqlite:///{srv.home / 'pixlake.sqlite'}")
    caller = accounts.authenticate(db, srv.token)
    org = caller.default_organization.id
    _wait_for_thumbnails(db, org)
    print(f"set up in {time.perf_counter() - started:.0f} s\n")

    with db.read() as tx:  # a picture near the oldest, and one near the version's end
        oldest = tx.pictures.matching_window(org, PictureFilter(), above=0, limit=200)
    deep_lake = encode_cursor(oldest[-1])
    first_version = datasets.browse_version(
        db, caller, org, version_id=version_id, status=None, label=None, limit=60
    )
    deep_version = first_version.next
    for _ in range(max(0, args.annotated // 60 - 2)):
        deep_version = datasets.browse_version(
            db,
            caller,
            org,
            version_id=version_id,
            status=None,
            label=None,
            limit=60,
            after=deep_version,
        ).next
    grid = "/o/bench/datalake"
    version = f"/o/bench/datasets/{version_id}"
    pages = {
        "datalake, first page": (
            grid,
            lambda: datalake.browse_pictures(db, caller, org, where=PictureFilter(), limit=100),
        ),
        "datalake, deep page": (
            f"{grid}?older={deep_lake}",
            lambda: datalake.browse_pictures(
                db, caller, org, where=PictureFilter(), limit=100, older_than=deep_lake
            ),
        ),
        "version, first page": (
            version,
            lambda: datasets.browse_version(
                db, caller, org, version_id=version_id, status=None, label=None, limit=60
            ),
        ),
        "version, deep page": (
            f"{version}?after={deep_version}",
            lambda: datasets.browse_version(
                db,
                caller,
                org,
                version_id=version_id,
                status=None,
                label=None,
                limit=60,
                after=deep_version,
            ),
        ),
    }
    results: dict[str, dict[str, list[float]]] = {
        k: {"query": [], "server": [], "drawn": []} for k in pages
    }
    charts: dict[str, list[float]] = {k: [] for k in SIZES}
    with httpx.Client(base_url=srv.url) as client, sync_playwright() as playwright:
        client.post("/signin", data={"username": "bench", "password": PASSWORD})
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(base_url=srv.url, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto("/signin")
        page.fill('input[name="username"]', "bench")
        page.fill('input[name="password"]', PASSWORD)
        page.click('form[action="/signin"] button')
        page.wait_for_load_state("networkidle")
        state = context.storage_state()
        for _ in range(args.rounds):
            for name, (url, query) in pages.items():
                results[name]["query"].append(_timed(query))
                began = time.perf_counter()
                client.get(url).raise_for_status()
                results[name]["server"].append(time.perf_counter() - began)
                results[name]["drawn"].append(_drawn(browser, state, srv.url, url))
            for name, run_id in runs.items():
                page.goto(f"/o/bench/experiments/{run_id}")
                page.wait_for_selector('.chart[data-ready="true"]', timeout=60_000)
                charts[name].append(
                    float(page.eval_on_selector(".chart", "c => c.dataset.drawnAt")) / 1000
                )
        browser.close()

    new = _photos(work / "new", args.new)
    floor_start = time.perf_counter()
    for path in new:  # the floor: decode and resize, in one process
        with Image.open(path) as image:
            image.draft("RGB", (256, 256))
            image.thumbnail((256, 256))
    floor = time.perf_counter() - floor_start
    since = utcnow()
    lake.picture.upload(new, tags=["new"])
    _wait_for_thumbnails(db, org)
    job_seconds, job_count = _jobs_time(db, org, "thumbnails", since)
    db.dispose()

    print(
        f"{args.pictures:,} pictures in the lake, {args.annotated:,} in the version; "
        f"medians of {args.rounds} rounds, seconds\n"
    )
    print("| page | list query | server | server / query | drawn in Chromium |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        q, s, d = _median(r["query"]), _median(r["server"]), _median(r["drawn"])
        print(f"| {name} | {q:.3f} | {s:.3f} | {s / q:.2f}x | {d:.3f} |")
    for kind in ("datalake", "version"):
        first = _median(results[f"{kind}, first page"]["drawn"])
        deep = _median(results[f"{kind}, deep page"]["drawn"])
        print(f"\n{kind}: deep page drawn in {deep / first:.2f}x the first page's time", end="")
    print("\n\n| chart | points | drawn in Chromium | / 1k |")
    print("|---|---:|---:|---:|")
    base = _median(charts["1k"])
    for name, n in SIZES.items():
        drawn = _median(charts[name])
        print(f"| line-{name} | {n:,} | {drawn:.3f} | {drawn / base:.2f}x |")
    print(
        f"\nthumbnails of {args.new:,} new photos: {job_count} jobs, {job_seconds:.2f} s in all; "
        f"Pillow floor {floor:.2f} s: {job_seconds / floor:.2f}x"
    )


if __name__ == "__main__":
    main()
