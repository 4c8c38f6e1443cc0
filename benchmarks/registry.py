"""Benchmark: the model registry's large-file transfers, SDK to a real server process.

    /work/venv/bin/python benchmarks/registry.py [--size-mb 200] [--files 1000] [--repeat 3]

Starts ``pixlake serve`` as a separate process over a temporary PIXLAKE_HOME, then measures,
against two floors measured next to each operation in the same run (``copy``: read and write
the same bytes into new files on the same disk; ``copy + SHA-256``: the same while hashing
them, the floor of a content-addressed store, which must hash every byte it keeps):

* ``Network.store`` and ``Network.download`` of one random file of ``--size-mb`` MiB;
* ``Network.store(zip=True)`` of a folder of ``--files`` small files, and the download of
  that zip.

A first round with a file a tenth of the size shows whether peak memory (client: this
process's ``ru_maxrss``; server: ``VmHWM``) grows with the file size.  Prints a markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from _harness import pixlake_server, proc_cpu, proc_hwm_mib, self_cpu, self_peak_mib
from pixlake import Network

MiB = 1024 * 1024
CHUNK = MiB
#: The target: each operation at this fraction of the floor's throughput or better.
TARGET = 0.5


@dataclass
class Row:
    """One operation, measured ``repeat`` times on fresh data, each time with its floors."""

    operation: str
    size: int
    seconds: list[float] = field(default_factory=list)
    copy_seconds: list[float] = field(default_factory=list)
    hash_seconds: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)

    def rate(self, seconds: list[float]) -> float:
        return self.size / MiB / statistics.median(seconds)


def random_file(path: Path, size: int, seed: int) -> Path:
    """``size`` random bytes, written a chunk at a time (this process never holds them)."""
    rng = random.Random(seed)
    with path.open("wb") as f:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            f.write(rng.randbytes(n))
            left -= n
    return path


def small_files(folder: Path, count: int, seed: int) -> int:
    """``count`` files of 2 to 64 KiB: half random (like weights), half text-like."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    total = 0
    for i in range(count):
        size = rng.randint(2 * 1024, 64 * 1024)
        if i % 2:
            data = rng.randbytes(size)
        else:
            words = [f"layer_{rng.randint(0, 999)}: {rng.random():.6f}" for _ in range(size // 20)]
            data = "\n".join(words).encode()[:size]
        sub = folder / f"shard_{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"tensor_{i:04d}.bin").write_bytes(data)
        total += len(data)
    return total


def copy_tree_or_file(source: Path, dest: Path, *, hashed: bool) -> None:
    """A floor: read and write the same bytes, 1 MiB at a time, into new files (hashing each
    file with SHA-256 on the way when ``hashed``)."""
    sources = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    for path in sources:
        target = dest if source.is_file() else dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with path.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(CHUNK):
                if hashed:
                    digest.update(chunk)
                out.write(chunk)


def floors(row: Row, source: Path, scratch: Path) -> None:
    """Both floors, into new files (kept until the end of the run, like the blobs)."""
    for hashed, seconds in ((False, row.copy_seconds), (True, row.hash_seconds)):
        start = time.perf_counter()
        copy_tree_or_file(source, scratch / f"floor-{time.monotonic_ns()}", hashed=hashed)
        seconds.append(time.perf_counter() - start)


def timed(row: Row, pid: int, action: Callable[..., object], *args: object, **kw: object) -> None:
    """Run ``action`` once, recording its wall time and the CPU time of both processes."""
    client, server = self_cpu(), proc_cpu(pid)
    start = time.perf_counter()
    action(*args, **kw)
    row.seconds.append(time.perf_counter() - start)
    row.client_cpu.append(self_cpu() - client)
    row.server_cpu.append(proc_cpu(pid) - server)


def large_file_rows(
    net: Network, pid: int, work: Path, size: int, repeat: int, first_seed: int
) -> list[Row]:
    label = f"{size // MiB} MiB"
    store = Row(f"store {label} file", size)
    fetch = Row(f"download {label} file", size)
    http = Row(f"(context) GET {label}, bytes discarded", size)
    for seed in range(first_seed, first_seed + repeat):
        source = random_file(work / f"model-{seed}.bin", size, seed)  # new bytes: no dedup
        net.create(f"bench-{seed}", "detection")
        floors(store, source, work / "floor")
        timed(store, pid, net.store, "model-latest", source)
        dest = work / f"downloaded-{seed}.bin"
        floors(fetch, source, work / "floor")
        timed(fetch, pid, net.download, "model-latest", dest)
        assert dest.stat().st_size == size
        floors(http, source, work / "floor")
        timed(http, pid, http_only, net)
    return [store, fetch, http]


def folder_rows(net: Network, pid: int, work: Path, files: int, repeat: int) -> list[Row]:
    store: Row | None = None
    fetch: Row | None = None
    for seed in range(100, 100 + repeat):
        folder = work / f"checkpoint-{seed}"
        folder_bytes = small_files(folder, files, seed)
        net.create(f"bench-folder-{seed}", "detection")
        store = store or Row(f"store folder of {files} files (zip=True)", folder_bytes)
        floors(store, folder, work / "floor")
        timed(store, pid, net.store, "checkpoint-data-latest", folder, zip=True)
        zipped = work / f"checkpoint-{seed}.zip"
        fetch = fetch or Row("download that zip", 0)
        timed(fetch, pid, net.download, "checkpoint-data-latest", zipped)
        fetch.size = zipped.stat().st_size
        floors(fetch, zipped, work / "floor")
    assert store is not None and fetch is not None
    return [store, fetch]


def http_only(net: Network) -> None:
    """The same download with nothing written or hashed: what the HTTP stack alone costs."""
    url = net.infos["file_details"]["model-latest"]["url"]
    with httpx.stream("GET", url, headers=net.auth, timeout=600) as response:
        for _chunk in response.iter_bytes(CHUNK):
            pass


def report(rows: list[Row], memory: list[tuple[str, float, float]], repeat: int, small: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"registry benchmark: {os.cpu_count()} CPUs, load average {load:.1f}, "
        f"Python {sys.version.split()[0]}, median of {repeat} runs "
        f"(1 for the {small // MiB} MiB file)",
        "",
        "| operation | MiB | seconds | MiB/s | copy floor MiB/s | ratio | copy + SHA-256 "
        "floor MiB/s | ratio | client CPU s | server CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        rate = row.rate(row.seconds)
        copy, hashed = row.rate(row.copy_seconds), row.rate(row.hash_seconds)
        lines.append(
            f"| {row.operation} | {row.size / MiB:.1f} | {statistics.median(row.seconds):.2f} | "
            f"{rate:.0f} | {copy:.0f} | {rate / copy:.2f} | {hashed:.0f} | {rate / hashed:.2f} | "
            f"{statistics.median(row.client_cpu):.2f} | {statistics.median(row.server_cpu):.2f} |"
        )
    lines += ["", "| peak memory | client RSS (MiB) | server RSS (MiB) |", "|---|---:|---:|"]
    lines += [f"| {when} | {client:.0f} | {server:.0f} |" for when, client, server in memory]
    lines += ["", f"Targets (>= {TARGET}x the floor's throughput), for the full-size rows:", ""]
    for row in rows:
        if row.operation.startswith("(context)") or f"{small // MiB} MiB" in row.operation:
            continue
        rate = row.rate(row.seconds)
        verdicts = []
        for name, seconds in (("copy", row.copy_seconds), ("copy + SHA-256", row.hash_seconds)):
            ratio = rate / row.rate(seconds)
            verdicts.append(f"{ratio:.2f}x {name} ({'met' if ratio >= TARGET else 'MISSED'})")
        lines.append(f"- {row.operation}: " + "; ".join(verdicts))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="size of the large file (MiB)")
    parser.add_argument("--files", type=int, default=1000, help="small files in the folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()
    size = args.size_mb * MiB
    small = max(MiB, size // 10)

    with tempfile.TemporaryDirectory(prefix="pixlake-bench-") as tmp:
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        (root / "home").mkdir()
        with pixlake_server(root / "home") as server:
            pid = server.process.pid
            net = Network(api_token=server.token, host=server.url, interactive=False)
            memory: list[tuple[str, float, float]] = []
            rows = large_file_rows(net, pid, work, small, 1, 1)
            memory.append((f"after a {small // MiB} MiB file", self_peak_mib(), proc_hwm_mib(pid)))
            rows += large_file_rows(net, pid, work, size, args.repeat, 10)
            memory.append((f"after {size // MiB} MiB files", self_peak_mib(), proc_hwm_mib(pid)))
            rows += folder_rows(net, pid, work, args.files, args.repeat)
            memory.append(("at the end", self_peak_mib(), proc_hwm_mib(pid)))
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(report(rows, memory, args.repeat, small))


if __name__ == "__main__":
    main()
