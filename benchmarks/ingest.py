"""Ingest benchmark: pixlake's upload, re-upload and fetch against the floor of the same work.

For each size N (1k and 10k by default, 100k with ``--full``), on N deterministic generated
JPEGs (cached in ``benchmarks/out/images-N/``, generation is not measured):

floors, in this process, single-threaded, on the same files
    copy floor   read + SHA-256 + write a copy of every file into a folder, then one SQLite
                 transaction inserting N rows (WAL, synchronous=NORMAL, like the server)
    hash floor   read + SHA-256 of every file
    SQL floor    one raw ``sqlite3`` query on the server's database file (after the upload)
                 returning what the fetch returns: 10% of the tagged pictures, at random,
                 with their blob size and tags

pixlake, the SDK in this process against ``pixlake serve`` in another (fresh PIXLAKE_HOME
per N, next to the floor's folder, so both write to the same file system)
    upload       ``Picture.upload(folder, tags=["bench"])`` of bytes the server lacks
    re-upload    the same call again: every file is a duplicate (hashed, nothing sent)
    fetch        ``Picture.fetch(0.1, ["bench"])``, median of 5 runs alternated with the SQL
                 floor's

Every file is read once before any timing (warm page cache for every contender: dropping
the cache needs root), pending writes are flushed before each measurement, and the server
answers one read-only call per router before the timing starts (a fresh FastAPI process
builds a router's state on its first request).  Reported: wall time, per-item microseconds,
ratios to the floors, growth of the per-item cost with N, CPU seconds of client, server and
other processes (the machine may be shared), peak RSS of client and server.

    python benchmarks/ingest.py                     # N = 1000, 10000
    python benchmarks/ingest.py --full              # and 100000 (about 3 GB of images)
    python benchmarks/ingest.py --tmpdir /dev/shm   # without the disk: the software's cost
    python benchmarks/ingest.py --sizes 1000 --keep --repeat 3 --wait-idle 60
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import os
import platform
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image, ImageDraw

from _harness import Server, pixlake_server, proc_cpu, proc_hwm_mib, self_cpu

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TAG = "bench"
QUANTITY = 0.1
#: Fetch and SQL-floor timings are short: take the median of this many runs.
FETCH_RUNS = 5

#: Targets from the issue: (row, largest ratio to its floor, at which N; None: every N).
TARGETS: list[tuple[str, float, int | None]] = [
    ("upload", 3.0, 10_000),
    ("re-upload", 1.5, None),
    ("fetch", 3.0, 100_000),
]
#: Per-item cost at the largest N over that at the smallest, for the pixlake rows.
GROWTH_TARGET = 1.3


# --------------------------------------------------------------------------- images


def make_image(index: int, width: int = 320, height: int = 240) -> bytes:
    """A deterministic, photo-like JPEG (smooth colour field, shapes, sensor-like noise)."""
    rng = np.random.default_rng(index)
    low = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    image = Image.fromarray(low).resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(8, 30))):
        x0, y0 = int(rng.integers(-40, width)), int(rng.integers(-40, height))
        x1, y1 = x0 + int(rng.integers(10, 160)), y0 + int(rng.integers(10, 120))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse((x0, y0, x1, y1), fill=color)
        elif kind == 1:
            draw.rectangle((x0, y0, x1, y1), fill=color)
        else:
            draw.line((x0, y0, x1, y1), fill=color, width=int(rng.integers(1, 8)))
    pixels = np.asarray(image, dtype=np.int16)
    pixels = pixels + rng.normal(0, rng.uniform(8, 22), size=pixels.shape).astype(np.int16)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=int(rng.integers(80, 94))
    )
    return buffer.getvalue()


def _image_name(index: int) -> str:
    return f"img_{index:06d}.jpg"


def _write_range(args: tuple[str, int, int]) -> None:
    folder, start, stop = args
    for i in range(start, stop):
        path = Path(folder) / _image_name(i)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(make_image(i))
            tmp.rename(path)


def ensure_images(n: int) -> Path:
    """``benchmarks/out/images-N/`` with N images, generated once (in all cores)."""
    folder = OUT / f"images-{n}"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    # Image i is the same in every folder: hard-link what a smaller folder already holds.
    for other in sorted(OUT.glob("images-*")):
        if other != folder and (other / ".complete").exists():
            for path in other.glob("img_*.jpg"):
                target = folder / path.name
                if int(path.stem[4:]) < n and not target.exists():
                    try:
                        os.link(path, target)
                    except OSError:
                        shutil.copyfile(path, target)
    started = time.perf_counter()
    step = 500
    ranges = [(str(folder), s, min(n, s + step)) for s in range(0, n, step)]
    with Pool(os.cpu_count() or 1) as pool:
        for _ in pool.imap_unordered(_write_range, ranges):
            pass
    done.write_text(f"{n}\n")
    log(f"images-{n}: ready in {time.perf_counter() - started:.1f} s")
    return folder


def image_paths(folder: Path, n: int) -> list[Path]:
    return [folder / _image_name(i) for i in range(n)]


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    name: str
    seconds: float
    items: int
    client_cpu: float | None = None
    server_cpu: float | None = None
    #: CPU seconds other processes used meanwhile (the machine may be shared).
    other_cpu: float | None = None
    note: str = ""

    @property
    def us_per_item(self) -> float:
        return self.seconds / max(1, self.items) * 1e6


@dataclass
class Result:
    n: int
    total_bytes: int
    rows: dict[str, Row] = field(default_factory=dict)
    client_rss_mib: float = 0.0
    server_rss_mib: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0

    def add(self, row: Row) -> None:
        """Keep the faster of repeated measurements of a row."""
        if row.name not in self.rows or row.seconds < self.rows[row.name].seconds:
            self.rows[row.name] = row


def log(message: str) -> None:
    print(f"[ingest] {message}", file=sys.stderr, flush=True)


def _machine_busy() -> float:
    """CPU seconds all processes have used since boot (from /proc/stat), or NaN."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


#: Seconds to wait at most for the machine to be idle before each measurement (--wait-idle).
WAIT_IDLE = 0.0


def _wait_for_idle() -> None:
    """On a shared machine, wait (up to WAIT_IDLE seconds) until other processes use less
    than a tenth of one CPU, measured over half a second."""
    deadline = time.monotonic() + WAIT_IDLE
    while time.monotonic() < deadline:
        busy0 = _machine_busy()
        time.sleep(0.5)
        if (_machine_busy() - busy0) / 0.5 < 0.1:
            return
        time.sleep(2)
    if WAIT_IDLE:
        log(f"the machine is still busy after {WAIT_IDLE:.0f} s; measuring anyway")


def timed(
    name: str, items: int, fn: Callable[[], Any], server_pid: int | None = None
) -> tuple[Row, Any]:
    _wait_for_idle()
    os.sync()  # nobody's writes from before are still being flushed meanwhile
    busy0 = _machine_busy()
    cpu0 = self_cpu()
    srv0 = proc_cpu(server_pid) if server_pid else 0.0
    t0 = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t0
    client = self_cpu() - cpu0
    server = (proc_cpu(server_pid) - srv0) if server_pid else 0.0
    row = Row(
        name,
        seconds,
        items,
        client_cpu=client,
        server_cpu=server if server_pid else None,
        other_cpu=max(0.0, _machine_busy() - busy0 - client - server),
    )
    log(
        f"{name:<10} {seconds:8.3f} s  {row.us_per_item:9.1f} µs/item  "
        f"(other processes: {row.other_cpu:.2f} CPU s)"
    )
    return row, value


# --------------------------------------------------------------------------- floors


def warm(paths: Sequence[Path]) -> int:
    return sum(len(p.read_bytes()) for p in paths)


def hash_floor(paths: Sequence[Path]) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def copy_floor(paths: Sequence[Path], workdir: Path) -> None:
    copies = workdir / "copies"
    copies.mkdir(parents=True)
    rows = []
    for path in paths:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        (copies / digest).write_bytes(data)
        rows.append((path.name, digest, len(data)))
    con = sqlite3.connect(workdir / "floor.sqlite", isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(
            "CREATE TABLE pictures (pk INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
            "digest TEXT NOT NULL, size INTEGER NOT NULL)"
        )
        con.execute("BEGIN")
        con.executemany("INSERT INTO pictures (name, digest, size) VALUES (?, ?, ?)", rows)
        con.execute("COMMIT")
    finally:
        con.close()


#: The rows a fetch returns, straight from the server's SQLite file: a random k of the
#: pictures carrying the tag (drawn first, on the tag index alone), then for those k their
#: row, their blob's size and all their tags.
SQL_FETCH = """
WITH chosen AS (
    SELECT pt.picture_pk AS pk, t.organization_id AS organization_id
    FROM tags t JOIN picture_tags pt ON pt.tag_pk = t.pk
    WHERE t.name = ?
    ORDER BY random()
    LIMIT ?
)
SELECT p.id, p.external_url, p.digest, b.size, p.width, p.height, p.source, p.created_at,
       (SELECT group_concat(t2.name) FROM picture_tags pt2
          JOIN tags t2 ON t2.pk = pt2.tag_pk WHERE pt2.picture_pk = p.pk) AS tags
FROM chosen
JOIN pictures p ON p.pk = chosen.pk AND p.organization_id = chosen.organization_id
JOIN blobs b ON b.digest = p.digest
"""


def sql_floor(db_file: Path, k: int) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        return con.execute(SQL_FETCH, (TAG, k)).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- the server


# --------------------------------------------------------------------------- one size


def _warm_up(server: Server) -> None:
    """One read-only call per router the benchmark uses: a fresh server builds each router's
    route state on its first request (tens of milliseconds), which is start-up, not ingest."""
    headers = {"Authorization": f"Token {server.token}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=60) as client:
        org = client.get("/me").raise_for_status().json()["default_organization"]["id"]
        base = f"/organizations/{org}"
        client.post(f"{base}/blobs/missing", json={"digests": []}).raise_for_status()
        client.get(f"{base}/pictures", params={"limit": 1}).raise_for_status()
        client.post(f"{base}/pictures/search", json={"tags": [TAG], "quantity": 1})


def run_once(
    folder: Path, paths: Sequence[Path], result: Result, *, workdir: Path, workers: int | None
) -> None:
    from pixlake import Picture

    n = len(paths)
    k = max(1, round(QUANTITY * n))
    row, _ = timed("copy floor", n, lambda: copy_floor(paths, workdir / "floor"))
    result.add(row)
    row, _ = timed("hash floor", n, lambda: hash_floor(paths))
    result.add(row)

    home = workdir / "home"
    home.mkdir()
    with pixlake_server(home) as server:
        pid = server.process.pid
        picture = Picture(api_token=server.token, host=server.url, interactive=False)
        _warm_up(server)
        options: dict[str, Any] = {} if workers is None else {"workers": workers}

        def upload() -> list[Any]:
            return picture.upload(folder, tags=[TAG], **options)

        for name in ("upload", "re-upload"):
            row, records = timed(name, n, upload, pid)
            if len(records) != n:
                raise RuntimeError(f"{name} returned {len(records)} records, expected {n}")
            result.add(row)

        # Short calls: alternate them, FETCH_RUNS times each, and keep the medians.
        db_file = home / "pixlake.sqlite"
        fetches: list[Row] = []
        queries: list[Row] = []
        for _ in range(FETCH_RUNS):
            row, fetched = timed("fetch", k, lambda: picture.fetch(QUANTITY, [TAG]), pid)
            if len(fetched) != k or not all(TAG in r["tag"] for r in fetched):
                raise RuntimeError(f"fetch returned {len(fetched)} records, expected {k}")
            fetches.append(row)
            row, rows = timed("SQL floor", k, lambda: sql_floor(db_file, k))
            if len(rows) != k:
                raise RuntimeError(f"the SQL floor returned {len(rows)} rows, expected {k}")
            queries.append(row)
        result.add(_median(fetches))
        result.add(_median(queries))
        result.server_rss_mib = max(result.server_rss_mib, proc_hwm_mib(pid))


def _median(rows: list[Row]) -> Row:
    rows = sorted(rows, key=lambda r: r.seconds)
    row = rows[len(rows) // 2]
    row.note = f"median of {len(rows)}"
    return row


def run_size(n: int, *, keep: bool, workers: int | None, tmpdir: str | None, repeat: int) -> Result:
    folder = ensure_images(n)
    paths = image_paths(folder, n)
    log(f"N={n}: warming the page cache")
    result = Result(n, warm(paths))
    warm(paths)
    result.load_before = os.getloadavg()[0]
    for attempt in range(repeat):
        workdir = Path(tempfile.mkdtemp(prefix=f"pixlake-ingest-{n}-", dir=tmpdir))
        try:
            run_once(folder, paths, result, workdir=workdir, workers=workers)
        finally:
            if keep:
                log(f"kept {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        if attempt + 1 < repeat:
            log(f"N={n}: run {attempt + 1} of {repeat} done")
    result.load_after = os.getloadavg()[0]
    result.client_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# --------------------------------------------------------------------------- report

RATIO_TO = {
    "upload": "copy floor",
    "re-upload": "hash floor",
    "fetch": "SQL floor",
}
ORDER = ["copy floor", "hash floor", "upload", "re-upload", "SQL floor", "fetch"]
WHAT = {
    "copy floor": "read + SHA-256 + copy each file, 1 SQLite txn of N rows",
    "hash floor": "read + SHA-256 each file",
    "upload": "SDK upload, all bytes new",
    "re-upload": "SDK upload again, all duplicates",
    "SQL floor": "raw sqlite3: tagged, random 10%, with size and tags",
    "fetch": "SDK fetch(0.1, [tag])",
}


def _fmt_cpu(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _filesystem(path: str) -> str:
    """The type of the file system holding ``path`` (from /proc/mounts), or "?"."""
    best, kind = "", "?"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    real = os.path.realpath(path)
    for line in mounts:
        fields = line.split()
        if len(fields) > 2 and (real == fields[1] or real.startswith(fields[1].rstrip("/") + "/")):
            if len(fields[1]) > len(best):
                best, kind = fields[1], fields[2]
    return kind


def report(results: Sequence[Result], *, workers: int | None, tmpdir: str, repeat: int) -> str:
    from pixlake import __version__

    loads = ", ".join(f"N={r.n}: {r.load_before:.1f} → {r.load_after:.1f}" for r in results)
    lines = [
        f"# pixlake ingest benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"pixlake {__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}. "
        f"Floor copies and PIXLAKE_HOME in {tmpdir} ({_filesystem(tmpdir)}); warm page cache "
        f"for every contender; SDK upload workers: {workers if workers is not None else 'default'}"
        f"; best of {repeat} run(s); 1-minute load average {loads}.",
        "",
        "| N | row | what | wall s | µs/item | ratio | target | client CPU s | server CPU s "
        "| others' CPU s |",
        "|---:|---|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    verdicts: list[str] = []
    for res in results:
        for name in ORDER:
            row = res.rows.get(name)
            if row is None:
                continue
            ratio = target = ""
            floor_name = RATIO_TO.get(name)
            if floor_name and floor_name in res.rows:
                r = row.seconds / res.rows[floor_name].seconds
                ratio = f"{r:.2f}x"
                for t_row, limit, at in TARGETS:
                    if t_row != name:
                        continue
                    if at is None or at == res.n:
                        verdict = "met" if r <= limit else "MISSED"
                        target = f"<= {limit}x: {verdict}"
                        verdicts.append(
                            f"{name} at N={res.n}: {r:.2f}x {floor_name} (<= {limit}x): {verdict}"
                        )
                    else:
                        target = f"(<= {limit}x at N={at})"
            what = WHAT[name]
            if row.items != res.n:
                what += f" ({row.items} items)"
            if row.note:
                what += f", {row.note}"
            lines.append(
                f"| {res.n} | {name} | {what} | {row.seconds:.3f} | {row.us_per_item:.1f} | "
                f"{ratio} | {target} | {_fmt_cpu(row.client_cpu)} | {_fmt_cpu(row.server_cpu)} "
                f"| {_fmt_cpu(row.other_cpu)} |"
            )
    lines += [
        "",
        "| N | images MiB | mean KiB/image | client peak RSS MiB | server peak RSS MiB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        lines.append(
            f"| {res.n} | {res.total_bytes / 2**20:.0f} | {res.total_bytes / res.n / 1024:.1f} "
            f"| {res.client_rss_mib:.0f} | {res.server_rss_mib:.0f} |"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        lines += [
            "",
            f"Per-item cost by N (µs/item, and its ratio to N={first.n}):",
            "",
            "| row | " + " | ".join(f"N={r.n}" for r in results) + " | growth |",
            "|---|" + "---:|" * len(results) + "---|",
        ]
        for name in ORDER:
            if not all(name in r.rows for r in results):
                continue
            base = first.rows[name].us_per_item
            cells = [
                f"{r.rows[name].us_per_item:.1f} ({r.rows[name].us_per_item / base:.2f}x)"
                for r in results
            ]
            growth = last.rows[name].us_per_item / base
            mark = f"{growth:.2f}x"
            if name in RATIO_TO:
                verdict = "met" if growth <= GROWTH_TARGET else "MISSED"
                mark += f" (<= {GROWTH_TARGET}x: {verdict})"
                verdicts.append(
                    f"{name} per-item cost at N={last.n} over N={first.n}: {growth:.2f}x "
                    f"(<= {GROWTH_TARGET}x): {verdict}"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {mark} |")
    lines += ["", "Targets:", ""] + [f"- {v}" for v in verdicts]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma-separated N (default: 1000,10000)"
    )
    parser.add_argument("--full", action="store_true", help="add N=100000")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument(
        "--tmpdir",
        default=None,
        help="where the floor's copies and the server's PIXLAKE_HOME go, on one file system "
        "(default: the system's temporary folder; /dev/shm measures without the disk)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size; the best of each row is kept"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="SDK upload threads (default: the SDK's)"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="on a shared machine, wait up to this long before each measurement for other "
        "processes to go quiet (default: 0, do not wait)",
    )
    args = parser.parse_args(argv)
    global WAIT_IDLE
    WAIT_IDLE = max(0.0, args.wait_idle)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.full and 100_000 not in sizes:
        sizes.append(100_000)
    tmpdir = args.tmpdir or tempfile.gettempdir()
    repeat = max(1, args.repeat)
    OUT.mkdir(parents=True, exist_ok=True)
    results = [
        run_size(n, keep=args.keep, workers=args.workers, tmpdir=tmpdir, repeat=repeat)
        for n in sizes
    ]
    text = report(results, workers=args.workers, tmpdir=tmpdir, repeat=repeat)
    out = OUT / f"ingest-{dt.date.today():%Y-%m-%d}.md"
    out.write_text(text)
    print(text)
    log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
