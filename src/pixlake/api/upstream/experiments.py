"""Rows 43 to 52 and 54 to 59 of the wire table: experiments, their run logs and their file
assets.

POST   /experiment/send_experiment_logging       one run-log line (or a buffer of them)
POST   /experiment/{id}/update_job_status        {status}
POST   /experiment/{id}/publish                  {name}: {"network": record}
GET    /experiment/{id}/file                     {"files": [...]}
PUT    /experiment/{id}/file                     {"0": {name, object_name, large}}: a new file
DELETE /experiment/{id}/file                     every file asset
GET    /experiment/{id}/file/{name}              {"file": [record]}, {"file": []} when missing
PATCH  /experiment/{id}/file/{name}              {name?, object_name?, large?}
DELETE /experiment/{id}/file/{name}              one file asset
GET    /experiment/{project_token}/by_name/{name} {"experiment": record}
GET    /experiment/{project_token}               {"experiments": [...]}
POST   /experiment/{project_token}               create: the record, unwrapped
DELETE /experiment/{project_token}               every experiment of the project
GET    /experiment/{project_token}/{id}          {"experiment": record}
PATCH  /experiment/{project_token}/{id}          {name?, description?, status?}: the record
DELETE /experiment/{project_token}/{id}          one experiment

Literal paths come first: FastAPI tries routes in order (the data assets' routes, in
``experiment_data``, are included before these). The client names an experiment by its id
alone, or with the project token it knows, which is ``None`` when it was given none: the
organization is the caller's that holds the experiment.

What differs from pixlake's own API is in what the client sends:

- a file's bytes are uploaded first to a signed URL, under the key ``<id>/<file name>``
  the client chose, then named by that key: the key is resolved to the bytes sent, and
  the asset keeps the key's file name. A file stored with pixlake's own SDK, under a key
  nothing was uploaded to, downloads by its key too (``storage.resolvers``);
- replacing a file of a name already stored is a ``PATCH`` with its new key;
- a run-log line comes with its number, which pixlake gives itself: lines are appended in
  the order they arrive; ``special="buffer"`` sends a list of lines, ``special="exit_code"``
  the exit code as the line's text (and ``final`` with an integer ``special`` the exit code
  beside a last line, as pixlake's own SDK sends it);
- a checkout sends ``with_file`` and ``with_data`` as a form on a GET: ``with_data`` puts
  the data assets' data in the record (files are downloaded by the client itself).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ConfigDict, RootModel

from pixlake.api.deps import CallerDep, DbDep, base_url
from pixlake.api.routers.experiments import file_public, logs_public, to_public
from pixlake.api.routers.networks import to_public as network_public
from pixlake.api.upstream import storage
from pixlake.api.upstream._wire import WireModel, as_id, body_of, created, ok
from pixlake.core import experiments as ex
from pixlake.core import object_storage, projects
from pixlake.entities.accounts import Caller
from pixlake.entities.experiments import Experiment, FileAsset
from pixlake.entities.networks import file_name_of
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.store.db.engine import Database

__all__ = ["router"]

router = APIRouter(tags=["experiments"])

storage.register_resolver(ex.file_under_key)

#: What the client writes for a project token it was not given.
_NO_TOKEN = frozenset({"None", "null"})


def _located(db: Database, caller: Caller, experiment_id: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The organization of the caller's that holds the experiment of a path, and its id."""
    try:
        parsed = uuid.UUID(experiment_id)
    except ValueError:
        raise ResourceNotFoundError(
            f"no experiment {experiment_id[:60]!r}: an experiment is named by its id"
        ) from None
    return ex.experiment_organization(db, caller, parsed), parsed


def _project(project_token: str) -> uuid.UUID | None:
    return None if project_token in _NO_TOKEN else as_id(project_token, "project_token")


def _record(experiment: Experiment, request: Request) -> dict[str, Any]:
    return to_public(experiment, base_url(request)).model_dump(mode="json")


def _file(
    f: FileAsset, request: Request, organization_id: uuid.UUID, experiment_id: uuid.UUID
) -> Any:
    return file_public(f, base_url(request), organization_id, experiment_id).model_dump(mode="json")


# --------------------------------------------------------------------------- run logs


class LogLine(WireModel):
    experiment_id: str
    line_nb: int | None = None
    log: str | list[str]
    part: str = ""
    final: bool = False
    special: bool | int | str = False


def _line(text: str) -> str:
    """A line as pixlake keeps it: without the line break that ended it in the output."""
    return text.removesuffix("\n").removesuffix("\r")


@router.post("/experiment/send_experiment_logging", summary="Append run-log lines")
def send_experiment_logging(
    caller: CallerDep,
    db: DbDep,
    body: LogLine = Depends(body_of(LogLine)),  # noqa: B008
) -> Response:
    organization_id, experiment_id = _located(db, caller, body.experiment_id)
    texts = body.log if isinstance(body.log, list) else [body.log]
    exit_code = None
    if body.special == "exit_code":
        text = texts[0].strip() if len(texts) == 1 else ""
        try:
            exit_code, texts = int(text), []
        except ValueError:
            raise InvalidInputError(
                f"log: expected the exit code (an integer) with special='exit_code', not "
                f"{text[:40]!r}",
                details=[{"field": "log", "message": "expected an integer"}],
            ) from None
    elif body.final and isinstance(body.special, int) and not isinstance(body.special, bool):
        exit_code = body.special
    ex.append_logs(
        db,
        caller,
        organization_id,
        experiment_id=experiment_id,
        lines=[_line(t) for t in texts],
        part=body.part,
        exit_code=exit_code,
    )
    return ok()


class JobStatus(WireModel):
    status: str


@router.post("/experiment/{experiment_id}/update_job_status", summary="Set the status")
def update_job_status(
    experiment_id: str,
    caller: CallerDep,
    db: DbDep,
    body: JobStatus = Depends(body_of(JobStatus)),  # noqa: B008
) -> Response:
    organization_id, run = _located(db, caller, experiment_id)
    ex.update_experiment(db, caller, organization_id, experiment_id=run, status=body.status)
    return ok()


class Publication(WireModel):
    name: str | None = None


@router.post("/experiment/{experiment_id}/publish", summary="Make a network: {network: record}")
def publish(
    experiment_id: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    body: Publication = Depends(body_of(Publication)),  # noqa: B008
) -> Response:
    organization_id, run = _located(db, caller, experiment_id)
    network = ex.publish(db, caller, organization_id, experiment_id=run, name=body.name or "")
    return created({"network": network_public(network, base_url(request)).model_dump(mode="json")})


# --------------------------------------------------------------------------- files


@router.get("/experiment/{experiment_id}/file", summary="The file assets: {files: [...]}")
def list_files(experiment_id: str, request: Request, caller: CallerDep, db: DbDep) -> Response:
    organization_id, run = _located(db, caller, experiment_id)
    found = ex.get_experiment(db, caller, organization_id, experiment_id=run)
    return ok({"files": [_file(f, request, organization_id, run) for f in found.files]})


class NewFile(WireModel):
    name: str
    object_name: str
    large: bool = False


class NewFiles(RootModel[dict[str, NewFile]]):
    """``{"0": {name, object_name, large}}``: the client sends one file at a time."""


@router.put("/experiment/{experiment_id}/file", summary="Store a file uploaded under a key")
def create_file(
    experiment_id: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    body: NewFiles = Depends(body_of(NewFiles)),  # noqa: B008
) -> Response:
    if len(body.root) != 1:
        raise InvalidInputError(
            f'expected one file, as {{"0": {{name, object_name, large}}}}, not {len(body.root)}',
            details=[{"field": "body", "message": "expected one file"}],
        )
    organization_id, run = _located(db, caller, experiment_id)
    (new,) = body.root.values()
    sent = object_storage.uploaded(
        db, caller, organization_id, bucket="models", key=new.object_name
    )
    stored = ex.store_file(
        db,
        caller,
        organization_id,
        experiment_id=run,
        name=new.name,
        digest=sent.digest,
        large=new.large,
        file_name=file_name_of(new.object_name),
    )
    return created(_file(stored, request, organization_id, run))


@router.delete("/experiment/{experiment_id}/file", summary="Delete every file asset")
def delete_all_files(experiment_id: str, caller: CallerDep, db: DbDep) -> Response:
    organization_id, run = _located(db, caller, experiment_id)
    ex.delete_all_files(db, caller, organization_id, experiment_id=run)
    return ok()


@router.get(
    "/experiment/{experiment_id}/file/{name}",
    summary="One file asset: {file: [record]}, or {file: []} with 200 when there is none",
)
def get_file(
    experiment_id: str, name: str, request: Request, caller: CallerDep, db: DbDep
) -> Response:
    organization_id, run = _located(db, caller, experiment_id)
    found = ex.get_file(db, caller, organization_id, experiment_id=run, name=name)
    # the client's store and download read an empty list as "no such file": a 404 would
    # crash them
    return ok({"file": [] if found is None else [_file(found, request, organization_id, run)]})


class FileChanges(WireModel):
    """A rename (``name``), other bytes uploaded under a key (``object_name``), the
    ``large`` flag: any other field is refused, naming it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    object_name: str | None = None
    large: bool | None = None


@router.patch("/experiment/{experiment_id}/file/{name}", summary="Rename, or store anew")
def update_file(
    experiment_id: str,
    name: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    body: FileChanges = Depends(body_of(FileChanges)),  # noqa: B008
) -> Response:
    organization_id, run = _located(db, caller, experiment_id)
    digest = file_name = None
    if body.object_name is not None:
        sent = object_storage.uploaded(
            db, caller, organization_id, bucket="models", key=body.object_name
        )
        digest, file_name = sent.digest, file_name_of(body.object_name)
    changed = ex.update_file(
        db,
        caller,
        organization_id,
        experiment_id=run,
        name=name,
        new_name=body.name,
        digest=digest,
        large=body.large,
        file_name=file_name,
    )
    return ok(_file(changed, request, organization_id, run))


@router.delete("/experiment/{experiment_id}/file/{name}", summary="Delete a file asset")
def delete_file(experiment_id: str, name: str, caller: CallerDep, db: DbDep) -> Response:
    organization_id, run = _located(db, caller, experiment_id)
    ex.delete_file(db, caller, organization_id, experiment_id=run, name=name)
    return ok()


# --------------------------------------------------------------------------- experiments


async def _with_data(request: Request) -> bool:
    """The ``with_data`` field of the form a checkout sends on its GET (``True`` or
    ``False``, as Python writes them); without it, no data."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return fields.get("with_data", ["False"])[-1].strip().lower() == "true"


def _checked_out(
    db: Database, caller: Caller, experiment: Experiment, request: Request
) -> dict[str, Any]:
    """A checkout's record: the experiment with its run log (``logging``), as pixlake's own
    SDK shows it."""
    record = _record(experiment, request)
    page = ex.read_logs(db, caller, experiment.organization_id, experiment_id=experiment.id)
    full = logs_public(page)
    record["logging"] = {
        **{key: full[key] for key in ("logs", "steps", "timestamps", "exit_code")},
        "nb_lines": full["total"],
    }
    return {"experiment": record}


@router.get(
    "/experiment/{project_token}/by_name/{name}",
    summary="Check out an experiment by name: {experiment: record}",
)
def get_by_name(
    project_token: str,
    name: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    with_data: bool = Depends(_with_data),  # noqa: B008
) -> Response:
    organization_id, project_id = _project_of(db, caller, project_token)
    found = ex.get_experiment(
        db, caller, organization_id, project_id=project_id, name=name, with_data=with_data
    )
    return ok(_checked_out(db, caller, found, request))


def _project_of(db: Database, caller: Caller, project_token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The organization of the caller's that holds the project of a token, and its id."""
    project_id = as_id(project_token, "project_token")
    return projects.project_organization(db, caller, project_id), project_id


@router.get("/experiment/{project_token}", summary="The project's experiments")
def list_experiments(
    project_token: str, request: Request, caller: CallerDep, db: DbDep
) -> Response:
    organization_id, project_id = _project_of(db, caller, project_token)
    found = ex.list_experiments(db, caller, organization_id, project_id=project_id)
    return ok({"experiments": [_record(e, request) for e in found]})


class Creation(WireModel):
    name: str | None = None
    description: str = ""
    previous: str | None = None
    dataset: str | None = None
    source: str | None = None
    with_file: bool = False
    with_data: bool = False


@router.post("/experiment/{project_token}", summary="Create an experiment: the record, unwrapped")
def create_experiment(
    project_token: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    body: Creation = Depends(body_of(Creation)),  # noqa: B008
) -> Response:
    organization_id, project_id = _project_of(db, caller, project_token)
    made = ex.create_experiment(
        db,
        caller,
        organization_id,
        project_id=project_id,
        name=body.name or "",
        description=body.description,
        previous=body.previous,
        dataset=body.dataset,
        source=body.source,
        with_files=body.with_file,
        with_data=body.with_data,
    )
    return created(_record(made, request))


@router.delete("/experiment/{project_token}", summary="Delete every experiment of the project")
def delete_all_experiments(project_token: str, caller: CallerDep, db: DbDep) -> Response:
    organization_id, project_id = _project_of(db, caller, project_token)
    ex.delete_all_experiments(db, caller, organization_id, project_id=project_id)
    return ok()


def _in_project(
    db: Database, caller: Caller, project_token: str, experiment_id: str, *, with_data: bool = False
) -> Experiment:
    """The experiment of a path, which must be of the path's project (when the client knew
    it)."""
    organization_id, run = _located(db, caller, experiment_id)
    return ex.get_experiment(
        db,
        caller,
        organization_id,
        experiment_id=run,
        project_id=_project(project_token),
        with_data=with_data,
    )


@router.get(
    "/experiment/{project_token}/{experiment_id}",
    summary="Check out an experiment by id: {experiment: record}",
)
def get_experiment(
    project_token: str,
    experiment_id: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    with_data: bool = Depends(_with_data),  # noqa: B008
) -> Response:
    found = _in_project(db, caller, project_token, experiment_id, with_data=with_data)
    return ok(_checked_out(db, caller, found, request))


class Changes(WireModel):
    """The fields an experiment's update may change: any other is refused, naming it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    status: str | None = None


@router.patch("/experiment/{project_token}/{experiment_id}", summary="Change an experiment")
def update_experiment(
    project_token: str,
    experiment_id: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    body: Changes = Depends(body_of(Changes)),  # noqa: B008
) -> Response:
    found = _in_project(db, caller, project_token, experiment_id)
    changed = ex.update_experiment(
        db,
        caller,
        found.organization_id,
        experiment_id=found.id,
        name=body.name,
        description=body.description,
        status=body.status,
    )
    return ok(_record(changed, request))


@router.delete("/experiment/{project_token}/{experiment_id}", summary="Delete an experiment")
def delete_experiment(
    project_token: str, experiment_id: str, caller: CallerDep, db: DbDep
) -> Response:
    found = _in_project(db, caller, project_token, experiment_id)
    ex.delete_experiment(db, caller, found.organization_id, experiment_id=found.id)
    return ok()
