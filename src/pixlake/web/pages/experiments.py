"""The projects' and experiments' pages: a project's datasets, members and experiments; an
experiment with every data asset drawn as what it is, its files and its live run log; and
line charts of several experiments compared."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from pixlake.api.deps import DbDep, StoreDep
from pixlake.api.responses import blob_response
from pixlake.core import blobs, datalake, experiments, projects
from pixlake.entities.accounts import Caller
from pixlake.entities.experiments import DataAsset, Experiment
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.web.auth import PageCallerDep, PageOrganizationDep
from pixlake.web.drawing import colours_of_names, shapes_of_objects
from pixlake.web.templating import PageRoute, render

__all__ = ["SORTS", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: How a project's experiments can be sorted, and the key of each.
SORTS: Final[dict[str, Callable[[Experiment], Any]]] = {
    "name": lambda e: e.name.lower(),
    "status": lambda e: e.status,
    "dataset": lambda e: "" if e.dataset is None else f"{e.dataset[1]}/{e.dataset[2]}",
    "owner": lambda e: "" if e.owner is None else e.owner[1],
    "updated": lambda e: e.updated_at,
}
#: Evaluation entries drawn on their pictures at most.
_EVALUATIONS_SHOWN: Final = 24
_MAX_COMPARED: Final = 8


@router.get("/o/{org}/projects")
def projects_page(
    request: Request, db: DbDep, caller: PageCallerDep, org: PageOrganizationDep
) -> Response:
    found = projects.list_projects(db, caller, org.id)
    return render(request, "projects.html", projects=found)


@router.get("/o/{org}/projects/{project_id}")
def project_page(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    project_id: uuid.UUID,
    sort: Annotated[Literal["name", "status", "dataset", "owner", "updated"], Query()] = "updated",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> Response:
    project = projects.get_project(db, caller, org.id, ref=project_id)
    runs = experiments.list_experiments(db, caller, org.id, project_id=project_id)
    runs.sort(key=SORTS[sort], reverse=order == "desc")
    return render(
        request, "project.html", project=project, experiments=runs, sort=sort, order=order
    )


def _view(asset: DataAsset) -> dict[str, Any]:
    """What a template needs to draw a data asset, computed here rather than in Jinja."""
    data = asset.data
    if asset.type == "heatmap":
        cells = [v for row in data["values"] for v in row if isinstance(v, int | float)]
        top = max([1e-12, *(abs(v) for v in cells)])
        return {"heatmap": data, "top": top}
    if asset.type == "bar":
        values = [v for v in data["y"] if isinstance(v, int | float)]
        return {"bars": list(zip(data["x"], data["y"], strict=True)), "top": max([1e-12, *values])}
    return {}


def _evaluations(
    db: Database, caller: Caller, org_id: uuid.UUID, assets: tuple[DataAsset, ...]
) -> dict[str, list[dict[str, Any]]]:
    """For each evaluation asset, its first entries with their pictures and shapes."""
    out: dict[str, list[dict[str, Any]]] = {}
    for asset in assets:
        if asset.type != "evaluation":
            continue
        entries = asset.data[:_EVALUATIONS_SHOWN]
        names = [str(e["external_picture_url"]) for e in entries]
        pictures = datalake.pictures_named(db, caller, org_id, names=names)
        labels = [str(o.get("label", "")) for e in entries for o in e["gt"] + e["pred"]]
        colours = colours_of_names(labels)
        out[asset.name] = [
            {
                "name": str(entry["external_picture_url"]),
                "picture": pictures.get(str(entry["external_picture_url"])),
                "gt": shapes_of_objects(entry["gt"], colours),
                "pred": shapes_of_objects(entry["pred"], colours),
                "scores": [o.get("score") for o in entry["pred"]],
            }
            for entry in entries
        ]
    return out


@router.get("/o/{org}/experiments/{experiment_id}")
def experiment_page(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    experiment_id: uuid.UUID,
) -> Response:
    run: Experiment = experiments.get_experiment(
        db, caller, org.id, experiment_id=experiment_id, with_data=True
    )
    order = ("value", "line", "bar", "heatmap", "table", "labelmap", "image", "evaluation")
    assets = sorted(run.data, key=lambda a: (order.index(a.type), a.name))
    return render(
        request,
        "experiment.html",
        run=run,
        assets=assets,
        views={a.name: _view(a) for a in assets},
        evaluations=_evaluations(db, caller, org.id, run.data),
    )


@router.get("/o/{org}/experiments/{experiment_id}/lines/{name}")
def line_points(
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    buckets: Annotated[int, Query(ge=1, le=experiments.MAX_BUCKETS)] = 1000,
    first: Annotated[int, Query(ge=0)] = 0,
    last: Annotated[int | None, Query(ge=0)] = None,
) -> JSONResponse:
    """A line's points for a chart ``buckets`` pixels wide (see ``read_line_range``)."""
    series = experiments.read_line_range(
        db,
        caller,
        org.id,
        experiment_id=experiment_id,
        name=name,
        buckets=buckets,
        first=first,
        last=last,
    )
    return JSONResponse({"size": series.size, "idx": series.idx, "y": series.y, "x": series.x})


@router.get("/o/{org}/experiments/{experiment_id}/logs")
def logs(
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    experiment_id: uuid.UUID,
    after: Annotated[int, Query(ge=-1)] = -1,
) -> JSONResponse:
    """The run log's lines numbered above ``after``, and the exit code once there is one: a
    page asks again every few seconds until then."""
    page = experiments.read_logs(
        db, caller, org.id, experiment_id=experiment_id, after=after, limit=2000
    )
    return JSONResponse(
        {
            "lines": [[n, step, text] for n, step, text, _at in page.lines],
            "exit_code": page.exit_code,
            "total": page.total,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/o/{org}/experiments/{experiment_id}/files/{name}")
def experiment_file(
    db: DbDep,
    store: StoreDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    entity, stream = experiments.open_file(
        db, store, caller, org.id, experiment_id=experiment_id, name=name
    )
    return blob_response(entity, stream, filename=name, range_header=range_header)


@router.get("/o/{org}/experiments/{experiment_id}/images/{name}")
def experiment_image(
    db: DbDep,
    store: StoreDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
) -> StreamingResponse:
    """The bytes of an ``image`` data asset (the organization must hold them)."""
    asset = experiments.get_data(db, caller, org.id, experiment_id=experiment_id, name=name)
    digest = asset.data.get("sha256") if isinstance(asset.data, dict) else None
    if asset.type != "image" or not digest:
        raise ResourceNotFoundError(f"data {name!r} is no image with stored bytes")
    entity, stream = blobs.open_blob(db, store, caller, org.id, digest=digest)
    return blob_response(entity, stream)


@router.get("/o/{org}/projects/{project_id}/compare")
def compare(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    project_id: uuid.UUID,
    e: Annotated[list[uuid.UUID], Query(max_length=_MAX_COMPARED)] = [],  # noqa: B006
) -> Response:
    """The line charts of two or more of a project's experiments, one plot per line name."""
    if len(e) < 2:
        raise InvalidInputError(
            "tick two or more experiments to compare",
            details=[{"field": "e", "message": "expected 2 to 8 experiment ids"}],
        )
    project = projects.get_project(db, caller, org.id, ref=project_id)
    runs = [experiments.get_experiment(db, caller, org.id, experiment_id=i) for i in e]
    for run in runs:
        if run.project_id != project.id:
            raise ResourceNotFoundError(f"no experiment {run.id} in project {project.name!r}")
    lines = sorted({a.name for run in runs for a in run.data if a.type == "line"})
    return render(request, "compare.html", project=project, runs=runs, lines=lines)
