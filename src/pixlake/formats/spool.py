"""Images whose objects wait in a temporary file instead of in memory.

A COCO file of 100k images holds about 700k objects: as ``Obj`` instances that is well over a
gigabyte, for data the SDK only reads once more, to write the import document.  A reader that
goes through its input as a stream adds each object here instead: the JSON of its compact
form (``pixlake.formats.compact``) is appended to an anonymous temporary file, and only its
place in that file is kept (a few bytes per object, in arrays).  The images themselves (name,
size, Q&A, extra) stay in memory.

``SpooledImages`` is a ``Sequence[AnnotatedImage]`` like the list a reader otherwise returns:
indexing it reads that image's objects back.  Writers that only need the compact JSON (the
import document) take it as it is stored, with :meth:`SpooledImages.objects_json`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import weakref
from array import array
from collections.abc import Iterator, Sequence
from typing import overload

from .compact import from_compact, to_compact
from .model import AnnotatedImage, Obj

__all__ = ["SpooledImages"]

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
#: Bytes buffered before they are written to the spool.
_WRITE_BUFFER = 1024 * 1024


class SpooledImages(Sequence[AnnotatedImage]):
    """The images of one input, their objects in a temporary file (see the module text).

    ``images`` are given without objects; :meth:`add` files each object under its image's
    index, in any order; :meth:`seal` ends the writing.  Reading keeps each image's objects in
    the order they were added.
    """

    def __init__(self, images: Sequence[AnnotatedImage]) -> None:
        self._images = list(images)
        self._file = tempfile.TemporaryFile(prefix="pixlake-objects-")
        # The file goes when the images do, or at close(): an anonymous file, never left behind.
        self._closer = weakref.finalize(self, self._file.close)
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._written = 0
        # per object, in the order added: its image, and where its JSON starts and ends
        self._owner = array("q")
        self._start = array("q")
        self._end = array("q")
        # after seal(): the objects grouped by image, and where each image's group starts
        self._order = array("q")
        self._first = array("q")
        self._sealed = False

    def extend(self, images: Sequence[AnnotatedImage]) -> int:
        """Add more images (without objects) before sealing; the index of the first."""
        if self._sealed:
            raise RuntimeError("images cannot be added once sealed")
        first = len(self._images)
        self._images.extend(images)
        return first

    def place(self, index: int, image: AnnotatedImage) -> None:
        """Replace what image ``index`` is given as, less its objects (which stay)."""
        self._images[index] = image

    def add(self, image_index: int, obj: Obj) -> None:
        if self._sealed:
            raise RuntimeError("objects cannot be added once the images are sealed")
        if not 0 <= image_index < len(self._images):
            raise IndexError(f"no image {image_index}: there are {len(self._images)}")
        data = _ENCODE(to_compact(obj)).encode()
        start = self._written + self._pending_bytes
        self._owner.append(image_index)
        self._start.append(start)
        self._end.append(start + len(data))
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= _WRITE_BUFFER:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._file.write(b"".join(self._pending))
            self._written += self._pending_bytes
            self._pending, self._pending_bytes = [], 0

    def seal(self) -> None:
        """End the writing: group the objects by image (a counting sort, stable)."""
        if self._sealed:
            return
        self._flush()
        self._file.flush()
        counts = array("q", bytes(8 * (len(self._images) + 1)))
        for owner in self._owner:
            counts[owner + 1] += 1
        for i in range(1, len(counts)):
            counts[i] += counts[i - 1]
        self._first = array("q", counts)
        order = array("q", bytes(8 * len(self._owner)))
        for index, owner in enumerate(self._owner):
            order[counts[owner]] = index
            counts[owner] += 1
        self._order = order
        self._owner = array("q")  # no longer needed
        self._sealed = True

    @property
    def nb_objects(self) -> int:
        return len(self._start)

    def objects_json(self, index: int) -> list[bytes]:
        """The JSON text (UTF-8) of the compact form of each object of image ``index``."""
        if not self._sealed:
            raise RuntimeError("seal() the images before reading their objects")
        objects = self._order[self._first[index] : self._first[index + 1]]
        if not objects:
            return []
        starts, ends = self._start, self._end
        fd = self._file.fileno()
        out: list[bytes] = []
        # One read per run of objects that lie one after the other in the file (usually all
        # of an image's: inputs mostly list an image's objects together).
        run_first = run_last = objects[0]
        for obj in (*objects[1:], -1):
            if obj == run_last + 1 and obj >= 0:
                run_last = obj
                continue
            base = starts[run_first]
            data = os.pread(fd, ends[run_last] - base, base)
            out.extend(
                data[starts[i] - base : ends[i] - base] for i in range(run_first, run_last + 1)
            )
            run_first = run_last = obj
        return out

    def without_objects(self, index: int) -> AnnotatedImage:
        """Image ``index`` as given to the constructor (no objects read)."""
        return self._images[index]

    def __len__(self) -> int:
        return len(self._images)

    @overload
    def __getitem__(self, index: int) -> AnnotatedImage: ...

    @overload
    def __getitem__(self, index: slice) -> list[AnnotatedImage]: ...

    def __getitem__(self, index: int | slice) -> AnnotatedImage | list[AnnotatedImage]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("image index out of range")
        decoded = json.loads(b"[" + b",".join(self.objects_json(index)) + b"]")
        objects = tuple(from_compact(d["type"], d["label"], d) for d in decoded)
        return dataclasses.replace(self._images[index], objects=objects)

    def __iter__(self) -> Iterator[AnnotatedImage]:
        return (self[i] for i in range(len(self)))

    def close(self) -> None:
        """Drop the temporary file now rather than when the images are garbage collected."""
        self._closer()
