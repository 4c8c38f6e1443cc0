"""What the benchmarks share: a real ``pixlake serve`` process on a fresh home, and readings
of CPU time and peak memory for this process and the server's."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "Server",
    "pixlake_cli",
    "pixlake_server",
    "proc_cpu",
    "proc_hwm_mib",
    "self_cpu",
    "self_peak_mib",
    "set_aside",
]


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def proc_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def self_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def set_aside(path: Path, trash: Path, keep_free: int) -> None:
    """Move a step's output into ``trash`` (deleted with the run's work folder at the end)
    instead of deleting it between steps.

    Deleting thousands of files just before a step skews that step: on ext4 without a
    journal, the kernel will not reuse an inode freed in the last minute, and scans past
    every such inode each time it creates a file.  A rename frees nothing.  When less than
    ``keep_free`` bytes are free on the disk, the output is deleted at once after all."""
    if not path.exists():
        return
    if shutil.disk_usage(path).free < keep_free:
        shutil.rmtree(path, ignore_errors=True)
        return
    trash.mkdir(parents=True, exist_ok=True)
    path.rename(trash / f"{path.name}-{uuid.uuid4().hex}")


def pixlake_cli(python: str | None = None) -> list[str]:
    """The command that runs pixlake's CLI: the ``pixlake`` script beside ``python`` (by
    default this Python; for this Python only, else the one on ``PATH``), else ``python``
    running the CLI's entry point.  The script is looked for beside the path as given, not
    as resolved: a virtual environment's ``python`` is a link to the system's."""
    executable = python or sys.executable
    script = Path(executable).with_name("pixlake")
    if script.exists():
        return [str(script)]
    found = shutil.which("pixlake") if python is None else None
    if found:
        return [found]
    return [executable, "-c", "from pixlake.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    home: Path


@contextmanager
def pixlake_server(
    home: Path, cli: Sequence[str] | None = None, env: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """``pixlake serve`` on a free port of the loopback, ``home`` as its ``PIXLAKE_HOME``,
    with a token made by ``pixlake token create``.  ``cli`` is the command that runs the
    CLI (default: ``pixlake_cli()``, this Python's pixlake), ``env`` the environment it
    runs in (default: this process's), minus any database, store or token settings."""
    env = {**(os.environ if env is None else env), "PIXLAKE_HOME": str(home)}
    for name in ("PIXLAKE_DATABASE_URL", "PIXLAKE_STORAGE_URL", "PIXLAKE_TOKEN"):
        env.pop(name, None)
    cli = list(cli) if cli is not None else pixlake_cli()
    token = subprocess.run(
        [*cli, "token", "create", "bench", "--organization", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    server_log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"pixlake serve exited; see {home / 'server.log'}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("pixlake serve did not answer /api/v1/health in 60 s")
            time.sleep(0.1)
        yield Server(process, url, token, home)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server_log.close()
