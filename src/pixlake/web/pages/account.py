"""Signing in and out, and where a signed-in person lands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from pixlake.api.deps import DbDep
from pixlake.core import sessions
from pixlake.errors import ApiLimitError, InvalidInputError, UnauthorizedError
from pixlake.web.auth import (
    SESSION_COOKIE,
    CsrfDep,
    PageCallerDep,
    check_same_origin,
    end_session_cookie,
    local_path,
    set_session_cookie,
)
from pixlake.web.templating import PageRoute, render

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_Text = Annotated[str, Form(max_length=sessions.MAX_PASSWORD_LENGTH)]
_Next = Annotated[str, Form(max_length=2000)]


@router.get("/")
async def home(caller: PageCallerDep) -> RedirectResponse:
    return RedirectResponse(f"/o/{caller.default_organization.name}/datalake", status_code=303)


@router.get("/signin")
async def signin_page(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    return render(request, "signin.html", next=local_path(next), error=None, username="")


def _signed_in(request: Request, signed: sessions.SignedIn, next_path: str) -> Response:
    response = RedirectResponse(local_path(next_path), status_code=303)
    set_session_cookie(response, request, signed.token)
    return response


def _refused(request: Request, exc: Exception, *, next_path: str, username: str) -> Response:
    status = 429 if isinstance(exc, ApiLimitError) else 401
    if isinstance(exc, InvalidInputError):
        status = 422
    return render(
        request,
        "signin.html",
        status=status,
        next=local_path(next_path),
        error=str(getattr(exc, "message", exc)),
        username=username,
    )


@router.post("/signin")
async def signin(
    request: Request, db: DbDep, username: _Text, password: _Text, next: _Next = "/"
) -> Response:
    check_same_origin(request)
    try:
        signed = await run_in_threadpool(sessions.sign_in, db, username.strip(), password)
    except (UnauthorizedError, ApiLimitError) as exc:
        return _refused(request, exc, next_path=next, username=username)
    return _signed_in(request, signed, next)


@router.post("/signin/token")
async def signin_with_token(
    request: Request, db: DbDep, token: _Text, next: _Next = "/"
) -> Response:
    check_same_origin(request)
    try:
        signed = await run_in_threadpool(sessions.sign_in_with_token, db, token.strip())
    except UnauthorizedError as exc:
        return _refused(request, exc, next_path=next, username="")
    return _signed_in(request, signed, next)


@router.post("/signout")
async def signout(request: Request, db: DbDep, _csrf: CsrfDep) -> Response:
    await run_in_threadpool(sessions.sign_out, db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/signin", status_code=303)
    end_session_cookie(response, request)
    return response
