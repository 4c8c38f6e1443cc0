"""Where a YOLO dataset keeps its images, labels and class names: the layouts tools write.

- **Ultralytics** (what Ultralytics, Datumaro's ``yolo_ultralytics`` and Roboflow write):
  a ``data.yaml`` whose ``train``, ``val`` and ``test`` name folders of images, lists of
  folders, or ``.txt`` files listing images, relative to its ``path`` (or to its own folder);
  each image's label file is its path with the last ``images`` folder replaced by ``labels``
  and the suffix by ``.txt`` (``images/train/a.jpg`` gives ``labels/train/a.txt``), or the
  file beside it when its path has no ``images`` folder.  Each key is a split.
- **Darknet** (Datumaro's ``yolo``, CVAT's "YOLO 1.1"): ``obj.data`` (``classes``,
  ``names``, ``train``, ``valid``...), the class names in ``obj.names``, and per split a list
  of images (``train.txt``) whose label files lie beside them.
- **Flat**: ``images/`` and ``labels/`` side by side, class names in ``data.yaml`` (``names``
  only), ``classes.txt`` or ``obj.names``; with ``images/<split>/`` and ``labels/<split>/``
  folders, each is a split.
- **Classification** (Ultralytics' ``classify`` datasets, ImageNet's folders):
  ``<split>/<class>/<image>`` (splits ``train``, ``val``, ``valid``, ``test``) or
  ``<class>/<image>``; no label files, the folder is the class.

``discover`` finds the layout and lists every image with where its label file must be; it
refuses paths that lead out of the dataset's folder.  Reading the label files is the
reader's (``pixlake.formats.yolo``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pixlake.imaging import IMAGE_SUFFIXES
from pixlake.names import label_problem, split_of, split_problem
from pixlake.problems import Problems, describe

from ._io import read_bounded
from ._yaml import SPLIT_KEYS, YamlDocument, parse_data_yaml
from .model import Limits

__all__ = ["IMAGE_SUFFIXES", "CLASS_FILES", "YoloImage", "YoloLayout", "discover"]

#: Files of class names, in the order they are looked for.
CLASS_FILES: Final = ("classes.txt", "obj.names")
_DARKNET_KEYS: Final = frozenset({"classes", "names", "backup", "eval"})
_DATA_YAML: Final = ("data.yaml", "data.yml")
_DARKNET_DATA: Final = "obj.data"
_SEP: Final = os.sep
_IMAGES_PART: Final = f"{_SEP}images{_SEP}"
_LABELS_PART: Final = f"{_SEP}labels{_SEP}"
_LINE: Final = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class YoloImage:
    """One image of the dataset: its file, the label file it must have (none in the
    classification layout, whose ``cls`` is the class its folder names), its split."""

    path: str
    label: str
    split: str | None
    cls: str | None = None


@dataclass(slots=True)
class YoloLayout:
    """A discovered dataset: ``kind`` (``ultralytics``, ``darknet`` or ``flat``), class
    ``names``, ``images`` in a stable order, and ``label_folders``, where every ``.txt``
    file must be some image's label file (but ``config``, the files that are not)."""

    root: Path
    kind: str
    names: list[str]
    images: list[YoloImage] = field(default_factory=list)
    label_folders: set[str] = field(default_factory=set)
    config: set[str] = field(default_factory=set)
    #: Where the labels of each split were looked for, for the error when none is found.
    expected: dict[str | None, str] = field(default_factory=dict)

    def display(self, path: str) -> str:
        """``path`` as problems name it: relative to the dataset's folder."""
        return _relative(path, str(self.root)) or os.path.basename(path)


def label_path(image: str) -> str:
    """Ultralytics' rule: the last ``images`` folder of the path becomes ``labels``, the
    suffix ``.txt``; a path without an ``images`` folder has its label file beside it."""
    head, sep, tail = image.rpartition(_IMAGES_PART)
    path = head + _LABELS_PART + tail if sep else image
    return os.path.splitext(path)[0] + ".txt"


def discover(
    path: Path, images: Path | None, problems: Problems, limits: Limits
) -> YoloLayout | None:
    """The layout of the YOLO dataset at ``path`` (a folder, its ``data.yaml`` or its
    ``obj.data``); ``None`` after recording problems.  ``images`` is where the images of a
    flat layout are when ``<path>/images`` is not there (labels kept apart)."""
    if path.is_file():
        root = path.parent
        if path.suffix.lower() in (".yaml", ".yml"):
            return _ultralytics(root, path, images, problems, limits)
        if path.suffix.lower() == ".data":
            return _darknet(root, path, problems, limits)
        problems.add(
            "expected a YOLO folder, its data.yaml or its obj.data", file=path.name, field=None
        )
        return None
    root = path
    for name in _DATA_YAML:
        if (root / name).is_file():
            return _ultralytics(root, root / name, images, problems, limits)
    if (root / _DARKNET_DATA).is_file():
        return _darknet(root, root / _DARKNET_DATA, problems, limits)
    classify = _classify(root, problems)
    if classify is not None:
        return classify
    return _flat(root, images, None, problems, limits)


# --------------------------------------------------------------------------------------
# Ultralytics' classification layout: <split>/<class>/<image>, or <class>/<image>


#: The folders Ultralytics' classification datasets keep their splits in.
_CLASSIFY_SPLITS: Final = ("train", "val", "valid", "test")


def _classify(root: Path, problems: Problems) -> YoloLayout | None:
    """The classification layout, when ``root`` holds nothing else: no ``images/`` or
    ``labels/``, no class-name file, only folders (``train/``, ``val/``, ``test/``, each of
    class folders; or class folders themselves) of images."""
    if (root / "images").exists() or (root / "labels").exists():
        return None
    if any((root / name).exists() for name in CLASS_FILES):
        return None
    folders = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if not folders:
        return None
    splits = [name for name in folders if name in _CLASSIFY_SPLITS]
    parts = [(split, root / split) for split in splits] if splits else [(None, root)]
    found: list[tuple[str | None, str, list[str]]] = []
    for split, folder in parts:
        classes = sorted(e.name for e in os.scandir(folder) if e.is_dir())
        for cls in classes:
            images = _image_files(str(folder / cls))
            if images:
                found.append((split, cls, images))
    if not found or (not splits and any(_image_files(str(root)))):
        return None
    names = sorted({cls for _split, cls, _images in found})
    layout = YoloLayout(root=root, kind="classify", names=names)
    for split, cls, images in found:
        checked = None if split is None else _checked_split(split, layout, problems)
        layout.images.extend(YoloImage(image, "", checked, cls) for image in images)
    return layout


# --------------------------------------------------------------------------------------
# Ultralytics: data.yaml


def _ultralytics(
    root: Path, yaml_file: Path, images: Path | None, problems: Problems, limits: Limits
) -> YoloLayout | None:
    display = _relative(str(yaml_file), str(root)) or yaml_file.name
    text = read_text(yaml_file, display, problems, limits)
    if text is None:
        return None
    problems.file = display
    document = parse_data_yaml(text, problems)
    problems.file = None
    if document is None:
        return None
    keys = [key for key in SPLIT_KEYS if document.get(key) not in (None, "", [])]
    if not keys:  # names only: the images and labels are side by side
        return _flat(root, images, document.names, problems, limits, config={str(yaml_file)})
    base = _base(root, document, display, problems)
    if base is None:
        return None
    values = [document.get(key) for key in keys]
    first = values[0]
    if (
        isinstance(first, str)
        and all(value == first for value in values)
        and _resolve(first, base) == os.path.normpath(root / "images")
    ):
        # train: images, val: images: the flat layout, whose images may be kept apart
        return _flat(root, images, document.names, problems, limits, config={str(yaml_file)})
    layout = YoloLayout(root=root, kind="ultralytics", names=document.names)
    layout.config.add(str(yaml_file))
    listed: dict[str, list[tuple[str, list[str]]]] = {}
    for key in keys:
        value = document.get(key)
        entries = value if isinstance(value, list) else [value]
        parts: list[tuple[str, list[str]]] = []
        for index, entry in enumerate(entries):
            where = key if not isinstance(value, list) else f"{key}[{index}]"
            if not isinstance(entry, str) or not entry.strip():
                problems.add(
                    f"expected a folder, a .txt file of image paths or a list of them, got "
                    f"{describe(entry)}",
                    file=display,
                    line=document.line(key),
                    field=where,
                )
                continue
            entry = entry.strip()
            found = _images_of(
                entry,
                base,
                root,
                layout,
                problems,
                limits,
                display=display,
                line=document.line(key),
                field=where,
            )
            # the folders a list names keep their own names as splits (pixlake's exports
            # list the splits that are not train, val or test so)
            own = Path(entry).stem if entry.endswith(".txt") else Path(entry).name
            split = own if isinstance(value, list) and split_problem(own) is None else key
            parts.append((split, found))
        listed[key] = parts
    _assign(layout, listed, problems)
    return layout


def _base(root: Path, document: YamlDocument, display: str, problems: Problems) -> str | None:
    """The folder the split entries are relative to: ``path`` when it is in the dataset
    (an absolute path that does not exist here, written on another machine, gives way to the
    file's own folder), else the folder of ``data.yaml``."""
    value = document.get("path")
    if value in (None, ""):
        return str(root)
    if not isinstance(value, str):
        problems.add(
            f"expected a folder, got {describe(value)}",
            file=display,
            line=document.line("path"),
            field="path",
        )
        return None
    given = Path(value)
    if given.is_absolute():
        if not given.exists():
            return str(root)
        base = given
    else:
        base = root / given
    resolved = _inside(base, root)
    if resolved is None:
        problems.add(
            f"expected a folder inside the dataset's folder {root.name}/, got {describe(value)}",
            file=display,
            line=document.line("path"),
            field="path",
        )
        return None
    return resolved


def _images_of(
    entry: str,
    base: str,
    root: Path,
    layout: YoloLayout,
    problems: Problems,
    limits: Limits,
    *,
    display: str,
    line: int | None,
    field: str,
) -> list[str]:
    """The image files an entry of a split key names: a folder's (recursively) or a list's."""
    target = _resolve(entry, base)
    if target is None or not os.path.exists(target):
        if entry.startswith("../"):  # Ultralytics' fallback, which Roboflow's files rely on
            target = _resolve(entry[3:], base)
    if target is None or not os.path.exists(target):
        problems.add(
            f"expected a folder or a .txt file of image paths at {describe(entry)}, relative "
            "to the dataset's folder (or to its 'path')",
            file=display,
            line=line,
            field=field,
        )
        return []
    inside = _inside(Path(target), root)
    if inside is None:
        problems.add(
            f"expected a path inside the dataset's folder {root.name}/, got {describe(entry)}",
            file=display,
            line=line,
            field=field,
        )
        return []
    if os.path.isdir(inside):
        return _listed_folder(inside)
    layout.config.add(inside)
    return _listed_file(Path(inside), base, root, problems, limits)


def _listed_file(
    listing: Path, base: str, root: Path, problems: Problems, limits: Limits
) -> list[str]:
    """The images a ``.txt`` list names, a path a line: ``./x`` and plain relative paths
    from the list's folder (else from ``base``), absolute ones as they are; every one must
    be an image inside the dataset's folder."""
    display = _relative(str(listing), str(root)) or listing.name
    text = read_text(listing, display, problems, limits)
    if text is None:
        return []
    out: list[str] = []
    folder = str(listing.parent)
    for number, raw in enumerate(text.splitlines(), start=1):
        entry = raw.strip()
        if not entry:
            continue
        relative = entry[2:] if entry.startswith("./") else entry
        candidates = [_resolve(relative, folder), _resolve(relative, base)]
        if relative.startswith("data/"):  # Darknet's lists name files from its own folder
            candidates.append(_resolve(relative[5:], folder))
        target = next((c for c in candidates if c is not None and os.path.isfile(c)), None)
        if target is None:
            problems.add(f"expected an image file at {describe(entry)}", file=display, line=number)
            continue
        inside = _inside(Path(target), root)
        if inside is None:
            problems.add(
                f"expected an image inside the dataset's folder {root.name}/, got "
                f"{describe(entry)}",
                file=display,
                line=number,
            )
            continue
        if os.path.splitext(inside)[1].lower() not in IMAGE_SUFFIXES:
            problems.add(
                f"expected an image ({', '.join(sorted(IMAGE_SUFFIXES))}), got {describe(entry)}",
                file=display,
                line=number,
            )
            continue
        out.append(inside)
    return out


def _assign(
    layout: YoloLayout, listed: dict[str, list[tuple[str, list[str]]]], problems: Problems
) -> None:
    """The images of each split key (``key: [(split, images), ...]``), each once, in key
    order: an image listed under several keys takes the first.  When every key lists the
    same images, they are the split a list names them by (``train: [images/holdout]``),
    else the split of a key their folder is named after (``train: images/train`` and
    ``val: images/train``), else none (``train: images`` and ``val: images``)."""
    sets = [{path for _split, paths in parts for path in paths} for parts in listed.values()]
    chosen: list[tuple[str | None, list[str]]]
    if all(s == sets[0] for s in sets[1:]):
        first, parts = next(iter(listed.items()))
        chosen = list(parts)
        if all(name == first for name, _paths in parts):
            named = next(
                (k for k, ps in listed.items() if ps and _in_folder(layout, ps[0][1], k)), None
            )
            chosen = [(named, paths) for _name, paths in parts]
    else:
        chosen = [part for parts in listed.values() for part in parts]
    taken: set[str] = set()
    for name, paths in chosen:
        split = None if name is None else _checked_split(name, layout, problems)
        for image in paths:
            if image in taken:
                continue
            taken.add(image)
            label = label_path(image)
            layout.images.append(YoloImage(image, label, split))
            layout.label_folders.add(os.path.dirname(label))
            layout.expected.setdefault(split, layout.display(os.path.dirname(label)) + "/")


def _in_folder(layout: YoloLayout, paths: list[str], key: str) -> bool:
    """Whether the images are in a folder named ``key`` (``images/train/a.jpg``)."""
    if not paths:
        return False
    relative = _relative(paths[0], str(layout.root)) or ""
    return key in relative.split("/")[:-1]


def _checked_split(split: str, layout: YoloLayout, problems: Problems) -> str | None:
    problem = split_problem(split)
    if problem is not None:
        problems.add(problem, file=layout.root.name, field="split")
        return None
    return split_of(split)


# --------------------------------------------------------------------------------------
# Darknet: obj.data


def _darknet(root: Path, data_file: Path, problems: Problems, limits: Limits) -> YoloLayout | None:
    display = _relative(str(data_file), str(root)) or data_file.name
    text = read_text(data_file, display, problems, limits)
    if text is None:
        return None
    entries: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.match(raw)
        if match is None:
            problems.add("expected 'key = value'", file=display, line=number)
            continue
        entries[match.group(1)] = (match.group(2), number)
    names_entry = entries.get("names")
    names_file = (
        _darknet_path(names_entry[0], root) if names_entry is not None else None
    ) or _first_file(root, ("obj.names", "classes.txt"))
    if names_file is None:
        problems.add(
            "expected 'names = <file of class names>' (such as obj.names)",
            file=display,
            line=names_entry[1] if names_entry else None,
            field="names",
        )
        return None
    names = read_class_names(Path(names_file), root, problems, limits)
    if names is None:
        return None
    if "classes" in entries:
        count, number = entries["classes"]
        if not count.isdigit() or int(count) != len(names):
            problems.add(
                f"expected classes to be the number of names ({len(names)}), got {describe(count)}",
                file=display,
                line=number,
                field="classes",
            )
    layout = YoloLayout(root=root, kind="darknet", names=names)
    layout.config.update({str(data_file), names_file})
    listed: dict[str, list[tuple[str, list[str]]]] = {}
    for key, (value, number) in entries.items():
        if key in _DARKNET_KEYS:
            continue
        target = _darknet_path(value, root)
        if target is None:
            problems.add(
                f"expected a list of images inside the dataset's folder at {describe(value)}",
                file=display,
                line=number,
                field=key,
            )
            continue
        layout.config.add(target)
        if os.path.isdir(target):
            found = _listed_folder(target)
        else:
            found = _listed_file(Path(target), str(root), root, problems, limits)
        listed[key] = [(key, found)]
    if not listed:
        problems.add("expected 'train = <list of images>'", file=display, field="train")
        return None
    _assign(layout, listed, problems)
    return layout


def _darknet_path(value: str, root: Path) -> str | None:
    """A path of ``obj.data``, from the dataset's folder; Darknet names them from its own
    (``data/obj.names``), which the ``data/`` prefix stands for."""
    for candidate in (value, value[5:] if value.startswith("data/") else None):
        if candidate:
            target = _resolve(candidate, str(root))
            if target is not None and os.path.exists(target):
                return _inside(Path(target), root)
    return None


# --------------------------------------------------------------------------------------
# Flat: images/ and labels/ side by side


def _flat(
    root: Path,
    images: Path | None,
    names: list[str] | None,
    problems: Problems,
    limits: Limits,
    *,
    config: Iterable[str] = (),
) -> YoloLayout | None:
    labels_dir = root / "labels" if (root / "labels").is_dir() else root
    layout = YoloLayout(root=root, kind="flat", names=[])
    layout.config.update(config)
    if names is None:
        found = _first_file(root, CLASS_FILES) or _first_file(labels_dir, CLASS_FILES)
        if found is None:
            problems.add(
                "expected class names in data.yaml, classes.txt or obj.names", file=root.name
            )
            return None
        layout.config.add(found)
        names = read_class_names(Path(found), root, problems, limits)
        if names is None:
            return None
    layout.names = names
    images_dir = root / "images"
    if not images_dir.is_dir() and images is not None:
        images_dir = images  # labels kept apart from their images
    if not images_dir.is_dir():
        problems.add(
            f"expected a folder of images at {images_dir.name}/ (or an images folder given "
            "beside the labels)",
            file=images_dir.name,
        )
        return None
    direct = _image_files(str(images_dir))
    splits = [] if direct else _split_folders(images_dir, labels_dir)
    if splits:
        for split in splits:
            paths = _listed_folder(str(images_dir / split))
            _add_flat(layout, paths, images_dir / split, labels_dir / split, split, problems)
    else:
        _add_flat(layout, direct, images_dir, labels_dir, None, problems)
    return layout


def _add_flat(
    layout: YoloLayout,
    paths: list[str],
    images_dir: Path,
    labels_dir: Path,
    split: str | None,
    problems: Problems,
) -> None:
    split = None if split is None else _checked_split(split, layout, problems)
    folder = str(labels_dir)
    prefix = os.path.join(str(images_dir), "")
    start = len(prefix)
    for image in paths:  # listed from images_dir: under it as written
        inner = image[start:] if image.startswith(prefix) else os.path.relpath(image, prefix)
        label = os.path.join(folder, os.path.splitext(inner)[0] + ".txt")
        layout.images.append(YoloImage(image, label, split))
        layout.label_folders.add(os.path.dirname(label))
    layout.label_folders.add(folder)
    layout.expected.setdefault(split, layout.display(folder) + "/")


def _split_folders(images_dir: Path, labels_dir: Path) -> list[str]:
    """The ``images/<split>/`` folders that have a ``labels/<split>/`` beside them."""
    return sorted(
        entry.name
        for entry in os.scandir(images_dir)
        if entry.is_dir() and (labels_dir / entry.name).is_dir()
    )


# --------------------------------------------------------------------------------------
# Shared


def read_text(file: Path, display: str, problems: Problems, limits: Limits) -> str | None:
    """A text file of the dataset, bounded in size, as UTF-8 (with or without a BOM)."""
    data = read_bounded(file, limit=limits.max_text_bytes, display=display, what="text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(f"expected UTF-8 text, got a bad byte at offset {exc.start}", file=display)
        return None


def read_class_names(
    file: Path, root: Path, problems: Problems, limits: Limits
) -> list[str] | None:
    """Class names, one a line (``classes.txt``, ``obj.names``); trailing empty lines end it."""
    display = _relative(str(file), str(root)) or file.name
    text = read_text(file, display, problems, limits)
    if text is None:
        return None
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line:
            problems.add("expected a class name on every line", file=display, line=number)
            return None
        problem = label_problem(line)
        if problem is not None:
            problems.add(problem, file=display, line=number)
            return None
    if not lines:
        problems.add("expected at least one class name", file=display)
        return None
    return lines


def _image_files(folder: str) -> list[str]:
    """The image files directly in ``folder``, in name order."""
    with os.scandir(folder) as entries:
        names = sorted(
            e.name
            for e in entries
            if os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES and e.is_file()
        )
    return [os.path.join(folder, name) for name in names]


def _listed_folder(folder: str) -> list[str]:
    """The image files under ``folder``, at any depth (as Ultralytics lists them), in order."""
    out: list[str] = []
    for current, dirs, files in os.walk(folder):
        dirs.sort()
        out.extend(
            os.path.join(current, name)
            for name in sorted(files)
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES
        )
    return out


def _first_file(folder: Path, names: Iterable[str]) -> str | None:
    for name in names:
        if (folder / name).is_file():
            return str(folder / name)
    return None


def _resolve(entry: str, base: str) -> str | None:
    """``entry`` joined to ``base`` (an absolute entry as it is), normalized; ``None`` for
    what no file can be (a NUL byte)."""
    if "\x00" in entry:
        return None
    return os.path.normpath(os.path.join(base, entry))


def _inside(path: Path, root: Path) -> str | None:
    """``path``, normalized, when it lies in ``root`` as written; ``None`` when it leads out
    (``..`` past the root, another absolute path).  Symbolic links inside the dataset's
    folder are the user's own and are followed, as every YOLO tool follows them."""
    normal = os.path.normpath(str(path))
    top = os.path.normpath(str(root))
    if normal != top and not normal.startswith(os.path.join(top, "")):
        return None
    return normal


def _relative(path: str, root: str) -> str | None:
    relative = os.path.relpath(path, root)
    if relative.startswith(".."):
        return None
    return relative.replace(os.sep, "/")
