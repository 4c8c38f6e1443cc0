"""What every SDK class shares: the connection, the caller, the organization."""

from __future__ import annotations

import logging
import sys
import weakref
from dataclasses import dataclass
from typing import Any

import httpx

from pixlake.errors import InvalidQueryError
from pixlake.sdk._http import Connection

__all__ = ["Context", "LakeResource", "Resource"]

log = logging.getLogger("pixlake")


@dataclass
class Context:
    """An authenticated connection plus the resolved caller and organization.

    ``Client`` builds one and hands it to every sub-object, so the server is pinged and the
    organization looked up once, however many objects share them.
    """

    connection: Connection
    username: str
    sdk_version: str
    organization_id: str
    organization_name: str
    interactive: bool = True
    #: Print the SDK's messages ("Successfully fetched dataset cars", ...) when interactive.
    #: A program that says what happened itself (the ``pixlake`` command) turns this off
    #: and keeps the progress bars; the messages still go to the ``pixlake`` logger.
    chatty: bool = True

    @classmethod
    def open(
        cls,
        api_token: str | None,
        organization: str | None,
        host: str | None,
        *,
        interactive: bool = True,
        chatty: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> Context:
        connection = Connection(api_token, host, transport=transport)
        try:
            me = connection.get("/me")
            ref = organization if organization not in (None, "", "null") else None
            if ref is None:
                org = me["default_organization"]
            else:
                org = connection.get(f"/organizations/{ref}")
        except BaseException:
            connection.close()
            raise
        context = cls(
            connection=connection,
            username=me["username"],
            sdk_version=me["sdk_version"],
            organization_id=str(org["id"]),
            organization_name=org["name"],
            interactive=interactive,
            chatty=chatty,
        )
        # The connection lives as long as the objects sharing this context.
        weakref.finalize(context, connection.close)
        return context

    @property
    def org_path(self) -> str:
        return f"/organizations/{self.organization_id}"


class Resource:
    """Base of the SDK classes: holds the context and exposes the contract's attributes."""

    _greets = False

    def __init__(
        self,
        api_token: str | None = None,
        organization: str | None = None,
        host: str | None = None,
        *,
        interactive: bool = True,
        transport: httpx.BaseTransport | None = None,
        _context: Context | None = None,
    ) -> None:
        if organization is not None and "://" in organization:
            raise InvalidQueryError(
                f"organization {organization!r} looks like a URL: pass the server as host=..."
            )
        self._ctx = _context or Context.open(
            api_token, organization, host, interactive=interactive, transport=transport
        )
        if self._greets and _context is None:
            print(f"Hi {self._ctx.username}, welcome back.")

    # The contract's attributes, derived from the shared context.
    @property
    def organization_id(self) -> str:
        return self._ctx.organization_id

    @property
    def organization_name(self) -> str:
        return self._ctx.organization_name

    @property
    def username(self) -> str:
        return self._ctx.username

    @property
    def sdk_version(self) -> str:
        return self._ctx.sdk_version

    @property
    def host(self) -> str:
        return self._ctx.connection.host

    @property
    def auth(self) -> dict[str, str]:
        return dict(self._ctx.connection.auth)

    @property
    def interactive(self) -> bool:
        return self._ctx.interactive

    def _say(self, message: str, *args: Any) -> None:
        """Report progress the way upstream printed it: on stdout when interactive (and
        chatty), and to the ``pixlake`` logger in any case."""
        text = message % args if args else message
        log.info(text)
        if self._ctx.interactive and self._ctx.chatty:
            print(text, file=sys.stdout)


class LakeResource(Resource):
    """Base of ``Picture`` and ``Dataset``, whose upstream constructors also take an
    ``organization_id`` (it names the organization like ``organization`` does)."""

    def __init__(
        self,
        api_token: str | None = None,
        organization: str | None = None,
        host: str | None = None,
        organization_id: str | None = None,
        *,
        interactive: bool = True,
        transport: httpx.BaseTransport | None = None,
        _context: Context | None = None,
    ) -> None:
        super().__init__(
            api_token,
            organization if organization_id is None else organization_id,
            host,
            interactive=interactive,
            transport=transport,
            _context=_context,
        )
        self._reset()

    def _reset(self) -> None:
        """Set the object's selection attributes to their empty state."""
