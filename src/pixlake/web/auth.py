"""Who a page is for: the session cookie, the organization in the path, and CSRF checks.

A page is for a signed-in person: its caller comes from the ``pixlake_session`` cookie
(``core.sessions``), never from an ``Authorization`` header, so the API's tokens and the
pages' sessions cannot stand in for each other by accident. A request without a live session
is sent to the sign-in page, which brings it back afterwards.

Every state-changing request (a form's POST) carries the session's CSRF token, in the
``csrf`` field or the ``X-CSRF-Token`` header; the sign-in form, before any session, is
accepted only from a page of this server (its ``Origin``), so that another site cannot sign
a browser in to an account of its choosing.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Final
from urllib.parse import quote, urlsplit

from fastapi import Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from pixlake.api.deps import DbDep
from pixlake.core import sessions
from pixlake.entities.accounts import Caller, Organization
from pixlake.errors import ForbiddenError, ResourceNotFoundError, UnauthorizedError

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "CsrfDep",
    "PageCallerDep",
    "PageOrganizationDep",
    "SignInRequired",
    "check_same_origin",
    "end_session_cookie",
    "local_path",
    "set_session_cookie",
]

SESSION_COOKIE: Final = "pixlake_session"
CSRF_FIELD: Final = "csrf"
CSRF_HEADER: Final = "X-CSRF-Token"


class SignInRequired(Exception):
    """Raised by a page whose request has no live session: answered with the sign-in page's
    address, coming back to ``next`` afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        return f"/signin?next={quote(self.next_path, safe='/')}"


def local_path(value: str | None, default: str = "/") -> str:
    """``value`` when it is a path on this server (``/…``, not ``//host`` nor a URL), else
    ``default``: where a sign-in may send the browser next, so that a link cannot make the
    sign-in page send it elsewhere."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def _wanted(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def _page_caller(request: Request, db: DbDep) -> Caller:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired(_wanted(request) if request.method == "GET" else "/")
    try:
        caller: Caller = await run_in_threadpool(sessions.authenticate_session, db, token)
    except UnauthorizedError:
        raise SignInRequired(_wanted(request) if request.method == "GET" else "/") from None
    request.state.caller = caller
    request.state.csrf = sessions.csrf_token(token)
    return caller


#: The signed-in person a page is for (sent to the sign-in page otherwise).
PageCallerDep = Annotated[Caller, Depends(_page_caller)]


async def _page_organization(
    request: Request,
    caller: PageCallerDep,
    org: Annotated[str, Path(description="the organization's name")],
) -> Organization:
    for organization, _role in caller.memberships.values():
        if organization.name == org:
            request.state.organization = organization
            return organization
    raise ResourceNotFoundError(f"no organization named {org!r} among yours")


#: The organization named in a page's path, one of the caller's (404 otherwise).
PageOrganizationDep = Annotated[Organization, Depends(_page_organization)]


async def _csrf(request: Request, caller: PageCallerDep) -> None:
    del caller  # a session first: without one, the browser is sent to sign in
    token = request.cookies.get(SESSION_COOKIE, "")
    form = await request.form()  # parsed once: the route's Form parameters read the same
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(sent, str) or not hmac.compare_digest(sent, sessions.csrf_token(token)):
        raise ForbiddenError(
            "this form is not from a page of this session (it may be older than your last "
            "sign-in): reload the page and send it again"
        )


#: A state-changing request's CSRF check (403 when it fails).
CsrfDep = Annotated[None, Depends(_csrf)]


def check_same_origin(request: Request) -> None:
    """Refuse a form sent from another site's page (before a session exists, there is no
    CSRF token to check: the browser's ``Origin`` says where the form was)."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if origin in (None, "null"):  # a client that is no browser, or a page without referrer
        if site in (None, "same-origin", "none"):
            return
    elif origin == f"{request.url.scheme}://{request.url.netloc}":
        return
    raise ForbiddenError("this sign-in form was sent from another site's page")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(sessions.LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def end_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
