"""The datasets' pages: the versions of an organization, a version's pictures with their
annotations drawn, a picture to review, a version's label statistics, and its exports."""

from __future__ import annotations

import io
import uuid
from typing import Annotated, Final, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from PIL import Image

from pixlake.api.deps import DbDep, StoreDep
from pixlake.core import datasets, exports
from pixlake.errors import ResourceNotFoundError
from pixlake.formats.model import Mask
from pixlake.web.auth import CsrfDep, PageCallerDep, PageOrganizationDep
from pixlake.web.drawing import label_colours, shapes_of
from pixlake.web.templating import PageRoute, render

__all__ = ["EXPORT_FORMATS", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: The formats a version's page offers to export to, with their names as shown.
EXPORT_FORMATS: Final = {"coco": "COCO", "voc": "PASCAL-VOC", "yolo": "YOLO"}
_PER_PAGE: Final = 60

_Status = Annotated[Literal["pending", "accepted", "rejected", "review"] | None, Query()]
_Label = Annotated[str | None, Query(max_length=200)]


def _query(status: str | None, label: str | None, **more: str | int | None) -> str:
    pairs = [(k, v) for k, v in (("status", status), ("label", label), *more.items()) if v]
    return ("?" + urlencode(pairs)) if pairs else ""


@router.get("/o/{org}/datasets")
def versions_page(
    request: Request, db: DbDep, caller: PageCallerDep, org: PageOrganizationDep
) -> Response:
    versions = datasets.list_versions(db, caller, org.id)
    return render(request, "datasets.html", versions=versions)


@router.get("/o/{org}/datasets/{version_id}")
def version_page(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    version_id: uuid.UUID,
    status: _Status = None,
    label: _Label = None,
    after: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    version = datasets.get_version_header(db, caller, org.id, version_id=version_id)
    window = datasets.browse_version(
        db,
        caller,
        org.id,
        version_id=version_id,
        status=status,
        label=label or None,
        limit=_PER_PAGE,
        after=after,
        before=before,
    )
    colours = label_colours(version.labels)
    base = f"/o/{org.name}/datasets/{version_id}"
    return render(
        request,
        "version.html",
        version=version,
        colours=colours,
        cells=[
            (picture, annotation, shapes_of(annotation, colours))
            for picture, annotation in window.items
        ],
        total=window.total,
        review_status=status,
        label=label or "",
        statuses=datasets.ANNOTATION_STATUSES,
        filters=_query(status, label),
        first_url=base + _query(status, label) if window.previous else None,
        previous_url=base + _query(status, label, before=window.previous)
        if window.previous
        else None,
        next_url=base + _query(status, label, after=window.next) if window.next else None,
        export_formats=EXPORT_FORMATS,
    )


@router.get("/o/{org}/datasets/{version_id}/pictures/{picture_id}")
def version_picture_page(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    version_id: uuid.UUID,
    picture_id: uuid.UUID,
    status: _Status = None,
    label: _Label = None,
) -> Response:
    version = datasets.get_version_header(db, caller, org.id, version_id=version_id)
    found = datasets.version_picture(
        db,
        caller,
        org.id,
        version_id=version_id,
        picture_id=picture_id,
        status=status,
        label=label or None,
    )
    colours = label_colours(version.labels)
    base = f"/o/{org.name}/datasets/{version_id}/pictures"
    filters = _query(status, label)
    return render(
        request,
        "version_picture.html",
        version=version,
        export_formats=EXPORT_FORMATS,
        item=found,
        colours=colours,
        shapes=shapes_of(found.annotation, colours),
        filters=filters,
        review_status=status,
        label=label or "",
        previous_url=None if found.previous_id is None else f"{base}/{found.previous_id}{filters}",
        next_url=None if found.next_id is None else f"{base}/{found.next_id}{filters}",
    )


@router.post("/o/{org}/datasets/{version_id}/pictures/{picture_id}/review")
def review(
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    _csrf: CsrfDep,
    version_id: uuid.UUID,
    picture_id: uuid.UUID,
    decision: Annotated[Literal["accepted", "rejected", "review", "pending"], Form()],
    status: Annotated[Literal["pending", "accepted", "rejected", "review", ""], Form()] = "",
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set the picture's review status, then show the next picture of the same filters
    (found before the change: the picture may leave a filter by status)."""
    found = datasets.version_picture(
        db,
        caller,
        org.id,
        version_id=version_id,
        picture_id=picture_id,
        status=status or None,
        label=label or None,
    )
    if found.annotation is None:
        raise ResourceNotFoundError(
            f"{found.picture.external_url} has no annotation in this version to review"
        )
    datasets.set_status(
        db,
        caller,
        org.id,
        version_id=version_id,
        external_urls=[found.picture.external_url],
        status=decision,
    )
    filters = _query(status or None, label or None)
    base = f"/o/{org.name}/datasets/{version_id}"
    target = (
        f"{base}/pictures/{found.next_id}{filters}"
        if found.next_id is not None
        else f"{base}/pictures/{picture_id}{filters}"
    )
    return RedirectResponse(target, status_code=303)


@router.get("/o/{org}/datasets/{version_id}/pictures/{picture_id}/masks/{index}.png")
def mask_image(
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    version_id: uuid.UUID,
    picture_id: uuid.UUID,
    index: int,
) -> Response:
    """The ``index``-th object's mask as a PNG in its label's colour, transparent elsewhere."""
    version = datasets.get_version_header(db, caller, org.id, version_id=version_id)
    found = datasets.version_picture(
        db, caller, org.id, version_id=version_id, picture_id=picture_id
    )
    objects = found.annotation.objects if found.annotation else []
    if not 0 <= index < len(objects) or objects[index]["type"] != "mask":
        raise ResourceNotFoundError(f"no mask {index} in this picture's annotation")
    mask = Mask.from_coco(objects[index]["mask"])
    colour = label_colours(version.labels)[objects[index]["label"]].colour
    alpha = Image.frombytes("L", (mask.width, mask.height), mask.bitmap()).point(
        lambda v: 255 if v else 0
    )
    image = Image.new("RGBA", (mask.width, mask.height), colour)
    image.putalpha(alpha)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return Response(out.getvalue(), media_type="image/png", headers={"Cache-Control": "no-cache"})


@router.get("/o/{org}/datasets/{version_id}/statistics")
def statistics_page(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    version_id: uuid.UUID,
) -> Response:
    version = datasets.get_version_by_id(db, caller, org.id, version_id=version_id)
    stats = datasets.version_statistics(db, caller, org.id, version_id=version_id)
    top = max([1, *(s.objects for s in stats.labels), *(s.pictures for s in stats.labels)])
    return render(
        request,
        "version_statistics.html",
        version=version,
        export_formats=EXPORT_FORMATS,
        stats=stats,
        colours=label_colours(version.labels),
        top=top,
        size_classes=[name for name, _bound in datasets.SIZE_CLASSES],
        tallest=max(1, *stats.relative_sizes),
    )


@router.post("/o/{org}/datasets/{version_id}/exports")
def export(
    request: Request,
    db: DbDep,
    store: StoreDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    _csrf: CsrfDep,
    version_id: uuid.UUID,
    format: Annotated[Literal["coco", "voc", "yolo"], Form()],
    status: Annotated[Literal["pending", "accepted", "rejected", "review", ""], Form()] = "",
) -> Response:
    """Start the job that writes the version's zip; its page shows the progress and then a
    link to download it."""
    job_id = exports.start_export(
        db,
        store,
        request.app.state.jobs,
        caller,
        org.id,
        version_id=version_id,
        format=format,
        status=status or None,
    )
    return RedirectResponse(f"/o/{org.name}/jobs/{job_id}", status_code=303)
