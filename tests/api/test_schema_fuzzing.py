"""Schema fuzzing: Schemathesis, in its own environment, sends what the OpenAPI document
allows and what it forbids to every operation of a live server, and holds each answer to the
document: never a 5xx, only documented statuses, content types, headers and bodies, a 401
without a token, a 405 (with a true ``Allow``) for undeclared methods.

The path's ids are those of real objects of the fuzzing organization, so the bodies reach the
services instead of stopping at a 404.  The run is bounded in time: ``PIXLAKE_FUZZ_SECONDS``
(default 150) for the whole run; each failure is listed with the command that reproduces it.
"""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixlake.core.config import Settings
from tests.api.world import World, make_world
from tests.conftest import LiveServer, serve
from tests.tool_envs import tool_program

PREFIX = "/api/v1"
SECONDS = int(os.environ.get("PIXLAKE_FUZZ_SECONDS", "150"))
#: Schemathesis expects any body its schema allows to be taken (2xx); pixlake also holds
#: rules no JSON schema says (a label must exist, a name be free), so that check is off.
#: And a query string has no JSON types (``?tag=true`` is the text "true", which a list of
#: tags may hold, where the generator meant a boolean), so the negative-data check is off too:
#: bodies keep their JSON types (``tests/schemas/test_common.py``).
EXCLUDED_CHECKS = "positive_data_acceptance,negative_data_rejection"
#: One worker: Schemathesis's workers are threads, and Hypothesis describes each filter by
#: parsing its source with ``ast.parse``, which CPython 3.11 cannot run in two threads at once
#: (its AST constructor keeps one recursion counter per interpreter, python/cpython#106905):
#: the race surfaces, rarely, as ``SystemError: AST constructor recursion depth mismatch``.
WORKERS = "1"


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, World]]:
    home = tmp_path_factory.mktemp("fuzz-home")
    with serve(Settings(home=home)) as live:
        token = live.token("fuzzer", "fuzz")
        with httpx.Client(base_url=live.url + PREFIX, timeout=60) as http:
            yield live, make_world(http, token, seed=7)


def _config(world: World) -> str:
    """Real ids for every path parameter that names an object, real names where one does."""
    ids = {
        "org_id": world.org,
        "version_id": world.version_id,
        "picture_id": world.picture_ids[0],
        "project_id": world.project_id,
        "experiment_id": world.experiment_id,
        "network_id": world.network_id,
        "job_id": world.job_id,
        "version": "first",
    }
    lines = ["[parameters]", *(f'"path.{k}" = "{v}"' for k, v in ids.items())]
    names = {  # a path (as a regular expression) and what its {name} or {ref} is
        r"/datasets/\{name\}": ("name", world.dataset),
        r"/networks/\{network_id\}/files/": ("name", "model-latest"),
        r"/experiments/\{experiment_id\}/files/": ("name", "weights.bin"),
        r"/data/\{name\}": ("name", "loss"),
        r"/by-name/": ("name", "exp"),
        r"organizations/\{ref\}": ("ref", world.org),
    }
    for path, (parameter, value) in names.items():
        lines += [
            "",
            "[[operations]]",
            f"include-path-regex = '{path}'",
            f'parameters = {{ "path.{parameter}" = "{value}" }}',
        ]
    return "\n".join(lines) + "\n"


def test_every_answer_matches_the_document(
    fuzzed: tuple[LiveServer, World], tmp_path: Path
) -> None:
    schemathesis = tool_program("schemathesis", "schemathesis")
    live, world = fuzzed
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(world))
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [
            str(schemathesis),
            "--config-file",
            str(config),
            "run",
            f"{live.url}{PREFIX}/openapi.json",
            "--header",
            f"Authorization: Token {world.token}",
            "--checks",
            "all",
            "--exclude-checks",
            EXCLUDED_CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-time",
            str(SECONDS),
            "--workers",
            WORKERS,
            "--seed",
            "19",
            "--no-shrink",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=SECONDS + 300,
        check=False,
    )
    out = done.stdout + done.stderr
    cases = re.search(r"(\d+) generated", out)
    assert cases is not None, out[-3000:]
    print(out[out.rfind("SUMMARY") :])  # the figures docs/security.md gives (pytest -s)
    failures = [
        f"{case.get('name')}: {problem.get('message') or problem.text}"
        for case in ET.parse(junit).getroot().iter("testcase")
        for problem in (*case.iter("failure"), *case.iter("error"))
    ]
    assert failures == [], out[-20000:]
    assert "Server error" not in out
    assert done.returncode == 0, out[-5000:]
    assert int(cases.group(1)) > 1000  # it did reach every operation, many times
