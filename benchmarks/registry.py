"""Benchmark: the model registry's large-file transfers, SDK to a real server process.

    /work/venv/bin/python benchmarks/registry.py [--size-mb 200] [--files 1000]

Starts ``pixlake serve`` as a separate process over a temporary PIXLAKE_HOME, then measures,
against the floor of copying the same bytes on the same disk in the same run:

* ``Network.store`` and ``Network.download`` of one random file of ``--size-mb`` MiB;
* ``Network.store(zip=True)`` of a folder of ``--files`` small files, and the download of
  that zip.

A first round with a file a tenth of the size shows whether peak memory (client: this
process's ``ru_maxrss``; server: ``VmHWM``) grows with the file size.  Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pixlake import Network

MiB = 1024 * 1024
CHUNK = MiB


@dataclass
class Row:
    """One operation, measured ``repeat`` times on fresh data, each time with its floor."""

    operation: str
    size: int
    seconds: list[float] = field(default_factory=list)
    floor_seconds: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.size / MiB / statistics.median(self.seconds)

    @property
    def floor_rate(self) -> float:
        return self.size / MiB / statistics.median(self.floor_seconds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pixlake_command() -> list[str]:
    script = Path(sys.executable).with_name("pixlake")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pixlake.cli"]


@contextmanager
def server_process(home: Path) -> Iterator[tuple[str, str, int]]:
    """``pixlake serve`` in its own process: yields its URL, a token and its pid."""
    env = {**os.environ, "PIXLAKE_HOME": str(home)}
    for key in ("PIXLAKE_DATABASE_URL", "PIXLAKE_STORAGE_URL", "PIXLAKE_TOKEN", "PIXLAKE_HOST"):
        env.pop(key, None)
    token = subprocess.run(
        [*pixlake_command(), "token", "create", "bench", "--organization", "bench"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [*pixlake_command(), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {process.stderr}")
            time.sleep(0.1)
        yield url, token, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def own_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def copy_tree_or_file(source: Path, dest: Path) -> None:
    """The floor: read and write the same bytes, 1 MiB at a time, into new files."""
    sources = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    for path in sources:
        target = dest if source.is_file() else dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        with path.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)


def floor_seconds(source: Path, scratch: Path) -> float:
    """One copy into new files (kept until the end of the run, like the blobs)."""
    start = time.perf_counter()
    copy_tree_or_file(source, scratch / f"floor-{time.monotonic_ns()}")
    return time.perf_counter() - start


def timed(action: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def large_file_rows(net: Network, work: Path, size: int, repeat: int, first_seed: int) -> list[Row]:
    label = f"{size // MiB} MiB"
    store = Row(f"store {label} file", size)
    fetch = Row(f"download {label} file", size)
    http = Row(f"(context) GET {label}, bytes discarded", size)
    for seed in range(first_seed, first_seed + repeat):
        source = random_file(work / f"model-{seed}.bin", size, seed)  # new bytes: no dedup
        net.create(f"bench-{seed}", "detection")
        floor = floor_seconds(source, work / "floor")
        store.floor_seconds.append(floor)
        store.seconds.append(timed(net.store, "model-latest", source))
        dest = work / f"downloaded-{seed}.bin"
        fetch.floor_seconds.append(floor_seconds(source, work / "floor"))
        fetch.seconds.append(timed(net.download, "model-latest", dest))
        assert dest.stat().st_size == size
        http.floor_seconds.append(floor)
        http.seconds.append(http_only(net))
    return [store, fetch, http]


def folder_rows(net: Network, work: Path, files: int, repeat: int) -> list[Row]:
    store: Row | None = None
    fetch: Row | None = None
    for seed in range(100, 100 + repeat):
        folder = work / f"checkpoint-{seed}"
        folder_bytes = small_files(folder, files, seed)
        net.create(f"bench-folder-{seed}", "detection")
        store = store or Row(f"store folder of {files} files (zip=True)", folder_bytes)
        store.floor_seconds.append(floor_seconds(folder, work / "floor"))
        store.seconds.append(timed(net.store, "checkpoint-data-latest", folder, zip=True))
        zipped = work / f"checkpoint-{seed}.zip"
        seconds = timed(net.download, "checkpoint-data-latest", zipped)
        fetch = fetch or Row("download that zip", zipped.stat().st_size)
        fetch.floor_seconds.append(floor_seconds(zipped, work / "floor"))
        fetch.seconds.append(seconds)
    assert store is not None and fetch is not None
    return [store, fetch]


def http_only(net: Network) -> float:
    """The same download with nothing written or hashed: what the HTTP stack alone costs."""
    url = net.infos["file_details"]["model-latest"]["url"]
    start = time.perf_counter()
    with httpx.stream("GET", url, headers=net.auth, timeout=600) as response:
        for _chunk in response.iter_bytes(CHUNK):
            pass
    return time.perf_counter() - start


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
        with server_process(root / "home") as (url, token, pid):
            net = Network(api_token=token, host=url, interactive=False)
            memory: list[tuple[str, float, float]] = []
            rows = large_file_rows(net, work, small, 1, 1)
            memory.append((f"after a {small // MiB} MiB file", own_peak_mib(), vm_hwm_mib(pid)))
            rows += large_file_rows(net, work, size, args.repeat, 10)
            memory.append((f"after {size // MiB} MiB files", own_peak_mib(), vm_hwm_mib(pid)))
            rows += folder_rows(net, work, args.files, args.repeat)
            memory.append(("at the end", own_peak_mib(), vm_hwm_mib(pid)))
        shutil.rmtree(work, ignore_errors=True)

    load = os.getloadavg()[0]
    print(
        f"\nregistry benchmark: {os.cpu_count()} CPUs, load average {load:.1f}, "
        f"Python {sys.version.split()[0]}, median of {args.repeat} runs "
        f"(1 for the {small // MiB} MiB file)\n"
    )
    print("| operation | MiB | seconds | MiB/s | floor MiB/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.operation} | {row.size / MiB:.1f} | {statistics.median(row.seconds):.2f} | "
            f"{row.rate:.0f} | {row.floor_rate:.0f} | {row.rate / row.floor_rate:.2f} |"
        )
    print("\n| peak memory | client RSS (MiB) | server RSS (MiB) |")
    print("|---|---:|---:|")
    for when, client, server in memory:
        print(f"| {when} | {client:.0f} | {server:.0f} |")


if __name__ == "__main__":
    main()
