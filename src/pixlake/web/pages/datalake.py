"""The datalake's pages: a grid of thumbnails with filters and actions on a selection, and
a picture's own page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Final, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Header, Query, Request, Response
from fastapi import Path as FastPath
from fastapi.responses import RedirectResponse, StreamingResponse

from pixlake.api.deps import DbDep, StoreDep
from pixlake.api.responses import blob_response
from pixlake.core import blobs, datalake, thumbnails
from pixlake.entities.datalake import BlobEntity, PictureFilter
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.web.auth import CsrfDep, PageCallerDep, PageOrganizationDep, local_path
from pixlake.web.templating import PageRoute, render

__all__ = ["PAGE_SIZES", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: The grid's page sizes; a page never holds more thumbnails than the largest.
PAGE_SIZES: Final = (50, 100, 200)
_DONE: Final = {"tag": "tagged", "untag": "untagged", "delete": "deleted"}

_Tags = Annotated[list[str], Query(max_length=100)]
_Match = Literal["any", "all"]
_Day = Annotated[str, Query(max_length=10)]
_Cursor = Annotated[str | None, Query(max_length=100)]


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"{field} {value!r} is not a date",
            details=[{"field": field, "message": "expected a date as YYYY-MM-DD"}],
        ) from None


def _filter(tags: list[str], match: _Match, source: str, since: str, until: str) -> PictureFilter:
    """The pictures the grid's controls keep; ``until`` is a day, included."""
    first, last = _day(since, "since"), _day(until, "until")
    return PictureFilter(
        tags=tuple(t for t in (t.strip() for t in tags) if t),
        all_tags=match == "all",
        source=source or None,
        since=None if first is None else datetime(first.year, first.month, first.day, tzinfo=UTC),
        until=None
        if last is None
        else datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1),
    )


def _grid_query(
    tags: list[str], match: str, source: str, since: str, until: str, **more: str | int
) -> str:
    pairs: list[tuple[str, str | int]] = [("tag", t) for t in tags if t]
    if match == "all":
        pairs.append(("match", "all"))
    pairs += [(k, v) for k, v in (("source", source), ("since", since), ("until", until)) if v]
    pairs += [(k, v) for k, v in more.items() if v]
    return urlencode(pairs)


@router.get("/o/{org}/datalake")
def grid(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    tag: _Tags = [],  # noqa: B006 (FastAPI copies a Query default)
    match: _Match = "any",
    source: Annotated[str, Query(max_length=100)] = "",
    since: _Day = "",
    until: _Day = "",
    older: _Cursor = None,
    newer: _Cursor = None,
    per: Annotated[int, Query(ge=1, le=PAGE_SIZES[-1])] = PAGE_SIZES[1],
    done: Annotated[Literal["tagged", "untagged", "deleted"] | None, Query()] = None,
    n: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    where = _filter(tag, match, source, since, until)
    per = per if per in PAGE_SIZES else PAGE_SIZES[1]
    window = datalake.browse_pictures(
        db, caller, org.id, where=where, limit=per, older_than=older, newer_than=newer
    )
    facets = datalake.datalake_facets(db, caller, org.id)
    unfiltered = where == PictureFilter()
    everything = window.total if unfiltered else datalake.count_pictures(db, caller, org.id)
    query = _grid_query(tag, match, source, since, until, per=per if per != PAGE_SIZES[1] else 0)

    def url(**cursor: str | None) -> str:
        extra = "".join(f"&{k}={v}" for k, v in cursor.items() if v)
        return f"{request.url.path}?{query}{extra}".replace("?&", "?").rstrip("?")

    return render(
        request,
        "datalake.html",
        pictures=window.pictures,
        total=window.total,
        everything=everything,
        facets=facets,
        chosen_tags=list(where.tags),
        match=match,
        source=source,
        since=since,
        until=until,
        per=per,
        page_sizes=PAGE_SIZES,
        first_url=url() if window.newer else None,
        previous_url=url(newer=window.newer) if window.newer else None,
        next_url=url(older=window.older) if window.older else None,
        here=url(older=older, newer=newer),
        done=done,
        done_count=n,
    )


_Words = Annotated[str, Form(max_length=10_000)]


def _tag_words(text: str) -> list[str]:
    return [t for t in re.split(r"[,\s]+", text) if t]


@router.post("/o/{org}/datalake/selection")
def act_on_selection(
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    _csrf: CsrfDep,
    action: Annotated[Literal["tag", "untag", "delete"], Form()],
    scope: Annotated[Literal["selected", "matching"], Form()] = "selected",
    ids: Annotated[list[uuid.UUID], Form(max_length=datalake.MAX_BATCH)] = [],  # noqa: B006
    tags: _Words = "",
    tag: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    match: Annotated[_Match, Form()] = "any",
    source: Annotated[str, Form(max_length=100)] = "",
    since: Annotated[str, Form(max_length=10)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
    back: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Tag, untag or delete the pictures ticked in the grid, or every picture its filters
    keep (``scope=matching``), then go back to the grid."""
    words = _tag_words(tags)
    if action != "delete" and not words:
        raise InvalidInputError(
            f"nothing to {action}: write one or more tags, separated by commas or spaces",
            details=[{"field": "tags", "message": "expected one or more tags"}],
        )
    if scope == "matching":
        where = _filter(tag, match, source, since, until)
        if action == "tag":
            count = datalake.tag_matching(db, caller, org.id, where=where, tags=words)
        elif action == "untag":
            count = datalake.untag_matching(db, caller, org.id, where=where, tags=words)
        else:
            count = datalake.delete_matching(db, caller, org.id, where=where)
    elif action == "tag":
        count = datalake.add_tags(db, caller, org.id, ids=ids, tags=words)
    elif action == "untag":
        count = datalake.remove_tags(db, caller, org.id, ids=ids, tags=words)
    else:
        count = datalake.delete_pictures(db, caller, org.id, ids=ids)
    grid_path = f"/o/{org.name}/datalake"
    target = local_path(back, grid_path)
    if not target.startswith(grid_path):
        target = grid_path
    base, _, query = target.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith(("done=", "n="))]
    kept += [f"done={_DONE[action]}", f"n={count}"]
    return RedirectResponse(f"{base}?{'&'.join(kept)}", status_code=303)


@router.get("/o/{org}/pictures/{picture_id}")
def picture_page(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    picture_id: uuid.UUID,
) -> Response:
    picture, versions = datalake.picture_versions(db, caller, org.id, picture_id=picture_id)
    return render(request, "picture.html", picture=picture, versions=versions)


@router.get("/o/{org}/pictures/{picture_id}/file")
def picture_file(
    db: DbDep,
    store: StoreDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    picture_id: uuid.UUID,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    found = datalake.get_pictures(db, caller, org.id, ids=[picture_id])
    if not found:
        raise ResourceNotFoundError(f"no picture {picture_id} in this organization")
    entity, stream = blobs.open_blob(db, store, caller, org.id, digest=found[0].digest)
    return blob_response(entity, stream, range_header=range_header)


@router.get("/o/{org}/thumbnails/{digest}")
def thumbnail(
    db: DbDep,
    store: StoreDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    digest: Annotated[str, FastPath(pattern="^[0-9a-f]{64}$")],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    made = thumbnails.thumbnail_of(db, store, caller, org.id, digest=digest)
    etag = f'"{made.digest}"'
    cache = "private, max-age=31536000, immutable"
    if if_none_match is not None and etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache})
    entity = BlobEntity(made.digest, store.size(made.digest), made.media_type, None, None)
    return blob_response(entity, store.open(made.digest))
