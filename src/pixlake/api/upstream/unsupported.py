"""The wire table's rows that pixlake does not serve: hosted training, scans and runs (rows
24, 53 and 68 to 73; row 35, a network's deployment, is in ``networks``). Each answers 501
with a message the client shows, rather than a 404 that would read as a missing object."""

from __future__ import annotations

from fastapi import APIRouter

from pixlake.api.deps import CallerDep
from pixlake.errors import UnsupportedFeatureError

__all__ = ["refuse", "router"]

router = APIRouter(tags=["not supported"])


def refuse(what: str) -> UnsupportedFeatureError:
    return UnsupportedFeatureError(
        f"not supported by pixlake: {what} (docs/upstream-client.md lists what is served)"
    )


@router.put("/annotation/{dataset_id}/{external_url}", summary="Row 24 (not supported)")
def replace_annotation(caller: CallerDep) -> None:
    raise refuse("replacing a picture's annotations in place; use annotation/new")


@router.post("/experiment/{experiment_id}/launch", summary="Row 53 (not supported)")
def launch(caller: CallerDep) -> None:
    raise refuse("launching an experiment on hosted GPUs")


@router.post("/scan/{project_token}/create", summary="Row 68 (not supported)")
def create_scan(caller: CallerDep) -> None:
    raise refuse("hyper-parameter scans")


@router.post("/scan/{project_token}/launch/{name}", summary="Row 69 (not supported)")
def launch_scan(caller: CallerDep) -> None:
    raise refuse("hyper-parameter scans")


@router.get("/run/{project_token}/{name}", summary="Row 70 (not supported)")
def next_run(caller: CallerDep) -> None:
    raise refuse("the runs of hyper-parameter scans")


@router.get("/run/{run_id}", summary="Row 71 (not supported)")
def get_run(caller: CallerDep) -> None:
    raise refuse("the runs of hyper-parameter scans")


@router.patch("/run/{run_id}", summary="Row 72 (not supported)")
def update_run(caller: CallerDep) -> None:
    raise refuse("the runs of hyper-parameter scans")


@router.post("/run/{run_id}/end", summary="Row 73 (not supported)")
def end_run(caller: CallerDep) -> None:
    raise refuse("the runs of hyper-parameter scans")
