"""``Project``: projects of an organization, their attached datasets and workers.

As in the Picsellia SDK contract: ``list``, ``get``, ``create``, ``update``, ``delete``,
``attach_dataset``, and ``Project.Worker(...).list()``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from pixlake.errors import InvalidInputError, InvalidQueryError
from pixlake.sdk._base import Context, Resource

__all__ = ["Project", "Worker"]


def _check_str(value: object, name: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")


class Worker(Resource):
    """The contributors of a project: ``Project.Worker(api_token, host, project_token).list()``."""

    def __init__(
        self,
        api_token: str | None = None,
        host: str | None = None,
        project_token: str | None = None,
        *,
        organization: str | None = None,
        interactive: bool = True,
        transport: httpx.BaseTransport | None = None,
        _context: Context | None = None,
    ) -> None:
        _check_str(project_token, "project_token", optional=True)
        super().__init__(
            api_token,
            organization,
            host,
            interactive=interactive,
            transport=transport,
            _context=_context,
        )
        self.project_token = project_token

    def list(self) -> dict[str, list[dict[str, Any]]]:
        """``{"workers": [...]}``: the project's contributors."""
        if not self.project_token:
            raise InvalidQueryError("Worker.list needs a project_token (the project's id)")
        answer: dict[str, list[dict[str, Any]]] = self._ctx.connection.get(
            f"{self._ctx.org_path}/projects/{self.project_token}/workers"
        )
        return answer


class Project(Resource):
    """The projects of an organization.

    >>> proj = Project(api_token=token, host=host).create("street")  # doctest: +SKIP
    """

    _greets = True
    Worker = Worker

    def __init__(
        self,
        api_token: str | None = None,
        organization: str | None = None,
        host: str | None = None,
        project_token: str | None = None,
        *,
        interactive: bool = True,
        transport: httpx.BaseTransport | None = None,
        _context: Context | None = None,
    ) -> None:
        for value, name in (
            (api_token, "api_token"),
            (organization, "organization"),
            (host, "host"),
            (project_token, "project_token"),
        ):
            _check_str(value, name, optional=True)
        super().__init__(
            api_token,
            organization,
            host,
            interactive=interactive,
            transport=transport,
            _context=_context,
        )
        self.project_token: str | None = project_token
        self.name: str | None = None
        self.infos: dict[str, Any] = {}
        self.project_list: list[dict[str, Any]] = []
        self.worker: Worker | None = None

    def __str__(self) -> str:
        if not self.infos:
            return "No project selected: use get(name) or create(name) first"
        return json.dumps(self.infos, indent=2, default=str)

    def _path(self, organization: str | None = None) -> str:
        if organization in (None, "", "null"):
            return f"{self._ctx.org_path}/projects"
        assert organization is not None
        org = self._ctx.connection.get(f"/organizations/{quote(organization, safe='')}")
        return f"/organizations/{org['id']}/projects"

    def _selected(self) -> str:
        if not self.project_token:
            raise InvalidQueryError("no project selected: call get(name) or create(name) first")
        return self.project_token

    def _keep(self, record: dict[str, Any]) -> None:
        self.infos = record
        self.name = record["project_name"]
        self.project_token = str(record["project_id"])
        self.worker = Worker(project_token=self.project_token, _context=self._ctx)

    def list(self) -> list[dict[str, Any]]:
        """The organization's projects, also kept in ``project_list``."""
        records: list[dict[str, Any]] = self._ctx.connection.get(self._path())
        self.project_list = records
        for record in records[:5]:
            self._say(
                "%s  description: %s  contributors: %s  datasets: %s",
                record["project_name"],
                record["description"] or "-",
                ", ".join(w["username"] for w in record["contributors"]) or "-",
                ", ".join(f"{d['dataset_name']}/{d['version']}" for d in record["datasets"]) or "-",
            )
        return records

    def get(self, name: str, organization: str | None = None) -> Project:
        """Select project ``name`` (of ``organization``, default the constructor's)."""
        _check_str(name, "name")
        _check_str(organization, "organization", optional=True)
        record = self._ctx.connection.get(f"{self._path(organization)}/{quote(name, safe='')}")
        self._keep(record)
        self._say("Successfully fetched project %s", self.name)
        self._say("%s", str(self))
        return self

    def create(self, name: str, organization: str | None = None, **kwargs: Any) -> Project:
        """Create project ``name`` (``description``, ``type`` as keywords) and select it."""
        _check_str(name, "name")
        _check_str(organization, "organization", optional=True)
        unknown = set(kwargs) - {"description", "type"}
        if unknown:
            raise InvalidInputError(
                f"create takes description and type; unknown: {', '.join(sorted(unknown))}",
                details=[{"field": f, "message": "unknown field"} for f in sorted(unknown)],
            )
        if not name.strip():
            raise InvalidInputError(
                "name: a project needs a non-empty name",
                details=[{"field": "name", "message": "empty"}],
            )
        body = {"name": name, **{k: v for k, v in kwargs.items() if v is not None}}
        record = self._ctx.connection.post(self._path(organization), json=body)
        self._keep(record)
        self._say("Project %s created successfully.", self.name)
        return self

    def update(
        self,
        project_name: str | None = None,
        description: str | None = None,
        type: str | None = None,
        **kwargs: Any,
    ) -> Project:
        """Change the selected project's name, description or type."""
        project_id = self._selected()
        if kwargs:
            raise InvalidInputError(
                f"update takes project_name, description and type; unknown: "
                f"{', '.join(sorted(kwargs))}",
                details=[{"field": f, "message": "unknown field"} for f in sorted(kwargs)],
            )
        body = {
            k: v
            for k, v in {
                "project_name": project_name,
                "description": description,
                "type": type,
            }.items()
            if v is not None
        }
        record = self._ctx.connection.request(
            "PATCH", f"{self._path()}/{project_id}", json=body, idempotent=True
        ).json()
        self._keep(record)
        self._say("Project %s updated.", self.name)
        return self

    def delete(self) -> None:
        """Delete the selected project (not its datasets)."""
        project_id = self._selected()
        name = self.name
        self._ctx.connection.request("DELETE", f"{self._path()}/{project_id}")
        self._say("Project %s deleted.", name)
        self.infos = {}
        self.name = None
        self.project_token = None

    def attach_dataset(self, dataset: str) -> None:
        """Link dataset version ``"name/version"`` to the project (twice: no-op)."""
        _check_str(dataset, "dataset")
        project_id = self._selected()
        if dataset.count("/") != 1 or not all(dataset.split("/")):
            raise InvalidQueryError(
                f"dataset {dataset!r}: expected '<name>/<version>', e.g. 'cars/first'",
                details=[{"field": "dataset", "message": "expected 'name/version'"}],
            )
        record = self._ctx.connection.post(
            f"{self._path()}/{project_id}/datasets", json={"dataset": dataset}, idempotent=True
        )
        self._keep(record)
        self._say("Dataset %s successfully attached to project %s", dataset, self.name)
