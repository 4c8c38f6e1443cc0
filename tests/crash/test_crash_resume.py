"""A few crash and resume trials of each workload (``tests/crash/trials.py`` says what a
trial is); ``PIXLAKE_CRASH_TRIALS`` sets how many, ``python -m tests.crash.trials`` runs the
full count (20 each, 2000 pictures) for the figures of ``docs/security.md``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.crash.trials import run

TRIALS = int(os.environ.get("PIXLAKE_CRASH_TRIALS", "1"))
PICTURES = int(os.environ.get("PIXLAKE_CRASH_PICTURES", "200"))


@pytest.mark.parametrize("workload", ["upload", "store", "import", "export"])
def test_a_killed_server_loses_nothing_and_leaves_nothing(workload: str, tmp_path: Path) -> None:
    (result,) = run([workload], TRIALS, PICTURES, tmp_path).values()
    failures = [o for o in result["outcomes"] if not o.passed]
    assert failures == [], "\n".join(f"killed after {o.killed_at:.2f} s: {o.why}" for o in failures)
    assert len(result["outcomes"]) == TRIALS
