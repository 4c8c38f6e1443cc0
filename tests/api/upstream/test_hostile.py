"""Every route of the upstream protocol, called with real ids and names of the caller's
objects and with bodies no client should send (not JSON, not an object, every usual field
of the wrong type, nested past any reason): never a 5xx, and every refusal in the shape the
client reads (``{"error": message}``). Routes added later are called without any change here
(a route whose path parameter this file cannot fill fails
``test_every_path_parameter_can_be_filled``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from pixlake import Dataset, Network, Picture
from pixlake.api.upstream import PREFIX, install_upstream, unsupported
from pixlake.core import accounts, experiments, projects
from tests.conftest import LiveServer, write_images

WRONG_TYPES: dict[str, object] = {
    "name": 5, "version": [], "tags": "x", "pictures": {"a": 1}, "data": [[[[]]]],
    "quantity": "lots", "to_delete": [1], "to_tag": "x", "parts": "x", "object_name": 7,
    "method": "put", "type": [], "status": {}, "labels": 1, "files": [], "private": "maybe",
    "0": 3, "upload_id": [], "part_no": "one", "organization": 3, "internal_key": None,
    "external_url": 4, "log": {}, "experiment_id": 2, "line_nb": "x", "repartition": "x",
    "dataset_name": [], "project_name": {}, "description": [], "from_version": 1, "limit": "x",
}  # fmt: skip
BODIES = [
    b"",
    b"\xff\xfe not JSON",
    b"[1, 2, 3]",
    b'"a string"',
    json.dumps(WRONG_TYPES).encode(),
    b"[" * 5000 + b"]" * 5000,
]


@dataclass(frozen=True)
class Route:
    method: str
    path: str


def _routes() -> list[Route]:
    """The upstream protocol's routes, from an application that holds them and nothing else."""
    app = FastAPI()
    for name in ("settings", "db", "store", "jobs"):
        setattr(app.state, name, None)
    install_upstream(app)
    mounted = next(r for r in app.routes if isinstance(r, Mount) and r.path == PREFIX).app
    assert isinstance(mounted, FastAPI)
    upstream = mounted
    found = [
        Route(method, context.path)
        for context in iter_route_contexts(upstream.routes)
        if context.path and context.methods
        for method in sorted(set(context.methods) - {"HEAD"})
    ]
    # deletions last, so that the other routes meet the objects they name
    return sorted(found, key=lambda r: (r.method == "DELETE", r.path, r.method))


ROUTES = _routes()
#: The rows pixlake does not serve: they answer 501, in the client's shape too.
UNSUPPORTED = {
    (method, context.path)
    for context in iter_route_contexts(unsupported.router.routes)
    if context.path and context.methods
    for method in context.methods
}
PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class World:
    values: dict[str, str]
    token: str


@pytest.fixture(scope="module")
def world(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> World:
    token = server.token("hostile-user", organization="hostile-org")
    host = server.url
    folder = tmp_path_factory.mktemp("hostile")
    Picture(api_token=token, host=host, interactive=False).upload(write_images(folder, 2))
    pictures = Picture(api_token=token, host=host).list()
    dataset = Dataset(api_token=token, host=host).create("hostile-data", pictures=pictures)
    dataset.create_labels("car", "rectangle")
    caller = accounts.authenticate(server.db, token)
    org = caller.default_organization
    project = projects.create_project(server.db, caller, org.id, name="hostile-project")
    run = experiments.create_experiment(
        server.db, caller, org.id, project_id=project.id, name="hostile-run"
    )
    network = Network(api_token=token, host=host)
    network.create("hostile-net", "detection")
    return World(
        values={
            "org_id": str(org.id),
            "org": org.name,
            "dataset_id": str(dataset.dataset_id),
            "experiment_id": str(run.id),
            "network_id": str(network.network_id),
            "project_token": str(project.id),
            "picture_id": str(pictures[0]["picture_id"]),
            "external_url": pictures[0]["external_url"],
            "picture_name": pictures[0]["external_url"],
            "name": "hostile-data",
            "version": "first",
            "label": "car",
            "option": "all",
            "run_id": str(run.id),
            "token": "x" * 43,
        },
        token=token,
    )


def test_every_path_parameter_can_be_filled(world: World) -> None:
    wanted = {name for route in ROUTES for name in PARAMETER.findall(route.path)}
    assert wanted <= set(world.values), sorted(wanted - set(world.values))
    assert len(ROUTES) >= 70  # the wire table's rows, and the storage URLs


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_no_body_makes_a_route_fail_or_answer_out_of_the_clients_shape(
    route: Route, world: World, server: LiveServer
) -> None:
    path = PARAMETER.sub(lambda m: world.values[m.group(1)], route.path)
    with httpx.Client(base_url=f"{server.url}/sdk/v2", timeout=60) as http:
        for body in BODIES:
            answer = http.request(
                route.method, path, content=body, headers={"Authorization": f"Token {world.token}"}
            )
            allowed = 502 if (route.method, route.path) in UNSUPPORTED else 500
            assert answer.status_code < allowed, (body[:40], answer.text[:500])
            if answer.status_code >= 400:
                error = answer.json().get("error")
                assert isinstance(error, str) and error, (body[:40], answer.text[:500])
