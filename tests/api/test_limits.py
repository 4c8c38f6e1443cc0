"""The nesting of a request's values is bounded by ``PIXLAKE_MAX_JSON_DEPTH``, per server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pixlake.core.config import Settings
from tests.api.world import auth, make_world
from tests.conftest import serve


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"k": value}
    return value


def test_values_nested_past_the_servers_limit_are_refused_by_field(tmp_path: Path) -> None:
    with serve(Settings(home=tmp_path / "home", max_json_depth=8)) as live:
        token = live.token("deep", "deep")
        with httpx.Client(base_url=live.url + "/api/v1", timeout=60) as http:
            world = make_world(http, token, seed=11)
            url = f"{world.base}/experiments/{world.experiment_id}/data"

            def send(levels: int) -> httpx.Response:
                body = {"name": f"t{levels}", "type": "table", "data": _nested(levels)}
                return http.post(url, json=body, headers=auth(token))

            within = send(8)  # refused too, as a table holds scalars: but not for its depth
            assert within.status_code == 422 and "nested" not in within.text, within.text
            refused = send(9)
            assert refused.status_code == 422, refused.text
            (error,) = refused.json()["errors"]
            assert error["field"] == "body.data"
            assert "nested at most 8 levels" in error["message"]
