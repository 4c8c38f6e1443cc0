"""The command line against the SDK: how fast ``pixlake`` starts, and a COCO import both ways.

startup
    ``pixlake --help`` and ``pixlake --version``, ``--runs`` times each (11 by default), in
    turn: the median wall time of the process and its median CPU seconds (user + system).
    The machine is shared, so the wall time swings with the neighbours' load; the CPU time
    much less.
import
    the same N-image COCO dataset (10k by default: ``shared/tools/gen_coco.py``, cached in
    ``benchmarks/out/coco-N/`` as ``import_export.py`` makes it; or ``--dataset FOLDER``)
    imported into a fresh ``pixlake serve`` (a fresh ``PIXLAKE_HOME`` each time), once with
    ``pixlake import NAME --images ... --annotations ... --format COCO`` and once through
    the SDK, ``Datalake(...).upload(name=, imgdir=, ann_path=, ann_format="COCO")`` in a
    fresh ``python -c``: both are whole processes, from their start (imports included) to
    their end.  ``--rounds`` repeats the pair, the order swapped each round.  Reported: the
    wall time, the client's CPU seconds and the server's, and the CLI's over the SDK's.

    python benchmarks/cli.py                     # both parts, 10k images
    python benchmarks/cli.py --part startup --runs 21
    python benchmarks/cli.py --part import -n 1000 --rounds 2

Prints a markdown report on standard output (progress on standard error).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _harness import pixlake_cli, pixlake_server, proc_cpu
from import_export import DEFAULT_GEN_COCO, ensure_dataset

#: The SDK's side of the import: what a script using the SDK runs.
SDK_IMPORT = """
import sys
from pixlake import Datalake
token, host, name, images, annotations = sys.argv[1:]
record = Datalake(api_token=token, host=host).upload(
    name=name, imgdir=images, ann_path=annotations, ann_format="COCO"
)
print(record["size"], record["nb_objects"])
"""


def log(message: str) -> None:
    print(f"[cli] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    wall: float
    cpu: float
    server_cpu: float = 0.0


def timed_process(command: list[str], env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run ``command`` to its end: its wall time and its own CPU seconds (from ``wait4``),
    and its standard output.  A failure stops the benchmark."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {process.returncode}:\n{stderr}")
    return Run(wall, usage.ru_utime + usage.ru_stime), stdout


def startup(cli: list[str], runs: int) -> list[str]:
    commands = {"pixlake --help": ["--help"], "pixlake --version": ["--version"]}
    seen: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            run, _out = timed_process([*cli, *args])
            seen[name].append(run)
    lines = [
        f"### Startup ({runs} runs each, medians)",
        "",
        "| command | wall | CPU (user + system) | fastest wall |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, found in seen.items():
        wall = statistics.median(r.wall for r in found)
        cpu = statistics.median(r.cpu for r in found)
        lines.append(
            f"| `{name}` | {wall:.3f} s | {cpu:.3f} s | {min(r.wall for r in found):.3f} s |"
        )
        log(f"{name}: median {wall:.3f} s wall, {cpu:.3f} s CPU")
    return lines


def one_import(cli: list[str], how: str, folder: Path, work: Path, n: int) -> Run:
    """The dataset in ``folder`` imported into a fresh server, ``how`` = "cli" or "sdk"."""
    home = Path(tempfile.mkdtemp(prefix=f"home-{how}-", dir=work))
    images = str(folder / "images")
    annotations = str(folder / "annotations" / "instances.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXLAKE_")}
    with pixlake_server(home, cli) as server:
        env.update(PIXLAKE_HOME=str(home), PIXLAKE_TOKEN=server.token, PIXLAKE_HOST=server.url)
        server_before = proc_cpu(server.process.pid)
        if how == "cli":
            command = [*cli, "import", "coco", "--images", images, "--annotations", annotations]
            command += ["--format", "COCO"]
        else:
            python = str(Path(cli[0]).with_name("python")) if len(cli) == 1 else cli[0]
            command = [python, "-c", SDK_IMPORT, server.token, server.url, "coco", images]
            command.append(annotations)
        run, out = timed_process(command, env)
        run.server_cpu = proc_cpu(server.process.pid) - server_before
    expected = f"{n} pictures" if how == "cli" else f"{n} "
    if expected not in out:
        raise RuntimeError(f"the {how} import did not make {n} pictures: {out!r}")
    log(f"import through the {how}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU")
    return run


def imports(cli: list[str], n: int, folder: Path, rounds: int) -> list[str]:
    seen: dict[str, list[Run]] = {"cli": [], "sdk": []}
    with tempfile.TemporaryDirectory(prefix="pixlake-cli-bench-") as tmp:
        for i in range(rounds):
            for how in ("sdk", "cli") if i % 2 == 0 else ("cli", "sdk"):
                seen[how].append(one_import(cli, how, folder, Path(tmp), n))
    lines = [
        f"### COCO import of {n} images ({rounds} round{'s' if rounds > 1 else ''}, medians)",
        "",
        "| through | wall | client CPU | server CPU |",
        "| --- | ---: | ---: | ---: |",
    ]
    med = {
        how: Run(
            statistics.median(r.wall for r in found),
            statistics.median(r.cpu for r in found),
            statistics.median(r.server_cpu for r in found),
        )
        for how, found in seen.items()
    }
    names = {"sdk": "SDK (`Datalake.upload`, its own process)", "cli": "`pixlake import`"}
    for how in ("sdk", "cli"):
        r = med[how]
        lines.append(f"| {names[how]} | {r.wall:.2f} s | {r.cpu:.2f} s | {r.server_cpu:.2f} s |")
    ratio = med["cli"].wall / med["sdk"].wall
    cpu_ratio = med["cli"].cpu / med["sdk"].cpu
    lines += ["", f"CLI / SDK: {ratio:.2f}x wall, {cpu_ratio:.2f}x client CPU (target: 1.1x)."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["startup", "import", "all"], default="all")
    parser.add_argument("--runs", type=int, default=11, help="startup runs per command")
    parser.add_argument("-n", type=int, default=10_000, help="images in the import")
    parser.add_argument("--rounds", type=int, default=1, help="import pairs (CLI and SDK)")
    parser.add_argument("--dataset", type=Path, help="a gen_coco.py folder of -n images")
    parser.add_argument("--gen-coco", type=Path, default=DEFAULT_GEN_COCO)
    parser.add_argument("--python", help="the Python whose pixlake to measure (default: this one)")
    args = parser.parse_args()
    cli = pixlake_cli(args.python)
    lines = [
        f"## pixlake CLI benchmark ({time.strftime('%Y-%m-%d')})",
        "",
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; "
        f"`{' '.join(cli)}`.",
        "",
    ]
    if args.part in ("startup", "all"):
        lines += [*startup(cli, args.runs), ""]
    if args.part in ("import", "all"):
        folder = args.dataset or ensure_dataset(args.n, args.gen_coco)
        lines += imports(cli, args.n, folder, args.rounds)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
