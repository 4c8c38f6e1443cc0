"""The unmodified upstream client (picsellia 5.0.21), in a virtual environment of its own
(``scripts/tool-envs picsellia``), driven against a live pixlake server by scripts, and
pixlake's own SDK beside it to see what it did.

A script runs with ``HOST`` (the server's ``/sdk/v2/``) and ``TOKEN`` set and the upstream
package imported; it hands back what the test checks with ``emit(value)`` (JSON).
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.tool_envs import tool_program

#: A script answers within this many seconds.
TIMEOUT = 120
_MARK = "@@emitted@@"
_PRELUDE = f"""\
import json, os, sys
import warnings
warnings.simplefilter("ignore")
from picsellia.client import Client
HOST, TOKEN = os.environ["UPSTREAM_HOST"], os.environ["UPSTREAM_TOKEN"]
def emit(value):
    print("\\n{_MARK}" + json.dumps(value, default=str), flush=True)  # after a progress bar too
"""


@dataclass(frozen=True)
class Upstream:
    """The upstream client's Python, signed in as one user of the live server."""

    python: Path
    host: str
    token: str
    workdir: Path

    def run(self, script: str, *, token: str | None = None, check: bool = True) -> Any:
        """Run ``script`` (after the prelude); the value it emitted, or, with ``check`` off,
        ``(value, stdout + stderr)`` even when it failed."""
        done = subprocess.run(
            [str(self.python), "-c", _PRELUDE + textwrap.dedent(script)],
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(self.workdir),
                "PYTHONNOUSERSITE": "1",
                "UPSTREAM_HOST": self.host,
                "UPSTREAM_TOKEN": token or self.token,
            },
            timeout=TIMEOUT,
            check=False,
        )
        emitted = [
            json.loads(line[len(_MARK) :])
            for line in done.stdout.splitlines()
            if line.startswith(_MARK)
        ]
        value = emitted[-1] if emitted else None
        if not check:
            return value, done.stdout + done.stderr
        if done.returncode != 0 or not emitted:
            pytest.fail(f"the upstream client's script failed:\n{done.stdout}\n{done.stderr}")
        return value


def wire(
    server: LiveServer, token: str, method: str, path: str, body: Any = None
) -> httpx.Response:
    """A request to ``/sdk/v2/<path>`` as the upstream client sends it: JSON text without a
    ``Content-Type``, and its token."""
    return httpx.request(
        method,
        f"{server.url}/sdk/v2/{path}",
        headers={"Authorization": f"Token {token}"},
        content=None if body is None else json.dumps(body),
    )


@pytest.fixture
def upstream(server: LiveServer, alice: str, tmp_path: Path) -> Upstream:
    workdir = tmp_path / "upstream"
    workdir.mkdir()
    return Upstream(tool_program("picsellia"), f"{server.url}/sdk/v2/", alice, workdir)
