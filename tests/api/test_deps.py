"""Routers scope an organization one way: through the dependencies of ``api/deps.py``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

from pixlake.api.app import create_app
from pixlake.core.config import Settings


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router, as FastAPI keeps it
            yield from _api_routes(route.original_router.routes)


def test_routes_take_the_organization_from_a_dependency(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path))
    scoped = [r for r in _api_routes(app.routes) if "{org_id}" in r.path]
    assert len(scoped) > 50
    declared = [
        f"{sorted(r.methods or ())} {r.path}"
        for r in scoped
        if any(p.name == "org_id" for p in r.dependant.path_params)
    ]
    assert declared == [], "declare OrganizationDep or OrganizationIdDep instead of org_id"
    for route in scoped:
        assert any(
            any(p.name == "org_id" for p in d.path_params) for d in route.dependant.dependencies
        ), route.path
