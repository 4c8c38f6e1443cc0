"""What every part of the experiments service shares: limits, name checks, the lookup."""

from __future__ import annotations

import uuid

from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.names import file_name_problem, name_problem, path_problem
from pixlake.schemas.experiments import MAX_DESCRIPTION, MAX_EXPERIMENT_NAME
from pixlake.store.db.repositories import StoredExperiment
from pixlake.store.db.unit_of_work import UnitOfWork

#: A line read inside a record is downsampled to this many points at most.
RECORD_POINTS = 1000
MAX_STATUS = 100
MAX_PART = 255
MAX_LINE = 100_000


def bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


def check_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise bad(field, "expected a non-empty experiment name")
    if len(name) > MAX_EXPERIMENT_NAME:
        raise bad(field, f"the name has {len(name)} characters; {MAX_EXPERIMENT_NAME} at most")
    if "/" in name or "\\" in name or "\x00" in name or name != name.strip():
        raise bad(field, "an experiment name has no '/', '\\' or NUL, and no edge spaces")
    if name in (".", ".."):
        raise bad(field, "expected a name other than '.' or '..': the SDK makes a folder of it")
    # checked out by name in a path: no control characters, nothing a path would change
    problem = name_problem(name, what="experiment name", limit=MAX_EXPERIMENT_NAME) or (
        path_problem(name, what="experiment name")
    )
    if problem:
        raise bad(field, problem)
    return name


#: The exit codes a run may report: what the column holds (a 32-bit integer).
MIN_EXIT_CODE, MAX_EXIT_CODE = -(2**31), 2**31 - 1


def check_exit_code(code: int | None) -> int | None:
    if code is None:
        return None
    if isinstance(code, bool) or not isinstance(code, int):
        raise bad("exit_code", "expected an integer")
    if not MIN_EXIT_CODE <= code <= MAX_EXIT_CODE:
        raise bad("exit_code", f"expected an exit code from {MIN_EXIT_CODE} to {MAX_EXIT_CODE}")
    return code


def check_description(text: object) -> str:
    if not isinstance(text, str):
        raise bad("description", "expected a string")
    if len(text) > MAX_DESCRIPTION:
        raise bad(
            "description", f"the description has {len(text)} characters; {MAX_DESCRIPTION} at most"
        )
    return text


def check_asset_name(name: object, field: str = "name") -> str:
    """A file or data asset's name: a file name (the SDKs write it as one) that a URL's path
    carries back intact (the upstream client names assets in paths, unescaped)."""
    if not isinstance(name, str):
        raise bad(field, "expected a name")
    problem = file_name_problem(name) or path_problem(name, what="name")
    if problem:
        raise bad(field, problem)
    return name


def check_stored_file_name(name: object, field: str = "file_name") -> str:
    """The name of a stored file (``best.pt``), which its object key ends with and a
    download writes: a file name. It travels in request bodies, not in paths."""
    if not isinstance(name, str):
        raise bad(field, "expected a file name")
    problem = file_name_problem(name)
    if problem:
        raise bad(field, problem)
    return name


def experiment_of_key(
    tx: UnitOfWork, organization_id: uuid.UUID, key: str
) -> StoredExperiment | None:
    """The organization's experiment whose id an object key starts with
    (``<experiment_id>/...``), if there is one."""
    first, slash, _rest = key.partition("/")
    try:
        experiment_id = uuid.UUID(first)
    except ValueError:
        return None
    return tx.experiments.find(organization_id, experiment_id) if slash else None


def find_experiment(
    tx: UnitOfWork, organization_id: uuid.UUID, experiment_id: uuid.UUID, *, lock: bool = False
) -> StoredExperiment:
    """An experiment of the organization (``ResourceNotFoundError``); ``lock`` holds it for
    the transaction's writes."""
    found = tx.experiments.find(organization_id, experiment_id, lock=lock)
    if found is None:
        raise ResourceNotFoundError(f"no experiment {experiment_id} in this organization")
    return found
