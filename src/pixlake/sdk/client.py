"""``Client``: authenticate once and hold one ready instance of each sub-API."""

from __future__ import annotations

from types import TracebackType

import httpx

from pixlake.sdk._base import Resource
from pixlake.sdk.datalake import Datalake
from pixlake.sdk.experiment import Experiment
from pixlake.sdk.network import Network
from pixlake.sdk.project import Project

__all__ = ["Client"]


class Client(Resource):
    """The facade: one ping and one organization lookup, shared by every sub-object.

    >>> client = Client(api_token=token, host="http://127.0.0.1:8000")  # doctest: +SKIP
    Hi alice, welcome back.
    """

    _greets = True

    Datalake = Datalake
    Network = Network
    Project = Project
    Experiment = Experiment

    def __init__(
        self,
        api_token: str | None = None,
        organization: str | None = None,
        host: str | None = None,
        interactive: bool = True,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            api_token, organization, host, interactive=interactive, transport=transport
        )
        self.datalake = Datalake(_context=self._ctx)
        self.network = Network(_context=self._ctx)
        self.project = Project(_context=self._ctx)
        self.experiment = Experiment(_context=self._ctx)

    def __str__(self) -> str:
        return f"Client Initialized for {self.organization_name} organization"

    def close(self) -> None:
        """Close the HTTP connection (also done by ``with Client(...) as client:``)."""
        self._ctx.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
