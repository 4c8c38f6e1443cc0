"""The third-party files shipped with the web UI are the pinned ones, with their licences."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pixlake.web

VENDOR = Path(pixlake.web.__file__).parent / "static" / "vendor"


def test_every_vendored_file_is_the_pinned_one_and_has_its_licence() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    assert manifest, "the manifest names no package"
    for package, entry in manifest.items():
        assert entry["integrity"].startswith("sha512-") and entry["version"]
        names = [Path(member).name for member in entry["files"]]
        assert "LICENSE" in names, f"{package} ships without its licence"
        for member, digest in entry["files"].items():
            path = VENDOR / package / Path(member).name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path
    shipped = {p.relative_to(VENDOR) for p in VENDOR.rglob("*") if p.is_file()}
    pinned = {
        Path(package) / Path(member).name
        for package, entry in manifest.items()
        for member in entry["files"]
    }
    assert shipped - {Path("manifest.json")} == pinned, "a vendored file is not in the manifest"
