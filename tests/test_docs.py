"""The guides' examples run against a real server, exactly as written."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from tests.conftest import LiveServer, write_images
from tests.factories import coco_dataset, ultralytics_dataset

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize("guide", ["quickstart.md", "datasets.md", "experiments.md"])
def test_guide_examples(guide: str, server: LiveServer, unique: str, tmp_path: Path) -> None:
    # a fresh organization per run keeps the figures in the guide exact
    token = server.token(f"alice-{unique}", organization=f"acme-{unique}")
    folder = tmp_path / "images"
    write_images(folder, 6)
    text = (DOCS / guide).read_text()
    text = text.replace("Hi alice,", f"Hi alice-{unique},").replace(
        "for acme organization", f"for acme-{unique} organization"
    )
    coco = tmp_path / "coco"
    coco_dataset(coco, 6, seed=3)
    extra = write_images(tmp_path / "extra", 2, start=900)
    roads = ultralytics_dataset(tmp_path / "roads")
    globs = {
        "roads": roads,
        "token": token,
        "host": server.url,
        "folder": folder,
        "coco": coco,
        "extra_images": extra,
        "workdir": tmp_path / "work",
    }
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, globs, guide, str(DOCS / guide), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 8
    assert result.failed == 0
