"""The API's documentation page works offline: everything it loads comes from the server."""

from __future__ import annotations

import re

import httpx

from tests.conftest import LiveServer

MEDIA_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}


def test_docs_page_loads_nothing_from_another_host(server: LiveServer) -> None:
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(https?:)?//[a-z0-9]", page.text, re.IGNORECASE), page.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assets += re.findall(r"""\burl: *["']([^"']+)["']""", page.text)
    suffixes = {asset[asset.rindex(".") :] for asset in assets if "." in asset}
    assert {".js", ".css", ".png", ".json"} <= suffixes, assets
    for asset in assets:
        assert asset.startswith("/"), asset
        answer = httpx.get(server.url + asset)
        assert answer.status_code == 200, asset
        media_type = answer.headers["content-type"].split(";")[0]
        suffix = asset[asset.rindex(".") :]
        if suffix == ".json":
            assert media_type == "application/json", asset
            assert answer.json()["openapi"].startswith("3.")
        else:
            assert media_type in MEDIA_TYPES[suffix], (asset, media_type)
            assert len(answer.content) > 500, asset


def test_swagger_ui_is_the_one_that_reads_openapi_3_1(server: LiveServer) -> None:
    # Swagger UI 4 refuses FastAPI's OpenAPI 3.1 documents; version 5 reads them
    bundle = httpx.get(f"{server.url}/docs/assets/swagger-ui-bundle.js").text
    document = httpx.get(f"{server.url}/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "SwaggerUIBundle" in bundle
    assert "isOAS31" in bundle  # the OpenAPI 3.1 plugin, which Swagger UI 5 brought
