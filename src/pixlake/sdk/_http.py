"""The SDK's one HTTP connection: keep-alive, timeouts, retries, typed errors.

Idempotent calls (GET, PUT, DELETE, and the POSTs pixlake defines as idempotent: blob
queries and uploads keyed by digest, picture registration keyed by name, searches, tagging)
are retried when the connection drops or the server answers 502, 503 or 504.  A call that
never reached the server (connection refused) is retried whatever its method.  How often and
how long to wait is the connection's ``RetryPolicy`` (``pixlake.sdk._retry``: exponential
backoff with jitter), which downloads follow too.  Errors come back as the class the server
named in its ``application/problem+json`` answer.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx

from pixlake._version import __version__
from pixlake.errors import AuthenticationError, NetworkError, PicselliaError, error_class_for
from pixlake.sdk._retry import RETRY_STATUSES, RetryPolicy, never_sent

if TYPE_CHECKING:
    from pixlake.sdk._samehost import LocalStore

__all__ = ["DEFAULT_HOST", "Connection", "normalize_host", "resolve_token"]

DEFAULT_HOST = "http://127.0.0.1:8000"
API = "/api/v1"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def resolve_token(api_token: str | None) -> str:
    """The token given, else ``PIXLAKE_TOKEN``, else ``PICSELLIA_TOKEN``."""
    token = api_token or os.environ.get("PIXLAKE_TOKEN") or os.environ.get("PICSELLIA_TOKEN")
    if not token:
        raise AuthenticationError(
            "no API token: pass api_token=... or set the PIXLAKE_TOKEN (or PICSELLIA_TOKEN) "
            "environment variable; create one with `pixlake token create USERNAME`"
        )
    return token


def normalize_host(host: str | None) -> str:
    """The server's root URL: the argument, else ``PIXLAKE_HOST``, else the local default.

    An upstream-style host ending in ``/sdk/v2/`` is accepted and the suffix dropped.
    """
    url = (host or os.environ.get("PIXLAKE_HOST") or DEFAULT_HOST).strip()
    if "://" not in url:
        url = "http://" + url
    url = url.rstrip("/")
    for suffix in ("/sdk/v2", API):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url.rstrip("/")


class Connection:
    """An authenticated HTTP client for one pixlake server.

    ``transport`` plugs in any ``httpx.BaseTransport`` (for example to go through a proxy or
    to simulate failures in tests).  ``retries`` and ``backoff`` make its ``retry`` policy.
    """

    def __init__(
        self,
        api_token: str | None = None,
        host: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.token = resolve_token(api_token)
        self.host = normalize_host(host)
        self.retry = RetryPolicy(retries=retries, backoff=backoff)
        self.auth = {"Authorization": f"Token {self.token}"}
        self._client = httpx.Client(
            base_url=self.host + API,
            headers={**self.auth, "User-Agent": f"pixlake-sdk/{__version__}"},
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            transport=transport,
            follow_redirects=True,
        )
        self._local_lock = threading.Lock()
        self._local_checked = False
        self._local: LocalStore | None = None

    def local_store(self) -> LocalStore | None:
        """The server's blob store when this process can read its files (asked once; see
        ``pixlake.sdk._samehost``), else ``None``."""
        with self._local_lock:
            if not self._local_checked:
                from pixlake.sdk._samehost import discover

                self._local = discover(self)
                self._local_checked = True
            return self._local

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | Callable[[], Iterable[bytes]] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send a request and return its successful response, or raise the typed error.

        ``content`` may be a function returning an iterable of chunks: the body is then
        streamed, and the function called again for each retry.
        """
        safe = method.upper() in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = timeout
        retry = 1
        while True:
            body = content() if callable(content) else content
            try:
                response = self._client.request(
                    method, path, json=json, params=params, content=body, headers=headers, **extra
                )
            except httpx.TransportError as exc:
                if (safe or never_sent(exc)) and self.retry.allows(retry):
                    self.retry.wait(retry)
                    retry += 1
                    continue
                raise NetworkError(
                    f"cannot reach the pixlake server at {self.host} ({type(exc).__name__}: "
                    f"{exc}); is `pixlake serve` running, and is the host right?"
                ) from exc
            if response.status_code in RETRY_STATUSES and safe and self.retry.allows(retry):
                self.retry.wait(retry)
                retry += 1
                continue
            if response.is_error:
                raise self._error(response)
            return response

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> Iterator[httpx.Response]:
        """A streamed response (for downloads).  Error answers raise as for ``request``,
        except statuses in ``accept`` (e.g. 416 for a range past the end); transport errors
        propagate as ``httpx.TransportError`` so that callers can resume."""
        with self._client.stream(method, path, params=params, headers=headers) as response:
            if response.is_error and response.status_code not in accept:
                response.read()
                raise self._error(response)
            yield response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs).json()

    @staticmethod
    def _error(response: httpx.Response) -> PicselliaError:
        code: str | None = None
        detail = response.reason_phrase or f"HTTP {response.status_code}"
        details: list[dict[str, Any]] = []
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = body.get("code") if isinstance(body.get("code"), str) else None
            detail = str(body.get("detail") or body.get("error") or detail)
            raw = body.get("errors")
            if isinstance(raw, list):
                details = [
                    {k: v for k, v in e.items() if v is not None}
                    for e in raw
                    if isinstance(e, dict)
                ]
        cls = error_class_for(code, response.status_code)
        return cls(detail, details=details)
