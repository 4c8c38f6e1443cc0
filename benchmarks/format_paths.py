"""The format paths alone: each reader, and each export as the server writes it, in one process.

``import_export.py`` measures whole imports and exports, a server and an SDK process at work
together; on a shared 2-core machine their wall times swing by a third from one minute to
the next, which hides a change of a tenth in the format code.  This measures only that code,
on the same generated dataset (``benchmarks/out/coco-N/``, made by ``import_export.py`` or
here), as the CPU time of one process, the least of ``--repeat`` runs:

- **readers**: ``read_coco`` (the file read whole), ``read_voc`` of the generator's ``voc/``,
  ``read_yolo`` of its flat ``yolo/``, and, for the code that can read it, of the Ultralytics
  split copy ``yolo-split/`` (``import_export.py`` makes it);
- **exports**: the dataset imported once into a fresh home (not measured), then
  ``pixlake.core.exports.export_version`` as a route calls it, each archive read to its end,
  images as references to their blobs (so that what is measured is the annotations' work,
  not the copying of bytes).

``--baseline PYTHON`` runs the same measures with another installation of pixlake (an
earlier commit's venv, as ``import_export.py --baseline`` takes), after this one, and
gives each ratio::

    python benchmarks/format_paths.py --sizes 10000 --repeat 5 \
        --baseline ../baseline/.venv/bin/python
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
FORMATS = ("COCO", "YOLO", "PASCAL-VOC")


def _least(fn: Callable[[], object], repeat: int) -> float:
    """The least CPU time of ``repeat`` runs of ``fn`` (garbage collected before each)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def measure(n: int, repeat: int) -> dict[str, float]:
    """Every measure, in this process (with whichever pixlake it imports)."""
    from pixlake.formats import read_coco, read_voc, read_yolo

    data = OUT / f"coco-{n}"
    images = data / "images"
    out: dict[str, float] = {
        "read COCO": _least(lambda: read_coco(data / "annotations/instances.json"), repeat),
        "read PASCAL-VOC": _least(lambda: read_voc(data / "voc", images=images), repeat),
        "read YOLO": _least(lambda: read_yolo(data / "yolo", images=images), repeat),
    }
    split = data / "yolo-split"
    if split.is_dir() and _reads_splits(read_yolo, split):
        out["read YOLO split"] = _least(lambda: read_yolo(split, images=split), repeat)
    out.update(_exports(data, repeat))
    return out


def _reads_splits(read_yolo: Callable[..., Any], split: Path) -> bool:
    """Whether this pixlake reads the split layout (an earlier one finds no image in it)."""
    try:
        return bool(read_yolo(split, images=split).images)
    except Exception:
        return False


def _exports(data: Path, repeat: int) -> dict[str, float]:
    from pixlake import Datalake
    from pixlake.api.embedded import EmbeddedServer
    from pixlake.core import accounts, exports
    from pixlake.core.config import Settings
    from pixlake.store.blobs.registry import open_blob_store
    from pixlake.store.db.engine import Database

    with tempfile.TemporaryDirectory(prefix="pixlake-format-paths-") as tmp:
        home = Path(tmp)
        cli = str(Path(sys.executable).with_name("pixlake"))
        token = subprocess.run(
            [cli, "token", "create", "bench", "--organization", "bench"],
            env={**os.environ, "PIXLAKE_HOME": str(home)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        settings = Settings(home=home)
        with EmbeddedServer(settings) as server:
            lake = Datalake(api_token=token, host=server.url, interactive=False)
            record = lake.upload(
                name="bench",
                imgdir=data / "images",
                ann_path=data / "annotations/instances.json",
                ann_format="COCO",
            )
        db = Database(settings.database_url)
        store = open_blob_store(settings.storage_url)
        caller = accounts.authenticate(db, token)
        organization = caller.default_organization.id
        version = uuid.UUID(str(record["dataset_id"]))

        def export(fmt: str) -> None:
            stream = exports.export_version(
                db, store, caller, organization, version, fmt, archive="tar", images="reference"
            )
            try:
                for _chunk in stream.chunks:
                    pass
            finally:
                stream.close()

        try:
            return {
                f"export {fmt}": _least(lambda fmt=fmt: export(fmt), repeat)  # type: ignore[misc]
                for fmt in FORMATS
            }
        finally:
            db.dispose()


def _version(python: str) -> str:
    code = "import pixlake, os; print(pixlake.__version__, os.path.dirname(pixlake.__file__))"
    return subprocess.run(
        [python, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def _child(python: str, n: int, repeat: int) -> dict[str, float]:
    """``measure`` in ``python``, from this file (a fresh interpreter, its own pixlake)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [python, __file__, "--child", str(n), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


def report(n: int, this: dict[str, float], baseline: dict[str, float] | None, label: str) -> str:
    lines = [f"N = {n}, the least CPU seconds of the runs:", ""]
    if baseline is None:
        lines += ["| step | CPU s |", "|---|---:|"]
        lines += [f"| {step} | {seconds:.3f} |" for step, seconds in this.items()]
    else:
        lines += [
            f"| step | this CPU s | baseline CPU s ({label}) | this / baseline |",
            "|---|---:|---:|---:|",
        ]
        for step, seconds in this.items():
            other = baseline.get(step)
            if other is None:
                lines.append(f"| {step} | {seconds:.3f} | (cannot) | |")
            else:
                lines.append(f"| {step} | {seconds:.3f} | {other:.3f} | {seconds / other:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        print(json.dumps(measure(int(args[1]), int(args[2]))))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated N (default: 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measure (least kept)")
    parser.add_argument("--baseline", default=None, help="the Python of another pixlake")
    options = parser.parse_args(args)
    for n in sorted({int(s) for s in options.sizes.split(",") if s.strip()}):
        if not (OUT / f"coco-{n}").is_dir():
            raise SystemExit(
                f"error: no benchmarks/out/coco-{n}: run benchmarks/import_export.py --sizes {n} "
                "first, which generates it"
            )
        this = _child(sys.executable, n, options.repeat)
        baseline = None
        label = ""
        if options.baseline is not None:
            label = _version(options.baseline)
            baseline = _child(options.baseline, n, options.repeat)
        print(report(n, this, baseline, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
