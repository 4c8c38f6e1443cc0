"""README.md and every guide in docs/ run exactly as pasted, in order, twice, on a fresh server.

Which fenced blocks run, by the language after the opening fence:

- ``python``: run, in one namespace per document (shared with its ``pycon`` blocks);
- ``pycon``: an interactive session, run as doctest examples in that namespace: what it
  shows (output, tracebacks) must be what it prints;
- ``sh``: run by bash (``set -e -o pipefail``) in the working directory; the variables it
  exports carry on to the document's next blocks, shell and Python alike. A line
  ``pixlake serve ...`` is the server that this test started for the document: it is not run,
  and ``PIXLAKE_HOME`` and ``PIXLAKE_HOST`` point at that server instead;
- ``py``: a script for the upstream Picsellia client (``docs/upstream-client.md``), run as a
  file of its own by that client's Python (``scripts/tool-envs picsellia``), in the working
  directory with the document's environment; it shares nothing with the other blocks but
  the files and variables they left;
- ``text`` and ``console``: not run: output samples, layouts, and commands meant for a
  checkout of the repository (installing it, running the test suite), which other tests run;
  ``toml`` and ``yaml``: not run either: the content of a file (another package's
  configuration), shown with its syntax.

A fence without a language, or with another one, fails the test: say which of these it is.

Each document runs in a fresh empty working directory against a fresh server (its own
database and blob folder), from its first block to its last, then again from its first block
in the same directory and on the same server, as a reader pasting it twice would: the second
pass must not collide with the first (create what exists), and shows the same output. A guide
creates its own small files, or says in one line what to create, which ``PREPARE`` below then
creates. A failure names the document and the line of the block that broke.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pixlake.core.config import Settings
from tests.conftest import serve
from tests.factories import coco_dataset, ultralytics_dataset
from tests.tool_envs import tool_program

ROOT = Path(__file__).parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN = {"python", "pycon", "sh", "py"}
NOT_RUN = {"text", "console", "toml", "yaml"}
FENCE = re.compile(r"^(```+)\s*([\w+-]*)\s*$")
SERVE = re.compile(r"^\s*pixlake\s+serve\b")
#: Variables of the shell itself, not of the document.
SHELL_OWN = {"_", "PWD", "OLDPWD", "SHLVL"}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the block's first line of content
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, language = match.groups()
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if end == len(lines):
            pytest.fail(f"{path.relative_to(ROOT)}:{i + 1}: this fence is never closed")
        if language not in RUN | NOT_RUN:
            pytest.fail(
                f"{path.relative_to(ROOT)}:{i + 1}: a block of language {language!r}: say "
                f"{', '.join(sorted(RUN))} (run) or {', '.join(sorted(NOT_RUN))} (not run)"
            )
        found.append(Block(path, i + 2, language, "\n".join(lines[i + 1 : end]) + "\n"))
        i = end + 1
    return found


# --------------------------------------------------------------------------- what guides ask for


def _datasets_guide(work: Path) -> None:
    coco_dataset(work / "coco", 6, seed=3)
    ultralytics_dataset(work / "roads")


def _readme(work: Path) -> None:
    coco_dataset(work / "cars", 6, seed=3)
    ultralytics_dataset(work / "roads")


#: For a document that says in one line what to create: the test creates it, in the
#: working directory, before the first pass.
PREPARE: dict[str, Callable[[Path], None]] = {
    "README.md": _readme,
    "docs/datasets.md": _datasets_guide,
}


# --------------------------------------------------------------------------- running


class Reader:
    """One reader pasting one document's blocks: a namespace, an environment, a folder."""

    def __init__(self, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.work = work
        self.monkeypatch = monkeypatch
        self.namespace: dict[str, Any] = {"__name__": "__main__"}

    def run(self, block: Block) -> None:
        if block.language == "python":
            self._python(block)
        elif block.language == "pycon":
            self._pycon(block)
        elif block.language == "sh":
            self._sh(block)
        elif block.language == "py":
            self._upstream(block)

    def _python(self, block: Block) -> None:
        code = compile("\n" * (block.line - 1) + block.text, str(block.path), "exec")
        try:
            exec(code, self.namespace)
        except Exception as exc:
            frames = [
                f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(block.path)
            ]
            line = frames[-1].lineno if frames else block.line
            trace = "".join(traceback.format_exception(exc))
            pytest.fail(f"{block.path.relative_to(ROOT)}:{line}: {exc!r}\n{trace}")

    def _pycon(self, block: Block) -> None:
        parser = doctest.DocTestParser()
        examples = parser.get_examples(block.text, block.where)
        test = doctest.DocTest(
            examples, {}, block.where, str(block.path), block.line - 1, block.text
        )
        test.globs = self.namespace  # DocTest copies what it is given: share, do not copy
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.REPORT_ONLY_FIRST_FAILURE
        runner = doctest.DocTestRunner(optionflags=flags)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        if runner.failures:
            pytest.fail(f"{block.where}: {runner.failures} example(s) failed\n" + "".join(report))

    def _upstream(self, block: Block) -> None:
        script = self.work.parent / f"upstream-{block.line}.py"
        script.write_text("\n" * (block.line - 1) + block.text)
        result = subprocess.run(
            [str(tool_program("picsellia")), str(script)],
            cwd=self.work,
            env={**os.environ, "PYTHONNOUSERSITE": "1"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            lines = re.findall(rf'File "{re.escape(str(script))}", line (\d+)', result.stderr)
            line = int(lines[-1]) if lines else block.line
            pytest.fail(
                f"{block.path.relative_to(ROOT)}:{line}: exit {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )

    def _sh(self, block: Block) -> None:
        """One bash per block, as if the reader's terminal went on: the shell variables that
        earlier blocks set are restored first, and those this block sets are kept after."""
        state, env_file = self.work.parent / "shell.state", self.work.parent / "env.out"
        baseline = self.work.parent / "shell.baseline"
        env = {**os.environ, "DOCS_STATE": str(state), "DOCS_ENV": str(env_file)}
        env["DOCS_BASELINE"] = str(baseline)
        if not baseline.exists():
            names = subprocess.run(
                ["bash", "-c", "compgen -v | sort"], env=env, capture_output=True, text=True
            ).stdout
            baseline.write_text(names + "BASH_COMMAND\nBASH_REMATCH\nPIPESTATUS\n")
        header = [
            "set -e -o pipefail",
            '[ -f "$DOCS_STATE" ] && source "$DOCS_STATE"',
            "trap 'echo \"line $LINENO\" >&2' ERR",
        ]
        footer = [
            "trap - ERR",
            'declare -p $(comm -23 <(compgen -v | sort) "$DOCS_BASELINE") > "$DOCS_STATE"',
            'env -0 > "$DOCS_ENV"',
        ]
        text = [":" if SERVE.match(line) else line for line in block.text.splitlines()]
        script = "\n".join([*header, *text, *footer]) + "\n"
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            lines = re.findall(r"^line (\d+)$", result.stderr, re.M)
            line = block.line + int(lines[-1]) - len(header) - 1 if lines else block.line
            pytest.fail(
                f"{block.path.relative_to(ROOT)}:{line}: exit {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        after = dict(
            entry.split("=", 1) for entry in env_file.read_text().split("\0") if "=" in entry
        )
        for name, value in after.items():
            if not name.startswith("DOCS_") and name not in SHELL_OWN:
                if os.environ.get(name) != value:
                    self.monkeypatch.setenv(name, value)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_document_runs_as_pasted_twice(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = blocks(document)
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    prepare = PREPARE.get(str(document.relative_to(ROOT)))
    if prepare is not None:
        prepare(work)
    for name in ("PIXLAKE_TOKEN", "PICSELLIA_TOKEN", "PIXLAKE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("PIXLAKE_STORAGE_URL", "PIXLAKE_SAME_HOST", "PIXLAKE_ORGANIZATION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(work)
    with serve(Settings(home=home)) as server:
        monkeypatch.setenv("PIXLAKE_HOME", str(home))
        monkeypatch.setenv("PIXLAKE_HOST", server.url)
        reader = Reader(work, monkeypatch)
        for _ in range(2):
            for block in found:
                reader.run(block)


def test_every_guide_is_run() -> None:
    runnable = {p.name for p in DOCUMENTS if any(b.language in RUN for b in blocks(p))}
    assert {"README.md", "quickstart.md", "datasets.md", "experiments.md"} <= runnable
    assert {"networks.md", "server.md"} <= runnable
