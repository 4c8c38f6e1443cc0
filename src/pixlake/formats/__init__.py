"""Annotation formats: COCO, PASCAL-VOC, YOLO and PICSELLIA, over one neutral model.

Pure functions and classes over files and plain data (no database, no HTTP), used by the
dataset import and export services.

The model
=========

Coordinates are absolute pixels, origin at the top-left corner of the image.

- :class:`Annotations` is what a reader returns: ``labels`` (:class:`LabelSpec` ``(name,
  kind)``, in the input's order), ``images`` (:class:`AnnotatedImage`) and ``info``, the
  format-level metadata an export may reproduce, under the format's name.
- :class:`AnnotatedImage`: ``file_name`` (a base name, the picture's external URL),
  ``width``/``height`` (0 = unknown), ``objects``, image-level ``qa``, ``status`` and
  ``extra`` (lossless leftovers).
- :class:`Obj`: ``label``, ``kind`` and its geometry.  ``classification`` has none;
  ``rectangle`` has a :class:`Box` ``(x, y, w, h)``; ``polygon`` has ``polygons``, one or more
  rings of at least 3 ``(x, y)`` points (all of a COCO object's parts) and may keep its box;
  ``mask`` has a :class:`Mask` (a COCO RLE, kept as given: compressed string or run lengths)
  and may keep its box.  Also ``iscrowd``, ``area``, ``score``, per-object ``qa`` and
  ``extra``.  A ``mask`` object belongs to a ``polygon`` label.
- Values are frozen dataclasses and validate themselves (``ValueError`` for an impossible
  value: a negative box, a 2-point ring, an RLE that does not cover the image, an unsafe
  file name).  Readers report bad input as :class:`~pixlake.errors.InvalidInputError`
  before building any of them.

Label kinds
-----------
A label's kind is the richest geometry among its objects: ``polygon`` if any object is a
polygon or a mask, else ``rectangle`` if any is a rectangle, else ``classification``.  A label
without objects takes the kind of the input's first object (the SDK contract's rule for COCO:
the first annotation decides), or the format's default when there is no object at all (COCO
and PICSELLIA: ``classification``; PASCAL-VOC and YOLO: ``rectangle``).  With
``rectangle=True``, readers turn polygons and masks into rectangles (their box, else their
extent) first, so their labels become ``rectangle``.

The wire shape
==============

The SDK contract's objects (``Dataset.add_annotation(data=...)``, ``get_annotations``,
PICSELLIA files), produced by :func:`to_wire` and read by :func:`from_wire`::

    {"type": "classification", "label": "cat", "qa": []}
    {"type": "rectangle", "label": "car", "qa": [],
     "rectangle": {"top": y, "left": x, "width": w, "height": h}}
    {"type": "polygon", "label": "car", "qa": [],
     "polygon": {"geometry": [{"x": x1, "y": y1}, {"x": x2, "y": y2}, ...]}}

pixlake's additions, which upstream readers ignore:

- ``polygon.parts``: the further rings of a multi-part polygon, each a list of ``{x, y}``
  (``geometry`` stays the first ring, so upstream consumers see a valid polygon);
- ``rectangle`` on a ``polygon`` or ``mask`` object: its box, when it has one (COCO ``bbox``);
  ``rectangle: []``, which the upstream PASCAL-VOC import sends, means none;
- the **mask** shape, for COCO RLE masks::

      {"type": "mask", "label": "person", "qa": [],
       "mask": {"size": [height, width], "counts": "<compressed RLE>" | [run, run, ...]}}

  ``size`` is ``[height, width]`` in that order, and must be the image's; ``counts`` is COCO's
  compressed string (as ``pycocotools.mask.encode`` gives it, decoded to text) or the
  uncompressed run lengths, column-major, starting with background, summing to
  ``height * width``;
- ``iscrowd`` (``true`` only when set), ``area``, ``score`` and ``extra`` (an object).

Q&A, per object (``qa``) or per image (``image_qa``), is a list of
``{"question": str, "answer": str}``.  Unknown keys of a wire object are kept in ``extra``.

Formats
=======

All readers share one signature (:class:`Reader`)::

    read_x(path, *, rectangle=False, images=None, image_size=None, limits=DEFAULT_LIMITS)

and validate the whole input before returning: every problem (up to
``limits.max_problems``, then ``"... and N more problems"``) is a detail of one
``InvalidInputError``, a dict ``{"file", "line", "field", "message"}``: ``file`` relative to
the input (or the input file's name), ``line`` for text and syntax errors (plus ``column``),
``field`` a JSON path (``annotations[12].bbox``), an XML path (``object[0].bndbox.xmin``) or
a YOLO column (``cx``, ``x3``), and ``message`` what was expected.  A file above its size limit
raises ``PayloadTooLargeError`` (413) instead.  Boxes and points may lie up to
``limits.tolerance`` (1) pixel outside their image.  A picture's file name follows the one
rule of ``pixlake.names.file_name_problem`` (the datalake's too); COCO and VOC file names
with folders keep their base name, and ``..`` or an absolute path is refused.

Splits
------
An image's ``split`` (``train``, ``val``...) is the part of its dataset it is in, as the
format's layout says it: COCO's ``instances_<split>.json``, PASCAL-VOC's
``ImageSets/Main/<split>.txt``, YOLO's ``data.yaml`` keys and ``images/<split>/`` folders,
Darknet's ``obj.data`` lists.  ``default``, the name the field's tools give the images of no
split, is read as none; an export whose images have splits puts those without one in
``default``.  The layouts and the tools they were checked with are in ``docs/formats.md``.

COCO (``read_coco``, ``CocoExporter``)
--------------------------------------
- Input: one file (``instances_<split>.json`` gives its images that split), or a folder of
  ``annotations/instances_<split>.json`` files read into one result.
- ``annotations`` and ``categories`` may be absent (an empty dataset); ``images`` may not.
- Categories become labels by category id.  Ids and names must be unique; image ids (ints or
  strings) and file names too.  Annotations must name existing images and categories.
- An annotation is a ``mask`` if its ``segmentation`` is an RLE object (compressed or
  uncompressed counts, kept as given), else a ``polygon`` if it has polygons (every ring
  kept, each an even list of >= 6 numbers), else a ``rectangle`` if it has a ``bbox``, else a
  ``classification``.  ``bbox`` is kept on polygons and masks.  ``iscrowd`` (0/1), ``area``
  and ``score`` are kept, other keys go to ``extra``; ``qa`` lists are read as Q&A.
- Image ``id``, ``license``, ``date_captured``, ``coco_url``... go to the image's ``extra``.
- ``info["coco"]`` keeps ``info``, ``licenses``, every other top-level key and the original
  ``categories`` records (``id``, ``supercategory``, ``keypoints``...).
- The exporter writes ``annotations/instances_<split>.json`` per split
  (``instances_default.json`` without one; ``info``, ``licenses``, ``images``,
  ``annotations``, ``categories``); images go to ``images/<file_name>``, or
  ``images/<split>/<file_name>`` when the export has splits.  Category ids and records are
  the originals from ``info["coco"]`` matched by name, else 1..N in label order.  In each
  file, image ids are 1..N and annotation ids 1..M in write order.  ``bbox`` is always
  written (the object's box, else the extent of its polygons or mask), ``area`` is kept, else
  computed (box area, shoelace area of the rings, mask pixel count), ``segmentation`` is the
  rings, the RLE, or ``[]`` for a rectangle.  Classification objects are written with only
  ``id``, ``image_id``, ``category_id`` and ``iscrowd``.

PASCAL-VOC (``read_voc``, ``VocExporter``)
------------------------------------------
- Input: a folder of ``.xml`` files, a VOC root with ``Annotations/`` (its
  ``ImageSets/Main/<split>.txt`` give splits, its ``labelmap.txt`` the classes), or one file.
  ``defusedxml`` parses them and any DTD, entity or external reference is refused.
- ``<filename>`` is required; ``<size>``, when missing or 0, is read from the image.  Object
  names are stripped, their case kept.  Boxes follow the VOC devkit's convention: ``xmin``
  and ``ymin`` are the 1-based first pixel, ``xmax`` and ``ymax`` the far edge, so the box
  is ``(xmin - 1, ymin - 1)`` to ``(xmax, ymax)``, computed without float noise.
- ``<polygon><x1/><y1/><x2/>...`` elements (several allowed, 1-based points) make a
  ``polygon`` object that keeps its ``<bndbox>``.  ``difficult``, ``truncated``,
  ``occluded`` (as ints), ``pose`` and any other object child go to the object's ``extra``;
  ``<score>`` to ``score``.  Image-level children (``folder``, ``source``, ``path``,
  ``size/depth`` as ``depth``...) go to the image's ``extra``; nested elements become dicts,
  repeated ones lists.
- The exporter writes ``Annotations/<stem>.xml``, ``ImageSets/Main/<split>.txt`` and
  ``labelmap.txt``; images go to ``JPEGImages/<file_name>``.  Boxes are cut to the image and
  widened to a pixel when narrower; masks are written as their box; classification objects
  are not written; ``<segmented>`` is 0.

YOLO (``read_yolo``, ``YoloExporter``)
--------------------------------------
- Input: a dataset folder in any layout Ultralytics, Datumaro, Roboflow or Darknet write
  (``data.yaml`` with its split keys, ``obj.data``, or ``images/`` beside ``labels/`` with
  ``classes.txt``; the layouts are in ``docs/formats.md``), or its ``data.yaml`` or
  ``obj.data``.  ``names`` is a list or an index mapping (PyYAML's safe loader; ``nc`` is
  checked).  Paths that lead out of the dataset's folder are refused.
- Rows: ``class cx cy w h`` (box), ``class cx cy w h score``, or ``class x1 y1 x2 y2 x3 y3
  ...`` (polygon, >= 3 points).  Values are normalized to [0, 1]; image sizes come from
  ``image_size`` or the image headers.  Every image the layout lists is read, with no
  objects when it has no label file (a background image); a label file that matches no
  image, and a split none of whose images has one, are errors.
- The exporter writes ``labels/<stem>.txt`` (``labels/<split>/`` with splits),
  ``classes.txt`` and ``data.yaml`` (``train``, ``val``, ``test``, ``nc``, ``names``; no
  ``path`` unless given); class indices follow the label order.  Crowd regions are left
  out.  ``mode="detect"`` writes every object as its box; ``mode="segment"`` writes polygons
  as polygon rows (the rings of one object joined into one outline) and boxes and masks as
  4-corner polygons.  Coordinates are clipped to the image; classification objects and
  scores are not written.

PICSELLIA (``read_picsellia``, ``PicselliaExporter``)
-----------------------------------------------------
- ``{"annotations": [{external_picture_url, nb_labels, time_spent, annotations: [...]}]}``
  with objects in the wire shape.  ``nb_labels`` becomes ``extra["nb_instances"]`` and
  ``time_spent`` ``extra["duration"]`` (records carrying ``nb_instances``/``duration`` are
  read as well); ``status`` and ``image_qa`` are read; other keys go to ``extra``.
- Sizes: ``width``/``height`` when present, else from ``image_size``/``images``, else 0.
- Labels: from the top-level ``labels`` list (``[{name, type}]``, a pixlake addition) when
  present, else from the objects by the label-kind rule above, in order of appearance.
- The exporter writes ``annotations.json`` with ``labels`` and full records (``width``,
  ``height``, ``status``, ``image_qa`` included).

The layers
==========

Bottom up, each module importing only those before it: ``model`` (the values and their
rules), ``wire`` (the SDK contract's shape) and ``compact`` (pixlake's stored form),
``spool`` (images whose objects wait on disk), ``protocols`` (:class:`Reader`,
:class:`Exporter`, :class:`FormatDescriptor`), ``sinks``, the formats (``coco``, ``voc``,
``yolo``, ``picsellia``, each declaring its ``FORMAT`` descriptor), then ``registry``.  The
private modules (``_io``, ``_rle``, ``_yaml``, ``_yolo_layout``) serve the package alone.

The registry
============

:func:`get_format` gives a format's :class:`FormatDescriptor` by name or alias
(case-insensitive): its reader and exporter, whether a version exports to it
(:func:`export_formats`), what its reader takes and counts, and its export options.  A
package adds a format through the ``pixlake.formats`` entry-point group (see
``docs/formats.md``).

Exporting
=========

An exporter is a context manager over a :class:`Sink` (:class:`FolderSink` or
:class:`ZipSink`), which refuses paths that would escape it and writes each path once.
Exporters write annotation files only, streaming (memory stays flat); the caller writes the
images where ``image_path`` says::

    with ZipSink("export.zip") as sink:
        with get_exporter("COCO")(sink, annotations.labels, info=annotations.info) as export:
            for image in images:
                with sink.open(export.image_path(image.file_name)) as out:
                    out.write(image_bytes(image.file_name))
                export.write(image)
"""

from __future__ import annotations

from ._io import read_image_size
from .coco import CocoExporter, parse_coco, read_coco
from .compact import CompactObject, from_compact, parse_compact, plain_object, to_compact
from .model import (
    DEFAULT_LIMITS,
    QA,
    AnnotatedImage,
    Annotations,
    Box,
    LabelKind,
    LabelSpec,
    Limits,
    Mask,
    Obj,
    ObjectKind,
    Point,
    Ring,
)
from .picsellia import PicselliaExporter, image_to_record, parse_picsellia, read_picsellia
from .protocols import Exporter, FormatDescriptor, Reader, ReadProgress, SizeLookup, StrPath
from .registry import (
    export_formats,
    format_name,
    formats,
    get_exporter,
    get_format,
    get_reader,
    read_formats,
)
from .sinks import FolderSink, Sink, TarSink, ZipSink
from .spool import SpooledImages
from .voc import VocExporter, read_voc
from .wire import from_wire, parse_qa, parse_wire_object, qa_to_wire, to_wire
from .yolo import YoloExporter, YoloMode, read_yolo

__all__ = [
    "DEFAULT_LIMITS",
    "QA",
    "AnnotatedImage",
    "Annotations",
    "Box",
    "CocoExporter",
    "CompactObject",
    "Exporter",
    "FolderSink",
    "FormatDescriptor",
    "LabelKind",
    "LabelSpec",
    "Limits",
    "Mask",
    "Obj",
    "ObjectKind",
    "PicselliaExporter",
    "Point",
    "ReadProgress",
    "Reader",
    "Ring",
    "Sink",
    "SizeLookup",
    "SpooledImages",
    "StrPath",
    "TarSink",
    "VocExporter",
    "YoloExporter",
    "YoloMode",
    "ZipSink",
    "export_formats",
    "format_name",
    "formats",
    "from_compact",
    "from_wire",
    "get_exporter",
    "get_format",
    "get_reader",
    "image_to_record",
    "parse_coco",
    "parse_compact",
    "parse_picsellia",
    "parse_qa",
    "parse_wire_object",
    "plain_object",
    "qa_to_wire",
    "read_coco",
    "read_formats",
    "read_image_size",
    "read_picsellia",
    "read_voc",
    "read_yolo",
    "to_compact",
    "to_wire",
]
