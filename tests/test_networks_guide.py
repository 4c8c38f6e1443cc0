"""The networks guide (``docs/networks.md``) runs against a real server, exactly as written."""

from __future__ import annotations

import doctest
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import LiveServer

GUIDE = Path(__file__).parent.parent / "docs" / "networks.md"


def test_networks_guide(
    server: LiveServer, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fresh users, organizations and network name keep the guide's figures exact
    token = server.token(f"alice-{unique}", organization=f"acme-{unique}")
    other_token = server.token(f"bob-{unique}", organization=f"globex-{unique}")
    folder = tmp_path / "files"
    (folder / "saved_model" / "variables").mkdir(parents=True)
    (folder / "saved_model" / "saved_model.pb").write_bytes(b"graph" * 100)
    (folder / "saved_model" / "variables" / "variables.index").write_bytes(b"index")
    (folder / "config.yaml").write_text("epochs: 30\n")
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 200)).save(buffer, "PNG")
    (folder / "thumb.png").write_bytes(buffer.getvalue())
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.chdir(downloads)

    text = GUIDE.read_text()
    for word, replacement in (
        ("yolo-cars", f"yolo-cars-{unique}"),
        ("alice", f"alice-{unique}"),
        ("bob", f"bob-{unique}"),
        ("acme", f"acme-{unique}"),
    ):
        text = text.replace(word, replacement)
    globs = {"token": token, "other_token": other_token, "host": server.url, "folder": folder}
    test = doctest.DocTestParser().get_doctest(text, globs, GUIDE.name, str(GUIDE), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 20
    assert result.failed == 0
