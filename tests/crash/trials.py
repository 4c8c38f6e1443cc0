"""Crash and resume trials: the server is killed (SIGKILL) at a random moment of a workload,
started again, and the same command run again; the end state must equal that of a run never
interrupted, and nothing may be left behind once the unfinished writes are swept.

Each workload is a real command against a real ``pixlake serve`` process on its own home:

- ``upload``: ``Picture().upload`` of a folder of pictures;
- ``store``: ``Experiment.store`` of one large file;
- ``import``: ``pixlake import`` of a COCO dataset;
- ``export``: ``pixlake export --zip`` of that dataset.

A trial passes when the command re-run after the restart succeeds (an import that the crash
let finish says its dataset exists, and is then left as it is), the state it leaves is that of
the uninterrupted run (rows of every table but jobs, tokens and thumbnails; pictures,
datasets and their counts; the export's bytes), ``pixlake fsck`` finds nothing but
unfinished writes, and none after ``pixlake gc --grace-hours 0``.

``python -m tests.crash.trials [--trials N] [--pictures N]`` runs them and prints the table
that ``docs/security.md`` gives; the test suite runs a few of each (``PIXLAKE_CRASH_TRIALS``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from pixlake.api.embedded import free_port
from pixlake.core.config import Settings
from pixlake.core.fsck import FsckReport, check_store
from pixlake.store.blobs import open_blob_store
from pixlake.store.db.engine import Database
from tests.conftest import make_image

PIXLAKE = str(Path(sys.executable).with_name("pixlake"))
VOLATILE_TABLES = {"jobs", "api_tokens", "alembic_version", "thumbnails"}
#: Blobs counted without the thumbnails: those are made in the background, whenever the
#: server gets to them, so that their number at the end of a run is not the run's to say.
_BLOBS_BUT_THUMBNAILS = (
    "SELECT count(*) FROM blobs WHERE digest NOT IN (SELECT digest FROM thumbnails)"
)


@dataclass
class Site:
    """A home, its server process, and the token of its one user."""

    home: Path
    port: int = field(default_factory=free_port)
    token: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PIXLAKE_HOME": str(self.home), "PIXLAKE_HOST": self.url}
        env.pop("PIXLAKE_DATABASE_URL", None)
        env.pop("PIXLAKE_STORAGE_URL", None)
        if self.token:
            env["PIXLAKE_TOKEN"] = self.token
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [PIXLAKE, *args], capture_output=True, text=True, env=self.env(), timeout=600
        )
        if check and done.returncode != 0:
            raise AssertionError(f"pixlake {' '.join(args)}: {done.returncode}\n{done.stderr}")
        return done

    def start(self) -> None:
        self.process = subprocess.Popen(
            [PIXLAKE, "serve", "--port", str(self.port), "--log-level", "warning"],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


# ------------------------------------------------------------------------- workloads


def _python(site: Site, code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=site.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _pixlake(site: Site, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PIXLAKE, *args], env=site.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _python_out(site: Site, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=site.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@dataclass(frozen=True)
class Workload:
    name: str
    prepare: Callable[[Site, Path], None]  # what exists before the command (not interrupted)
    command: Callable[[Site, Path], subprocess.Popen[bytes]]
    state: Callable[[Site, Path], Any]  # what the command leaves, beside the rows


def _pictures(folder: Path, count: int) -> Path:
    images = folder / "images"
    if not images.is_dir():
        images.mkdir(parents=True)
        for i in range(count):
            (images / f"p{i:05d}.jpg").write_bytes(make_image(i, size=(32, 24)))
    return images


def _coco(folder: Path, count: int) -> Path:
    path = folder / "instances.json"
    if not path.exists():
        document = {
            "images": [
                {"id": i + 1, "file_name": f"p{i:05d}.jpg", "width": 32, "height": 24}
                for i in range(count)
            ],
            "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}],
            "annotations": [
                {
                    "id": 2 * i + k + 1,
                    "image_id": i + 1,
                    "category_id": k + 1,
                    "bbox": [1 + k, 2, 10, 8],
                    "area": 80,
                    "iscrowd": 0,
                }
                for i in range(count)
                for k in range(2)
            ],
        }
        path.write_text(json.dumps(document))
    return path


def workloads(pictures: int) -> dict[str, Workload]:
    def upload(site: Site, folder: Path) -> subprocess.Popen[bytes]:
        images = _pictures(folder, pictures)
        return _python(
            site,
            f"""
            from pixlake import Picture
            Picture(interactive=False).upload({str(images)!r}, tags=["crash"])
            """,
        )

    def pictures_state(site: Site, _folder: Path) -> Any:
        headers = {"Authorization": f"Token {site.token}"}
        me = httpx.get(f"{site.url}/api/v1/me", headers=headers).json()
        base = f"{site.url}/api/v1/organizations/{me['default_organization']['id']}"
        out, cursor = [], None
        while True:
            page = httpx.get(
                f"{base}/pictures",
                params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
                headers=headers,
            ).json()
            out += [(p["external_url"], p["sha256"], sorted(p["tag"])) for p in page["data"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return sorted(out)

    def store(site: Site, folder: Path) -> subprocess.Popen[bytes]:
        big = folder / "weights.bin"
        if not big.exists():
            rng = random.Random(7)
            big.write_bytes(rng.randbytes(96 * 1024 * 1024))
        return _python(
            site,
            f"""
            from pixlake import Experiment, Project
            from pixlake.errors import AlreadyExistsError
            try:
                project = Project().create("p")
            except AlreadyExistsError:
                project = Project().get("p")
            run = Experiment(project_token=project.project_token)
            try:
                run.create(name="e")
            except AlreadyExistsError:
                run.checkout("e")
            run.store("weights", {str(big)!r})
            """,
        )

    def store_state(site: Site, _folder: Path) -> Any:
        return _python_out(
            site,
            """
            from pixlake import Experiment, Project
            run = Experiment(project_token=Project().get("p").project_token).checkout("e")
            print("STATE", sorted((f["name"], f["size"]) for f in run.list_files()))
            """,
        ).rsplit("STATE ", 1)[-1]

    def import_(site: Site, folder: Path) -> subprocess.Popen[bytes]:
        images = _pictures(folder, pictures)
        ann = _coco(folder, pictures)
        return _pixlake(site, "import", "cars", "--images", str(images), "--annotations", str(ann))

    def datasets_state(site: Site, _folder: Path) -> Any:
        """Each version with its counts (``pixlake datasets``, without the time it was made)."""
        return [line.split("  created ")[0] for line in site.cli("datasets").stdout.splitlines()]

    def prepare_export(site: Site, folder: Path) -> None:
        images, ann = _pictures(folder, pictures), _coco(folder, pictures)
        site.cli("import", "cars", "--images", str(images), "--annotations", str(ann))

    def export(site: Site, folder: Path) -> subprocess.Popen[bytes]:
        return _pixlake(site, "export", "cars/first", "--zip", "--to", str(folder / "cars.zip"))

    def members(path: Path) -> dict[str, str]:
        with zipfile.ZipFile(path) as archive:
            return {
                info.filename: hashlib.sha256(archive.read(info)).hexdigest()
                for info in archive.infolist()
            }

    def export_state(site: Site, folder: Path) -> Any:
        """Whether the export equals one never interrupted (made now, on the same data),
        and what else the export left in its folder."""
        once = folder / "uninterrupted.zip"
        site.cli("export", "cars/first", "--zip", "--to", str(once))
        same = members(folder / "cars.zip") == members(once)
        once.unlink()
        leftovers = sorted(p.name for p in folder.iterdir() if p.name.startswith("cars.zip"))
        return same, leftovers

    def nothing(_site: Site, _folder: Path) -> None:
        return None

    return {
        "upload": Workload("upload", nothing, upload, pictures_state),
        "store": Workload("store", nothing, store, store_state),
        "import": Workload("import", nothing, import_, datasets_state),
        "export": Workload("export", prepare_export, export, export_state),
    }


# ---------------------------------------------------------------------------- trials


def _rows(home: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(home / "pixlake.sqlite") as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if name not in VOLATILE_TABLES
        ]
        return {
            t: connection.execute(
                _BLOBS_BUT_THUMBNAILS if t == "blobs" else f'SELECT count(*) FROM "{t}"'
            ).fetchone()[0]
            for t in tables
        }


def _fsck(home: Path) -> FsckReport:
    settings = Settings(home=home)
    db = Database(settings.database_url)
    try:
        return check_store(
            db, open_blob_store(settings.storage_url), sample=1.0, grace=timedelta(0)
        )
    finally:
        db.dispose()


def _site(root: Path) -> Site:
    site = Site(root / "home")
    site.token = site.cli("token", "create", "crash", "--organization", "crash").stdout.strip()
    return site


def _finish(site: Site, workload: Workload, folder: Path) -> None:
    process = workload.command(site, folder)
    _, err = process.communicate(timeout=600)
    if process.returncode != 0 and b"already exists" not in err:
        raise AssertionError(f"{workload.name} re-run failed:\n{err.decode()[-3000:]}")


def reference(workload: Workload, root: Path) -> tuple[Any, dict[str, int], float]:
    """The end state of an uninterrupted run, its rows, and how long the command took."""
    site = _site(root)
    site.start()
    try:
        workload.prepare(site, root)
        began = time.monotonic()
        _finish(site, workload, root)
        took = time.monotonic() - began
        return workload.state(site, root), _rows(site.home), took
    finally:
        site.stop()


@dataclass
class Outcome:
    passed: bool
    killed_at: float
    why: str = ""


def trial(
    workload: Workload,
    root: Path,
    expected: tuple[Any, dict[str, int]],
    took: float,
    rng: random.Random,
) -> Outcome:
    site = _site(root)
    site.start()
    killed_at = rng.uniform(0.05, max(0.1, took))
    try:
        workload.prepare(site, root)
        process = workload.command(site, root)
        time.sleep(killed_at)
        site.kill()
        try:  # the client notices, retries for a while, and gives up (or is given up on)
            process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        site.start()
        _finish(site, workload, root)
        state, rows = workload.state(site, root), _rows(site.home)
        if (state, rows) != expected:
            return Outcome(
                False, killed_at, f"state {state!r:.300} rows {rows} != {expected!r:.300}"
            )
        left = {f.kind for f in _fsck(site.home).findings}
        if left - {"temporary-file", "unrecorded-bytes"}:  # a kill's leftovers, and no other
            return Outcome(False, killed_at, f"fsck: {left}")
        site.cli("gc", "--grace-hours", "0")
        after = _fsck(site.home).findings
        if after:
            return Outcome(False, killed_at, f"fsck after gc: {after[:5]}")
        return Outcome(True, killed_at)
    finally:
        site.kill()


def run(names: list[str], trials: int, pictures: int, root: Path, seed: int = 19) -> dict[str, Any]:
    rng = random.Random(seed)
    results: dict[str, Any] = {}
    for name in names:
        workload = workloads(pictures)[name]
        base = root / name
        shared = base / "inputs"  # the same inputs for every trial
        shared.mkdir(parents=True, exist_ok=True)
        state, rows, took = reference(workload, _fresh(base / "reference", shared))
        outcomes = [
            trial(workload, _fresh(base / f"trial-{i}", shared), (state, rows), took, rng)
            for i in range(trials)
        ]
        results[name] = {"took": took, "outcomes": outcomes}
    return results


def _fresh(folder: Path, inputs: Path) -> Path:
    """A trial's folder: its own home, the shared inputs linked in."""
    folder.mkdir(parents=True)
    for item in inputs.iterdir():
        (folder / item.name).symlink_to(item)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--pictures", type=int, default=2000)
    parser.add_argument(
        "--workload", action="append", choices=["upload", "store", "import", "export"]
    )
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args(argv)
    import tempfile

    root = args.root or Path(tempfile.mkdtemp(prefix="pixlake-crash-"))
    names = args.workload or ["upload", "store", "import", "export"]
    results = run(names, args.trials, args.pictures, root)
    print("| workload | uninterrupted run | trials passed / run | killed after (s) |")
    print("|---|---:|---:|---|")
    failed = 0
    for name, result in results.items():
        outcomes = result["outcomes"]
        passed = sum(o.passed for o in outcomes)
        failed += len(outcomes) - passed
        moments = sorted(o.killed_at for o in outcomes)
        print(
            f"| {name} | {result['took']:.1f} s | {passed} / {len(outcomes)} | "
            f"{moments[0]:.2f} to {moments[-1]:.2f} |"
        )
        for o in outcomes:
            if not o.passed:
                print(f"  failed (killed after {o.killed_at:.2f} s): {o.why}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
