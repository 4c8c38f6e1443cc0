"""The third-party tools the tests run, each in a virtual environment of its own.

``scripts/tool-envs`` builds them under ``.tools/`` (or ``PIXLAKE_TOOLS_DIR``) from the pins in
``tests/tool-envs/``; ``scripts/test`` does it first.  Without a tool's environment its tests
are skipped, unless ``PIXLAKE_REQUIRE_TOOLS=1`` (set by ``scripts/test``), which makes a
missing tool a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS_DIR = Path(os.environ.get("PIXLAKE_TOOLS_DIR") or REPO / ".tools")


def tool_program(tool: str, program: str = "python") -> Path:
    """``program`` of ``tool``'s environment; skips (or fails) the test when it is missing."""
    path = TOOLS_DIR / tool / "bin" / program
    if not path.is_file():
        message = f"no {tool} environment at {TOOLS_DIR / tool}: run scripts/tool-envs {tool}"
        if os.environ.get("PIXLAKE_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
