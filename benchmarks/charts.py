"""A line chart's points: the server's bucketed read of a line against its floor.

    python benchmarks/charts.py [--sizes 1000,10000,100000,1000000] [--buckets 1200] [--rounds 3]

For each size, one experiment of a fresh embedded database gets a line of that many points
(a noisy curve with one spike). Then, in each round, three reads of the whole line, timed:

- **floor**: the same rows (index, value, special) read from the same SQLite file by the
  standard library's ``sqlite3``, with nothing done with them;
- **buckets**: ``experiments.read_line_range`` for a chart ``--buckets`` pixels wide (the
  first, last, lowest and highest point of each pixel's span), which is what a page asks;
- **stride**: ``experiments.read_points`` with ``max_points`` of four times the buckets (one
  point in so many: the same number of points, the spike most likely lost).

It prints medians, the ratio of buckets to floor, whether each read kept the spike, and the
peak of the Python memory the bucketed read allocates (tracemalloc): it must stay flat in N.
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from pixlake.core import accounts, experiments, projects
from pixlake.store.db.engine import Database
from pixlake.store.db.schema import ensure_schema


def _line(n: int) -> tuple[list[float], int]:
    rng = random.Random(n)
    spike = rng.randrange(n)
    ys = [math.sin(i / max(1, n / 20)) + rng.random() * 0.05 for i in range(n)]
    ys[spike] = 25.0
    return ys, spike


def measure(n: int, buckets: int, rounds: int, work: Path) -> dict[str, object]:
    path = work / f"charts-{n}.sqlite"
    db = Database(f"sqlite:///{path}")
    ensure_schema(db)
    token, _ = accounts.create_token(db, f"bench{n}", organization=f"bench{n}")
    caller = accounts.authenticate(db, token)
    org = caller.default_organization.id
    project = projects.create_project(db, caller, org, name="p")
    run = experiments.create_experiment(db, caller, org, project_id=project.id, name="e")
    ys, spike = _line(n)
    for offset in range(0, n, 100_000):
        experiments.log_data(
            db, caller, org, experiment_id=run.id, name="loss", type="line",
            data=ys[offset : offset + 100_000],
        )  # fmt: skip
    raw = sqlite3.connect(path)
    times: dict[str, list[float]] = {"floor": [], "buckets": [], "stride": []}
    kept: dict[str, bool] = {}
    points: dict[str, int] = {}
    tracemalloc.start()  # the bucketed read's own memory, once, before the timed rounds
    experiments.read_line_range(db, caller, org, experiment_id=run.id, name="loss", buckets=buckets)
    growth = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    for _ in range(rounds):
        start = time.perf_counter()
        series = experiments.read_line_range(
            db, caller, org, experiment_id=run.id, name="loss", buckets=buckets
        )
        times["buckets"].append(time.perf_counter() - start)
        kept["buckets"], points["buckets"] = spike in series.idx, len(series.idx)
        start = time.perf_counter()
        strided = experiments.read_points(
            db, caller, org, experiment_id=run.id, name="loss", max_points=4 * buckets
        )
        times["stride"].append(time.perf_counter() - start)
        kept["stride"], points["stride"] = spike in strided.idx, len(strided.idx)
        start = time.perf_counter()
        rows = raw.execute(
            "SELECT idx, value, special FROM line_points WHERE asset_pk = "
            "(SELECT pk FROM data_assets WHERE name = 'loss') ORDER BY idx"
        ).fetchall()
        times["floor"].append(time.perf_counter() - start)
        assert len(rows) == n
        del rows
    raw.close()
    db.dispose()
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {
        "n": n,
        **medians,
        "ratio": medians["buckets"] / medians["floor"],
        "points": points,
        "kept": kept,
        "memory": growth,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--buckets", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"buckets {args.buckets}, {args.rounds} rounds, medians in seconds\n")
    print("| points | floor | buckets | ratio | stride | points drawn (buckets / stride) "
          "| spike kept (buckets / stride) | buckets' peak memory MiB |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---|---:|")
    with tempfile.TemporaryDirectory() as work:
        for n in sizes:
            r = measure(n, args.buckets, args.rounds, Path(work))
            pts, kept = r["points"], r["kept"]
            assert isinstance(pts, dict) and isinstance(kept, dict)
            print(
                f"| {n:,} | {r['floor']:.3f} | {r['buckets']:.3f} | {r['ratio']:.2f}x "
                f"| {r['stride']:.3f} | {pts['buckets']} / {pts['stride']} "
                f"| {'yes' if kept['buckets'] else 'no'} / {'yes' if kept['stride'] else 'no'} "
                f"| {r['memory']:.1f} |"
            )


if __name__ == "__main__":
    main()
