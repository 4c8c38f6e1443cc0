"""The upstream Picsellia client against pixlake's ``/sdk/v2``, next to pixlake's own SDK.

    python benchmarks/upstream.py [--images 1000] [--file-mib 100] [--gen-coco PATH]

Two fresh ``pixlake serve`` processes, one per client, get the same work from the same
generated data (``shared/tools/gen_coco.py``: ~640x480 JPEGs, ~7 boxes each, cached in
``benchmarks/out/``):

1. **upload** the N pictures to the datalake: the upstream client's ``Picture.upload`` (one
   signed form POST and one registration per picture), pixlake's ``Picture.upload``
   (deduplicated, batched);
2. put them in a dataset, then **import** the COCO file onto them (annotations only:
   ``Datalake.upload(name, version, ann_path=..., ann_format="COCO")`` in both clients; the
   upstream client's own upload of pictures by ``imgdir`` hangs in its process pool);
3. **store** a file of ``--file-mib`` MiB in a network (the upstream client's multipart
   upload in 5 MiB parts; pixlake's SDK), then **download** it.

pixlake's SDK sends its bytes over HTTP, as the upstream client does (``PIXLAKE_SAME_HOST=0``:
on the server's machine it would otherwise write them into the store's folder itself).
A third server gets the same work from pixlake's SDK in the upstream client's units, one
call per picture and per picture's annotations: the same work through ``/api/v1`` that the
upstream client asks of ``/sdk/v2``. Each step is timed end to end in the client's process,
and the server's CPU seconds are read from ``/proc`` around it and the jobs it caused (the
thumbnails of new pictures). The targets: the server's CPU time per picture, annotation and
MiB through ``/sdk/v2`` within 1.5x of the same calls through ``/api/v1``, and pixlake's
SDK (with its batches) at least 3x faster end to end than the upstream client on the
upload.
The upstream client runs from its own environment (``scripts/tool-envs picsellia``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from sqlalchemy import func, select  # noqa: E402

from _harness import Server, pixlake_server, proc_cpu  # noqa: E402
from import_export import DEFAULT_GEN_COCO, ensure_dataset  # noqa: E402
from pixlake import Datalake, Dataset, Network, Picture  # noqa: E402
from pixlake.core.config import Settings  # noqa: E402
from pixlake.entities.jobs import UNFINISHED  # noqa: E402
from pixlake.store.db.engine import Database  # noqa: E402
from pixlake.store.db.models import JobRow  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
UPSTREAM_PYTHON = REPO / ".tools" / "picsellia" / "bin" / "python"
MiB = 1024 * 1024


def _upstream(server: Server, script: str) -> dict[str, Any]:
    """Run ``script`` with the upstream client; what it printed last, as JSON."""
    prelude = f"""\
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
from picsellia.client import Client
HOST, TOKEN = {server.url + "/sdk/v2/"!r}, {server.token!r}
"""
    done = subprocess.run(
        [str(UPSTREAM_PYTHON), "-c", prelude + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONNOUSERSITE": "1"},
    )
    if done.returncode != 0:
        raise SystemExit(
            f"the upstream client failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _settle(server: Server) -> None:
    """Wait for the server's jobs to end (the thumbnails it makes of new pictures, in the
    background), so that the CPU they take is counted in the step that caused them."""
    db = Database(Settings(home=server.home).database_url)
    try:
        for _ in range(6000):
            with db.read() as tx:
                busy = tx.session.scalar(
                    select(func.count()).select_from(JobRow).where(JobRow.status.in_(UNFINISHED))
                )
            if not busy:
                return
            time.sleep(0.1)
        raise RuntimeError("the server's jobs did not end in 10 minutes")
    finally:
        db.dispose()


def _measured(server: Server, action: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) of ``action`` and of the jobs it caused. An
    upstream script times itself (its answer's ``seconds``: without the interpreter's start
    and the client's import)."""
    cpu = proc_cpu(server.process.pid)
    started = time.perf_counter()
    answer = action()
    wall = time.perf_counter() - started
    if isinstance(answer, dict) and "seconds" in answer:
        wall = float(answer["seconds"])
    _settle(server)
    return wall, proc_cpu(server.process.pid) - cpu


def run_upstream(
    server: Server, images: list[Path], coco: Path, big: Path, out: Path
) -> dict[str, Any]:
    paths = json.dumps([str(p) for p in images])
    results: dict[str, Any] = {}
    results["upload"] = _measured(
        server,
        lambda: _upstream(
            server,
            f"""
            pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
            started = time.perf_counter()
            pic.upload({paths}, tags=["bench"])
            print(json.dumps({{"seconds": time.perf_counter() - started}}))
            """,
        ),
    )
    _upstream(
        server,
        """
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        data = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        data.create("bench", pictures=pic.fetch(quantity=1, tags=["bench"]))
        print("{}")
        """,
    )
    results["import"] = _measured(
        server,
        lambda: _upstream(
            server,
            f"""
            lake = Client.Datalake(api_token=TOKEN, host=HOST)
            started = time.perf_counter()
            lake.upload(name="bench", version="first", ann_path={str(coco)!r}, ann_format="COCO")
            print(json.dumps({{"seconds": time.perf_counter() - started}}))
            """,
        ),
    )
    stored: dict[str, Any] = {}

    def store() -> dict[str, Any]:
        stored.update(
            _upstream(
                server,
                f"""
                net = Client.Network(api_token=TOKEN, host=HOST)
                net.create("bench", "detection")
                started = time.perf_counter()
                net.store("weights", {str(big)!r})
                print(json.dumps({{"seconds": time.perf_counter() - started,
                                   "key": net.files["weights"]}}))
                """,
            )
        )
        return stored

    results["store"] = _measured(server, store)
    target = out / "upstream-download.bin"
    results["download"] = _measured(
        server,
        lambda: _upstream(
            server,
            f"""
            net = Client.Network(api_token=TOKEN, host=HOST).get("bench")
            started = time.perf_counter()
            net._dl_file({stored["key"]!r}, {str(target)!r})  # download() splits on a backslash
            print(json.dumps({{"seconds": time.perf_counter() - started}}))
            """,
        ),
    )
    results["downloaded"] = target
    return results


def run_pixlake(
    server: Server, images: list[Path], coco: Path, big: Path, out: Path
) -> dict[str, Any]:
    token, host = server.token, server.url
    results: dict[str, Any] = {}
    pic = Picture(api_token=token, host=host, interactive=False)
    results["upload"] = _measured(server, lambda: pic.upload(images, tags=["bench"]))
    Dataset(api_token=token, host=host).create(
        "bench", pictures=Picture(api_token=token, host=host).fetch(quantity=1, tags=["bench"])
    )
    lake = Datalake(api_token=token, host=host)
    results["import"] = _measured(
        server,
        lambda: lake.upload(name="bench", version="first", ann_path=coco, ann_format="COCO"),
    )
    net = Network(api_token=token, host=host)
    net.create("bench", "detection")
    results["store"] = _measured(server, lambda: net.store("weights", big))
    target = out / "pixlake-download.bin"
    results["download"] = _measured(server, lambda: net.download("weights", target))
    results["downloaded"] = target
    return results


def _objects(coco: Path) -> dict[str, list[dict[str, Any]]]:
    """The COCO file's boxes, by picture, as ``add_annotation`` takes them."""
    document = json.loads(coco.read_text())
    names = {c["id"]: c["name"] for c in document["categories"]}
    files = {i["id"]: i["file_name"] for i in document["images"]}
    objects: dict[str, list[dict[str, Any]]] = {name: [] for name in files.values()}
    for a in document["annotations"]:
        left, top, width, height = a["bbox"]
        box = {"top": top, "left": left, "width": width, "height": height}
        objects[files[a["image_id"]]].append(
            {"type": "rectangle", "label": names[a["category_id"]], "rectangle": box}
        )
    return objects


def run_per_call(
    server: Server, images: list[Path], coco: Path, big: Path, out: Path
) -> dict[str, Any]:
    """pixlake's SDK doing the upstream client's work in its units: one picture per upload
    call, one picture's annotations per call (the same requests to ``/api/v1`` that the
    upstream client makes to ``/sdk/v2``)."""
    token, host = server.token, server.url
    results: dict[str, Any] = {}
    pic = Picture(api_token=token, host=host, interactive=False)

    def upload() -> None:
        for path in images:
            pic.upload(path, tags=["bench"])

    results["upload"] = _measured(server, upload)
    dataset = Dataset(api_token=token, host=host).create(
        "bench", pictures=Picture(api_token=token, host=host).fetch(quantity=1, tags=["bench"])
    )
    objects = _objects(coco)
    for label in sorted({o["label"] for found in objects.values() for o in found}):
        dataset.create_labels(label, "rectangle")

    def annotate() -> None:
        for name, found in objects.items():
            dataset.add_annotation(name, data=found)

    results["import"] = _measured(server, annotate)
    net = Network(api_token=token, host=host)
    net.create("bench", "detection")
    results["store"] = _measured(server, lambda: net.store("weights", big))
    target = out / "per-call-download.bin"
    results["download"] = _measured(server, lambda: net.download("weights", target))
    results["downloaded"] = target
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--file-mib", type=int, default=100)
    parser.add_argument("--gen-coco", type=Path, default=DEFAULT_GEN_COCO)
    parser.add_argument("--rounds", type=int, default=3, help="medians of this many rounds")
    args = parser.parse_args()
    if not UPSTREAM_PYTHON.is_file():
        raise SystemExit("error: no upstream client at .tools/picsellia: run scripts/tool-envs")
    folder = ensure_dataset(args.images, args.gen_coco)
    images = sorted((folder / "images").iterdir())
    coco = folder / "annotations" / "instances.json"
    objects = len(json.loads(coco.read_text())["annotations"])
    os.environ["PIXLAKE_SAME_HOST"] = "0"  # bytes over HTTP, as the upstream client sends them
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        big = root / "weights.bin"
        big.write_bytes(os.urandom(args.file_mib * MiB))
        rounds: dict[str, list[dict[str, Any]]] = {"upstream": [], "pixlake": [], "per-call": []}
        expected = hashlib.sha256(big.read_bytes()).hexdigest()
        for n in range(args.rounds):
            for name, run in (
                ("upstream", run_upstream),
                ("pixlake", run_pixlake),
                ("per-call", run_per_call),
            ):
                home = root / f"{name}-{n}"
                home.mkdir()
                with pixlake_server(home) as server:
                    outcome = run(server, images, coco, big, root)
                got = hashlib.sha256(Path(outcome["downloaded"]).read_bytes()).hexdigest()
                assert got == expected, f"{name}: the downloaded file differs from the stored one"
                rounds[name].append(outcome)
    runs = {
        name: {
            step: (
                statistics.median(r[step][0] for r in outcomes),
                statistics.median(r[step][1] for r in outcomes),
            )
            for step in ("upload", "import", "store", "download")
        }
        for name, outcomes in rounds.items()
    }
    count = {"upload": len(images), "import": objects, "store": args.file_mib}
    count["download"] = args.file_mib
    unit = {"upload": "picture", "import": "annotation", "store": "MiB", "download": "MiB"}
    print(
        f"{len(images):,} pictures, {objects:,} annotations, a {args.file_mib} MiB file; "
        f"medians of {args.rounds} rounds\n"
    )
    print(
        "| step | upstream client, wall s | pixlake SDK, wall s | SDK speed-up "
        "| server CPU ms per unit: /sdk/v2 | /api/v1, same calls | /sdk/v2 / /api/v1 "
        "| /api/v1, SDK's batches |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    up, ours, same = runs["upstream"], runs["pixlake"], runs["per-call"]
    for step in ("upload", "import", "store", "download"):
        (uw, uc), (pw, pc), (_sw, sc) = up[step], ours[step], same[step]
        per = [1000 * cpu / count[step] for cpu in (uc, sc, pc)]
        # the kernel counts CPU time in ticks of 10 ms: a step may take less than one
        ratio = f"{per[0] / per[1]:.2f}x" if per[1] else "(under a tick)"
        print(
            f"| {step} ({unit[step]}) | {uw:.2f} | {pw:.2f} | {uw / pw:.1f}x "
            f"| {per[0]:.2f} | {per[1]:.2f} | {ratio} | {per[2]:.2f} |"
        )


if __name__ == "__main__":
    main()
