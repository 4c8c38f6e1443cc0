"""A database or storage URL pixlake cannot use stops ``pixlake serve`` and
``pixlake token create`` with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PIXLAKE = str(Path(sys.executable).with_name("pixlake"))


def _run(home: Path, variable: str, value: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIXLAKE_HOME": str(home), "COLUMNS": "80"}
    env.pop("PIXLAKE_DATABASE_URL", None)
    env.pop("PIXLAKE_STORAGE_URL", None)
    env[variable] = value
    return subprocess.run(
        [PIXLAKE, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


COMMANDS = [("serve", "--port", "1"), ("token", "create", "alice")]


@pytest.mark.parametrize("command", COMMANDS, ids=["serve", "token-create"])
@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PIXLAKE_DATABASE_URL", "postgresql://pixlake@localhost/pixlake", "later extra"),
        ("PIXLAKE_DATABASE_URL", "postgresql+psycopg://u@h/db", "PostgreSQL support"),
        ("PIXLAKE_DATABASE_URL", "not a url", "is not a database URL"),
        ("PIXLAKE_DATABASE_URL", "mysql://u@h/db", "does not support (mysql)"),
        ("PIXLAKE_DATABASE_URL", "sqlite://", "names no database file"),
        ("PIXLAKE_STORAGE_URL", "s3://bucket", "no installed package provides"),
        ("PIXLAKE_STORAGE_URL", "blobs", "is not a URL"),
        ("PIXLAKE_STORAGE_URL", "file://elsewhere/blobs", "names host 'elsewhere'"),
        ("PIXLAKE_STORAGE_URL", "http://[::1/blobs", "is malformed"),
    ],
)
def test_one_line_naming_the_variable(
    tmp_path: Path, command: tuple[str, ...], variable: str, value: str, expected: str
) -> None:
    result = _run(tmp_path, variable, value, *command)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: Invalid configuration : ")
    assert f"{variable} {value!r}" in lines[0]
    assert expected in lines[0]
    assert "expected " in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "pixlake.sqlite").exists()  # nothing was created
