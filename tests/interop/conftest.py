"""Fixtures of the interoperability tests: the tools, each in its own virtual environment,
pixlake on a live server, and the hard cases.

The tools' environments are built by ``scripts/tool-envs`` (``tests/tool_envs.py`` says
when a missing one skips a test and when it fails it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pixlake import Datalake, Dataset
from tests.conftest import LiveServer
from tests.interop.cases import Cases, write_cases
from tests.interop.tools.common import View, add_image, new_view, obj
from tests.tool_envs import REPO, TOOLS_DIR, tool_program

SCRIPTS = Path(__file__).resolve().parent / "tools"
#: A tool script answers within this many seconds (Ultralytics' first import is the slowest).
TIMEOUT = 240


@dataclass(frozen=True)
class Tool:
    """One tool's Python, and a folder to run its scripts from (never the dataset's)."""

    name: str
    python: Path
    workdir: Path
    env: dict[str, str]

    def run(self, script: str, **request: Any) -> Any:
        """Send ``request`` to ``tools/<script>.py`` in the tool's environment; its answer."""
        done = subprocess.run(
            [str(self.python), str(SCRIPTS / f"{script}.py")],
            input=json.dumps(request, default=str),
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=self.env,
            timeout=TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"{self.name} ({script}) failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout)


def _tool(name: str, tmp_path: Path) -> Tool:
    python = tool_program(name)
    workdir = tmp_path / f"{name}-cwd"  # a folder of its own: paths must not rely on the cwd
    workdir.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": str(REPO),  # the scripts import tests.interop.tools.common
        "MPLCONFIGDIR": str(workdir / "matplotlib"),
    }
    if name == "ultralytics":
        # nothing from the network: no online check, no settings in the home, no font fetch
        config = workdir / "ultralytics-config"
        (config / "Ultralytics").mkdir(parents=True)
        font = _any_font()
        if font is not None:
            shutil.copy(font, config / "Ultralytics" / "Arial.ttf")
        env.update(
            YOLO_OFFLINE="1",
            YOLO_CONFIG_DIR=str(config),
            YOLO_AUTOINSTALL="0",
            YOLO_VERBOSE="False",
        )
    return Tool(name, python, workdir, env)


def _any_font() -> Path | None:
    """A TrueType font to stand for Ultralytics' Arial, which it would fetch otherwise."""
    candidates = sorted((TOOLS_DIR / "ultralytics").glob("lib/python*/site-packages/**/*.ttf"))
    return candidates[0] if candidates else None


@pytest.fixture
def pycocotools(tmp_path: Path) -> Tool:
    return _tool("pycocotools", tmp_path)


@pytest.fixture
def supervision(tmp_path: Path) -> Tool:
    return _tool("supervision", tmp_path)


@pytest.fixture
def datumaro(tmp_path: Path) -> Tool:
    return _tool("datumaro", tmp_path)


@pytest.fixture
def ultralytics(tmp_path: Path) -> Tool:
    return _tool("ultralytics", tmp_path)


@pytest.fixture
def cases(tmp_path: Path) -> Cases:
    return write_cases(tmp_path / "cases")


@pytest.fixture
def lake(server: LiveServer, alice: str) -> Iterator[Datalake]:
    yield Datalake(api_token=alice, host=server.url, interactive=False)


def pixlake_view(ds: Dataset) -> View:
    """What pixlake holds of the fetched version, as a view: from the server, over HTTP."""
    view = new_view([label["name"] for label in ds.fetched_dataset["labels"]])
    for record in ds.get_annotations():
        objects = add_image(
            view,
            record["external_picture_url"],
            record["width"],
            record["height"],
            record.get("split"),
        )
        for item in record["annotations"]:
            rings = None
            if item["type"] == "polygon":
                polygon = item["polygon"]
                rings = [
                    [c for p in ring for c in (p["x"], p["y"])]
                    for ring in [polygon["geometry"], *polygon.get("parts", [])]
                ]
            rectangle = item.get("rectangle") or None
            if rectangle:
                box = [rectangle["left"], rectangle["top"], rectangle["width"], rectangle["height"]]
            elif rings:
                xs = [v for ring in rings for v in ring[0::2]]
                ys = [v for ring in rings for v in ring[1::2]]
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            elif item["type"] == "classification":
                box = None
            else:
                continue  # a mask without its box: no box to compare
            objects.append(obj(item["label"], box, rings, bool(item.get("iscrowd"))))
    return view
