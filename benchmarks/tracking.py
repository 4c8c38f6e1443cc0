"""Experiment tracking: line points logged one call at a time and in batches, data assets of
every other type, and a long series read back; optionally next to MLflow.

Starts ``pixlake serve`` as a separate process over a temporary PIXLAKE_HOME (see
``_harness.py``), then uses the SDK (``Experiment.log``, ``flush``, ``get_line``).  With
``--peer mlflow`` and MLflow importable, starts ``mlflow server`` with a SQLite store on
loopback and measures ``log_metric``, ``log_batch`` and ``get_metric_history``; without it,
the table compares against the reference figures of the issue (labeled as references).

    /work/venv/bin/python benchmarks/tracking.py [--points 10000] [--series 100000]
        [--assets 100] [--peer mlflow] [--mlflow-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from PIL import Image  # noqa: E402

from _harness import free_port, pixlake_server  # noqa: E402
from pixlake import Experiment, Project  # noqa: E402

#: The issue's figures for MLflow on a 2-core machine (points per second).
REFERENCE = {"log_metric": 19.0, "log_batch": 6700.0, "history": 24000.0}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def pixlake_rows(work: Path, points: int, series: int, assets: int) -> dict[str, float]:
    out: dict[str, float] = {}
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    with pixlake_server(home) as server:
        url, token = server.url, server.token
        proj = Project(api_token=token, host=url, interactive=False).create("bench")
        exp = Experiment(
            api_token=token, host=url, project_token=proj.project_token, interactive=False
        ).create(name="run")

        def one_at_a_time() -> None:
            for i in range(points):
                exp.log("per-point", i * 0.001, type="line")

        calls = timed(one_at_a_time)
        stored = calls + timed(exp.flush)
        out["per_point_calls"] = points / calls
        out["per_point_stored"] = points / stored
        batch = [i * 0.001 for i in range(points)]

        def in_one_call() -> None:
            exp.log("batch", batch, type="line")
            exp.flush()

        out["batch"] = points / timed(in_one_call)

        chunk = [i * 0.5 for i in range(points)]

        def sustained() -> None:
            for _ in range(series // points):
                exp.log("long", chunk, type="line")
            exp.flush()

        out["sustained"] = series / timed(sustained)
        line: dict[str, Any] = {}

        def read() -> None:
            line.update(exp.get_line("long"))

        out["read_seconds"] = timed(read)
        assert line["size"] == series and len(line["y"]) == series
        out["read_downsampled_seconds"] = timed(lambda: exp.get_line("long", max_points=1000))

        image = work / "sample.jpg"
        Image.new("RGB", (64, 48), (200, 30, 30)).save(image, "JPEG")
        kinds: dict[str, Callable[[int], Any]] = {
            "value": lambda i: i * 0.5,
            "bar": lambda i: {"x": ["a", "b", "c"], "y": [i, i + 1, i + 2]},
            "table": lambda i: {"lr": 0.01 * i, "epochs": i, "optimizer": "sgd"},
            "heatmap": lambda i: {"categories": ["a", "b"], "values": [[i, 1], [2, i]]},
            "image": lambda i: str(image),
            "labelmap": lambda i: {"1": "car", "2": f"bus{i}"},
            "evaluation": lambda i: [
                {"external_picture_url": f"{i}.jpg", "gt": [], "pred": [{"score": 0.5}]}
            ],
        }
        for kind, make in kinds.items():

            def log_all(kind: str = kind, make: Callable[[int], Any] = make) -> None:
                for i in range(assets):
                    exp.log(f"{kind}-{i}", make(i), type=kind)

            out[f"assets_{kind}"] = assets / timed(log_all)
    return out


MLFLOW_SCRIPT = r"""
import json, sys, time
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
url, points, series, per_point = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
client = MlflowClient(tracking_uri=url)
run = client.create_run(client.create_experiment("bench")).info.run_id
out = {}
start = time.perf_counter()
for i in range(per_point):
    client.log_metric(run, "per-point", i * 0.001, step=i)
out["per_point"] = per_point / (time.perf_counter() - start)
now = int(time.time() * 1000)
def batch(key, n, offset=0):
    for s in range(0, n, 1000):
        client.log_batch(run, metrics=[Metric(key, i * 0.5, now, offset + i)
                                       for i in range(s, min(n, s + 1000))])
start = time.perf_counter()
batch("batch", points)
out["batch"] = points / (time.perf_counter() - start)
start = time.perf_counter()
batch("long", series)
out["sustained"] = series / (time.perf_counter() - start)
start = time.perf_counter()
history = client.get_metric_history(run, "long")
out["read_seconds"] = time.perf_counter() - start
assert len(history) == series, len(history)
print(json.dumps(out))
"""


def mlflow_rows(
    python: str, work: Path, points: int, series: int, per_point: int
) -> dict[str, float] | None:
    check = subprocess.run([python, "-c", "import mlflow"], capture_output=True)
    if check.returncode != 0:
        return None
    port = free_port()
    mlflow_bin = Path(python).with_name("mlflow")
    server = subprocess.Popen(
        [
            str(mlflow_bin),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{work / 'mlflow.sqlite'}",
            "--default-artifact-root",
            str(work / "mlartifacts"),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not start")
            time.sleep(0.5)
        result = subprocess.run(
            [
                python,
                "-c",
                MLFLOW_SCRIPT,
                f"http://127.0.0.1:{port}",
                str(points),
                str(series),
                str(per_point),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
        return rows
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--peer", choices=["mlflow"], default=None)
    parser.add_argument(
        "--mlflow-python",
        default=sys.executable,
        help="a Python with MLflow installed (default: this one)",
    )
    parser.add_argument(
        "--mlflow-per-point",
        type=int,
        default=500,
        help="log_metric calls timed for MLflow (it is slow)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pixlake-tracking-") as tmp:
        work = Path(tmp)
        ours = pixlake_rows(work, args.points, args.series, args.assets)
        peer = None
        if args.peer == "mlflow":
            peer = mlflow_rows(
                args.mlflow_python, work, args.points, args.series, args.mlflow_per_point
            )
            if peer is None:
                print("(MLflow is not importable: comparing with the issue's reference figures)")
    measured = peer is not None
    ref = peer or {
        "per_point": REFERENCE["log_metric"],
        "batch": REFERENCE["log_batch"],
        "sustained": REFERENCE["log_batch"],
        "read_seconds": args.series / REFERENCE["history"],
    }
    label = "MLflow (measured)" if measured else "MLflow (issue's reference)"
    print(f"\n| measure | pixlake | {label} | ratio | target |")
    print("|---|---:|---:|---:|---|")
    print(
        f"| line, one call per point ({args.points:,} points), calls only | "
        f"{ours['per_point_calls']:,.0f} pts/s | {ref['per_point']:,.0f} pts/s | "
        f"{ours['per_point_calls'] / ref['per_point']:,.0f}x | >= 100x |"
    )
    print(
        f"| same, until stored (incl. flush) | {ours['per_point_stored']:,.0f} pts/s | "
        f"{ref['per_point']:,.0f} pts/s | {ours['per_point_stored'] / ref['per_point']:,.0f}x | |"
    )
    print(
        f"| line, one batch of {args.points:,} (stored) | {ours['batch']:,.0f} pts/s | "
        f"{ref['batch']:,.0f} pts/s | {ours['batch'] / ref['batch']:,.1f}x | >= 5x |"
    )
    print(
        f"| line, {args.series:,} points in batches (stored) | {ours['sustained']:,.0f} pts/s | "
        f"{ref['sustained']:,.0f} pts/s | {ours['sustained'] / ref['sustained']:,.1f}x | >= 5x |"
    )
    print(
        f"| read {args.series:,} points back | {ours['read_seconds']:.3f} s | "
        f"{ref['read_seconds']:.3f} s | {ours['read_seconds'] / ref['read_seconds']:.3f}x | "
        "<= 0.1x |"
    )
    print(
        f"| read it downsampled to 1,000 points | {ours['read_downsampled_seconds']:.3f} s | | | |"
    )
    print("\n| data assets | logs/s |\n|---|---:|")
    for key, value in ours.items():
        if key.startswith("assets_"):
            print(f"| {args.assets} x {key[7:]} | {value:,.0f} |")
    print(f"\n(cpus: {os.cpu_count()})")


if __name__ == "__main__":
    main()
