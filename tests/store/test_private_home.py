"""Everything pixlake writes under its home is its user's alone: folders 0o700, files
0o600 (blobs 0o400), whatever the process's umask, after every kind of object was made."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx

from pixlake.core.config import Settings
from tests.api.world import make_world
from tests.conftest import serve


def test_nothing_under_the_home_is_open_to_group_or_others(tmp_path: Path) -> None:
    home = tmp_path / "home"
    previous = os.umask(0o022)  # the usual umask, which would leave files readable by all
    try:
        with serve(Settings(home=home)) as live:
            token = live.token("owner", "private")
            with httpx.Client(base_url=live.url + "/api/v1", timeout=60) as http:
                world = make_world(http, token, seed=3)
                export = http.get(
                    f"{world.base}/dataset-versions/{world.version_id}/export",
                    params={"format": "COCO"},
                    headers={"Authorization": f"Token {token}"},
                )
                assert export.status_code == 200
    finally:
        os.umask(previous)
    opened = [
        f"{path.relative_to(tmp_path)}: {stat.filemode(path.lstat().st_mode)}"
        for path in [home, *home.rglob("*")]
        if path.lstat().st_mode & 0o077
    ]
    assert opened == []
    assert len(list(home.rglob("*"))) > 256  # the store's shards, blobs, the database
