"""Pages are Jinja2 templates rendered on the server, escaped by default.

Every value a template prints is HTML-escaped (``autoescape``), and an undefined name is an
error rather than an empty string. A page may load only this server's own scripts, styles
and images (its ``Content-Security-Policy``: no inline script, no other host), so that text
a user wrote can never run even where it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, Final

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined

from pixlake._version import __version__
from pixlake.errors import PicselliaError
from pixlake.web.auth import SignInRequired

__all__ = ["PAGE_POLICY", "PageRoute", "render", "render_error"]

#: What a page may load and run: its own server's files, nothing inline, no frames.
PAGE_POLICY: Final = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)

_env = Environment(
    loader=PackageLoader("pixlake.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}"


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


_env.filters["when"] = _when
_env.filters["bytes"] = _bytes
_env.globals["asset_version"] = __version__


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` for this request: the signed-in caller, the organization of the
    path and the session's CSRF token are in every page's context."""
    state = request.state
    page = _env.get_template(template).render(
        caller=getattr(state, "caller", None),
        organization=getattr(state, "organization", None),
        csrf=getattr(state, "csrf", ""),
        path=request.url.path,
        **context,
    )
    return HTMLResponse(
        page,
        status_code=status,
        headers={
            "Content-Security-Policy": PAGE_POLICY,
            "Cache-Control": "no-store",
            # within this server only: a form's Origin is then sent (``no-referrer`` makes
            # it "null"), and no address of a page leaves for another site
            "Referrer-Policy": "same-origin",
        },
    )


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, message=message)


class PageRoute(APIRoute):
    """A page's route: errors become pages, not problem documents. A request without a
    session is sent to sign in; a service's error is shown with its message and status; a
    query that does not parse says which field."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                return RedirectResponse(exc.location, status_code=303)
            except PicselliaError as exc:
                status = exc.status_code if exc.status_code >= 400 else 500
                return render_error(request, status, exc.message)
            except RequestValidationError as exc:
                fields = ", ".join(
                    str(e.get("loc", ("?",))[-1]) + ": " + str(e.get("msg", "invalid"))
                    for e in exc.errors()[:5]
                )
                return render_error(request, 422, f"this address is not valid ({fields})")

        return page_handler
