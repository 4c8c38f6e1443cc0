"""A YOLO ``data.yaml``, read with PyYAML's safe loader, and written.

``names`` is a list (``[person, car]`` or a block of ``- person``) or a mapping from index to
name (``{0: person, 1: car}``, indices 0 to N-1 in any order); ``nc``, when given, must count
them.  The other keys (``path``, ``train``, ``val``, ``test``) are kept for the layout to
read.  Problems name the line of the key they concern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from pixlake.names import label_problem
from pixlake.problems import Problems, describe

__all__ = [
    "SPLIT_KEYS",
    "YamlDocument",
    "dump_data_yaml",
    "parse_data_yaml",
    "parse_names",
    "ultralytics_keys",
]


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A valid ``data.yaml``: its class ``names``, its keys and the line of each."""

    names: list[str]
    values: dict[str, Any]
    lines: dict[str, int]

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def line(self, key: str) -> int | None:
        return self.lines.get(key)


def parse_data_yaml(text: str, problems: Problems) -> YamlDocument | None:
    """The document of a ``data.yaml`` text; ``None`` after recording problems."""
    document = _load(text, problems)
    if document is None:
        return None
    lines = _key_lines(text)
    names = _names(document, lines, problems)
    if names is None:
        return None
    return YamlDocument(names=names, values={str(k): v for k, v in document.items()}, lines=lines)


def _key_lines(text: str) -> dict[str, int]:
    """The 1-based line of each top-level key (for error details)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(key.value): key.start_mark.line + 1
        for key, _value in node.value
        if isinstance(key, yaml.ScalarNode)
    }


def parse_names(text: str, problems: Problems) -> list[str] | None:
    """The class names of a ``data.yaml`` text, in index order; ``None`` after problems."""
    document = parse_data_yaml(text, problems)
    return None if document is None else document.names


def _load(text: str, problems: Problems) -> dict[Any, Any] | None:
    try:
        document: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        problems.add(f"expected valid YAML ({reason})", line=mark.line + 1 if mark else None)
        return None
    except yaml.YAMLError as exc:
        problems.add(f"expected valid YAML ({exc})")
        return None
    if not isinstance(document, dict) or "names" not in document:
        problems.add("expected a 'names:' key with the class names")
        return None
    return document


def _names(document: dict[Any, Any], lines: dict[str, int], problems: Problems) -> list[str] | None:
    names_line = lines.get("names")
    raw = document["names"]
    values: list[Any]
    if isinstance(raw, list):
        values = raw
    elif isinstance(raw, dict):
        indices = sorted(map(str, raw))
        if set(raw) != set(range(len(raw))) or not all(type(k) is int for k in raw):
            problems.add(
                f"expected class indices 0 to {len(raw) - 1}, got {describe(indices)}",
                line=names_line,
            )
            return None
        values = [raw[i] for i in range(len(raw))]
    else:
        problems.add(
            f"expected names as [a, b, ...] or {{0: a, 1: b, ...}}, got {describe(raw)}",
            line=names_line,
        )
        return None
    names: list[str] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            problems.add(f"expected a class name, got {describe(value)}", line=names_line)
            return None
        problem = label_problem(str(value))
        if problem is not None:
            problems.add(problem, line=names_line, field=f"names[{len(names)}]")
            return None
        names.append(str(value))
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            problems.add(
                f"expected unique class names, {name!r} is also class {seen[name]}",
                line=names_line,
            )
            return None
        seen[name] = index
    if "nc" in document:
        count = document["nc"]
        if type(count) is not int:
            problems.add(f"expected a class count, got {describe(count)}", line=lines.get("nc"))
            return None
        if count != len(names):
            problems.add(
                f"expected nc to be the number of names ({len(names)}), got {count}",
                line=lines.get("nc"),
            )
            return None
    return names


#: Ultralytics' split keys.
SPLIT_KEYS = ("train", "val", "test")


def ultralytics_keys(folders: Sequence[str]) -> dict[str, str | list[str]]:
    """Where ``data.yaml``'s ``train``, ``val`` and ``test`` point for the split
    ``folders`` of ``images/``.  A split named after a key is that key's folder; any other
    goes to the key its name starts with (``train2017``, ``valid``, ``test-dev``), else to
    ``test`` (never trained on), and a key with such splits lists their folders, whose names
    a reader takes back as the splits.  Ultralytics needs ``train`` and ``val``: a missing
    one is the other (or ``test``)."""
    grouped: dict[str, list[str]] = {}
    for folder in folders:
        grouped.setdefault(_key_for(folder), []).append(folder)
    keys: dict[str, str | list[str]] = {}
    for key in SPLIT_KEYS:
        names = grouped.get(key)
        if names:
            keys[key] = f"images/{key}" if names == [key] else [f"images/{n}" for n in names]
    if "train" not in keys:
        keys["train"] = keys.get("val") or keys["test"]
    if "val" not in keys:
        keys["val"] = keys["train"]
    return {key: keys[key] for key in SPLIT_KEYS if key in keys}


def _key_for(split: str) -> str:
    lowered = split.lower()
    if lowered.startswith("train"):
        return "train"
    if lowered.startswith("val"):
        return "val"
    return "test"


def dump_data_yaml(
    names: Sequence[str], folders: Sequence[str] = (), *, path: str | None = None
) -> bytes:
    """A ``data.yaml`` for ``names`` over the split ``folders`` of ``images/`` (see
    :func:`ultralytics_keys`), or, with no split, ``train`` and ``val`` both on ``images``.
    ``path`` only when given: without it, Ultralytics resolves the other paths against the
    file's own folder, wherever it runs."""
    document: dict[str, Any] = {}
    if path is not None:
        document["path"] = path
    if folders:
        document.update(ultralytics_keys(folders))
    else:
        document["train"] = "images"
        document["val"] = "images"
    document["nc"] = len(names)
    document["names"] = dict(enumerate(names))
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
