"""``Datalake`` and ``Picture``: the datalake's assets, as the Picsellia SDK contract gives them."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from pixlake.errors import InvalidInputError, InvalidQueryError
from pixlake.sdk._base import Context, LakeResource, Resource
from pixlake.sdk._import import import_dataset
from pixlake.sdk._records import (
    SELECTION_BATCH,
    DatasetRecord,
    PictureRecord,
    check_tags,
    picture_ids,
)
from pixlake.sdk._upload import collect_paths, upload_files
from pixlake.sdk.dataset import Dataset

__all__ = ["Datalake", "Picture", "PictureRecord"]

Records = list[PictureRecord]
Ids = list[str]

PAGE = 1000

PathLike = str | os.PathLike[str]


class Picture(LakeResource):
    """The datalake's assets: upload, list, fetch by tag, tag, untag, delete.

    The last listed or fetched selection is kept in ``fetched_pictures`` and used by
    ``delete``, ``add_tags`` and ``remove_tags`` when no list is given.
    """

    def _reset(self) -> None:
        self.fetched_pictures: Records = []

    def __str__(self) -> str:
        if not self.fetched_pictures:
            return "No assets selected"
        return f"Number of Assets selected : {len(self.fetched_pictures)}"

    # ------------------------------------------------------------------ upload

    def upload(
        self,
        filepath: PathLike | Sequence[PathLike],
        tags: Sequence[str] | None = None,
        source: str = "sdk",
        *,
        workers: int = 4,
    ) -> Records:
        """Upload one image, a list of images, or a folder's images (not recursive).

        A file whose name is already in the datalake with the same bytes is not sent again
        (its tags are merged); with other bytes it is refused.  Valid files are stored even
        when others are refused; the refused ones are then listed in one
        ``InvalidInputError``.  Returns the records of the uploaded pictures.
        """
        tag_list = check_tags(tags) if tags is not None else []
        if not isinstance(source, str):
            raise TypeError(f"source must be a string, not {type(source).__name__}")
        paths, failures = collect_paths(filepath)
        report = upload_files(
            self._ctx.connection,
            self._ctx.org_path,
            paths,
            tags=tag_list,
            source=source,
            workers=workers,
            progress=self.interactive,
        )
        failures = [*failures, *report.failures]
        records: Records = report.pictures  # type: ignore[assignment]
        if len(paths) + len(failures) > 1 or failures:
            self._say(
                "%d Assets uploaded (%d new, %d already there)",
                len(records),
                len(report.created),
                len(report.existing),
            )
        if failures:
            raise InvalidInputError(
                f"{len(failures)} of {len(paths) + len(failures) - len(report.failures)} files "
                f"were not uploaded ({len(records)} were)",
                details=[{"file": f.file, "message": f.reason} for f in failures],
            )
        return records

    # ------------------------------------------------------------------ reading

    def iter(self, tags: Sequence[str] | None = None) -> Iterator[PictureRecord]:
        """Every picture of the datalake (optionally only those with any of ``tags``),
        page by page, in upload order."""
        params: dict[str, Any] = {"limit": PAGE}
        if tags:
            params["tag"] = check_tags(tags)
        while True:
            page = self._ctx.connection.get(f"{self._ctx.org_path}/pictures", params=params)
            yield from page["data"]
            if not page["next_cursor"]:
                return
            params["cursor"] = page["next_cursor"]

    def list(self) -> Records:
        """Every picture of the datalake; also kept as ``fetched_pictures``."""
        self.fetched_pictures = list(self.iter())
        return self.fetched_pictures

    def fetch(
        self, quantity: float = 1, tags: Sequence[str] | None = None, *, seed: int | None = None
    ) -> Records:
        """A uniform random fraction of the pictures carrying any of ``tags``.

        ``quantity`` in (0, 1] is the fraction (``round(quantity * matches)`` pictures, at
        least one when anything matches); 1 or more means all.  ``seed`` makes the choice
        reproducible.  The result is also kept as ``fetched_pictures``.
        """
        if tags is None:
            raise InvalidQueryError("fetch needs tags: the pictures with any of them are sampled")
        tag_list = check_tags(tags)
        if isinstance(quantity, bool) or not isinstance(quantity, int | float):
            raise TypeError(f"quantity must be a number, not {type(quantity).__name__}")
        if not quantity > 0:
            raise InvalidQueryError(
                f"quantity {quantity} is not a fraction: expected a number in (0, 1], 1 for all"
            )
        answer = self._ctx.connection.post(
            f"{self._ctx.org_path}/pictures/search",
            json={"tags": tag_list, "quantity": float(quantity), "seed": seed},
            idempotent=True,
        )
        self.fetched_pictures = answer["data"]
        if not self.fetched_pictures:
            self._say("No assets found for tags %s", ", ".join(tag_list))
        return self.fetched_pictures

    def status(self) -> int:
        """Print and return how many pictures are selected."""
        print(str(self))
        return len(self.fetched_pictures)

    # ------------------------------------------------------------------ changes

    def _selection(self, pictures: Sequence[PictureRecord | str] | None) -> Ids | None:
        chosen = self.fetched_pictures if pictures is None else pictures
        if isinstance(chosen, str | dict):
            raise TypeError("pictures must be a list of picture records or ids")
        if not chosen:
            self._say(
                "No assets selected: fetch pictures first (fetch, list) or pass pictures=[...]"
            )
            return None
        return picture_ids(chosen)

    def _post_selection(self, path: str, ids: Ids, tags: Ids | None = None) -> int:
        done = 0
        for start in range(0, len(ids), SELECTION_BATCH):
            body: dict[str, Any] = {"pictures": ids[start : start + SELECTION_BATCH]}
            if tags is not None:
                body["tags"] = tags
            done += self._ctx.connection.post(
                f"{self._ctx.org_path}/pictures/{path}", json=body, idempotent=True
            )["count"]
        return done

    def delete(self, pictures: Sequence[PictureRecord | str] | None = None) -> None:
        """Delete pictures from the datalake (and from every dataset that holds them);
        ``None`` means the last fetched selection."""
        ids = self._selection(pictures)
        if ids is None:
            return
        count = self._post_selection("delete", ids)
        if pictures is None:
            self.fetched_pictures = []
        self._say("%d assets deleted from Lake", count)

    def add_tags(
        self,
        pictures: Sequence[PictureRecord | str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> None:
        """Add tags to pictures (idempotent); ``None`` means the last fetched selection."""
        self._retag("tag", pictures, tags, "added to")

    def remove_tags(
        self,
        pictures: Sequence[PictureRecord | str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> None:
        """Remove tags from pictures; ``None`` means the last fetched selection."""
        self._retag("untag", pictures, tags, "deleted from")

    def _retag(
        self,
        path: str,
        pictures: Sequence[PictureRecord | str] | None,
        tags: Sequence[str] | None,
        verb: str,
    ) -> None:
        if not tags:
            self._say("No tags given: pass tags=[...]")
            return
        tag_list = check_tags(tags)
        ids = self._selection(pictures)
        if ids is None:
            return
        count = self._post_selection(path, ids, tag_list)
        self._say("%d tags %s %d assets", len(tag_list), verb, count)


class Datalake(Resource):
    """Entry point for the datalake's assets (``picture``) and datasets (``dataset``)."""

    def __init__(
        self,
        api_token: str | None = None,
        organization: str | None = None,
        host: str | None = None,
        ping: bool = False,
        *,
        interactive: bool = True,
        transport: httpx.BaseTransport | None = None,
        _context: Context | None = None,
    ) -> None:
        super().__init__(
            api_token,
            organization,
            host,
            interactive=interactive,
            transport=transport,
            _context=_context,
        )
        self.fetched_pictures: Records = []
        self.picture = Picture(_context=self._ctx)
        self.dataset = Dataset(_context=self._ctx)

    def upload(
        self,
        name: str | None = None,
        version: str | None = None,
        imgdir: PathLike | None = None,
        ann_path: PathLike | None = None,
        ann_format: str | None = None,
        tags: Sequence[str] | None = None,
        nb_jobs: int = 5,
        rectangle: bool = False,
        *,
        split_tags: bool = True,
    ) -> DatasetRecord:
        """Import a dataset in one call: the images of ``imgdir`` plus their annotations
        (``ann_format`` "COCO", "PASCAL-VOC", "YOLO" or "PICSELLIA" at ``ann_path``), or,
        without ``imgdir``, annotations only onto version ``version`` of dataset ``name``.

        The images are the image files directly in ``imgdir``, and those the annotations
        place in its subfolders (a COCO ``file_name`` of ``train/a.jpg``, a YOLO dataset's
        ``images/train/a.jpg`` when ``imgdir`` is the dataset's folder), each named by its
        base name.  The whole annotation input is validated before anything is sent; images
        are tagged with ``tags`` (default: today's date) and, unless ``split_tags=False``,
        with their split (``train``, ``val``...), which the version keeps as well; the
        version, its labels and annotations are written in one transaction.  Returns the new
        version's record.
        """
        tag_list = check_tags(tags) if tags is not None else None
        if isinstance(nb_jobs, bool) or not isinstance(nb_jobs, int):
            raise TypeError(f"nb_jobs must be an int, not {type(nb_jobs).__name__}")
        record = import_dataset(
            self._ctx,
            name=name,
            version=version,
            imgdir=imgdir,
            ann_path=ann_path,
            ann_format=ann_format,
            tags=tag_list,
            nb_jobs=nb_jobs,
            rectangle=rectangle,
            progress=self.interactive,
            say=self._say,
            split_tags=split_tags,
        )
        self.dataset.fetched_dataset = record
        self.dataset.dataset_id = str(record["dataset_id"])
        return record


# The contract's nested names: ``Client.Datalake.Picture`` is ``Picture``, and so on.
Datalake.Picture = Picture  # type: ignore[attr-defined]
Datalake.Dataset = Dataset  # type: ignore[attr-defined]
