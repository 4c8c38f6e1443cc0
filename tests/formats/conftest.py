"""Fixtures: a realistic dataset from the project's generator, in COCO, VOC and YOLO."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GENERATOR = Path("/work/shared/tools/gen_coco.py")
IMAGES = 12


@pytest.fixture(scope="session")
def generated_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's output (read-only): images/, annotations/, voc/, yolo/, gen_stats.json."""
    if not GENERATOR.is_file():
        pytest.fail(f"the dataset generator {GENERATOR} is missing")
    root = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [sys.executable, str(GENERATOR), str(root), "--images", str(IMAGES), "--seed", "7"]
        + ["--workers", "1"],
        check=True,
        capture_output=True,
    )
    return root


@pytest.fixture
def generated(generated_root: Path, tmp_path: Path) -> Path:
    """A private copy of the generated dataset, which a test may modify."""
    copy = tmp_path / "generated"
    shutil.copytree(generated_root, copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def generated_stats(generated_root: Path) -> dict[str, object]:
    stats: dict[str, object] = json.loads((generated_root / "gen_stats.json").read_text())
    return stats
