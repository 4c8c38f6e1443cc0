"""The class names of a YOLO ``data.yaml``, read with PyYAML's safe loader.

Only ``names`` and ``nc`` are read.  ``names`` is a list (``[person, car]`` or a block of
``- person``) or a mapping from index to name (``{0: person, 1: car}``, indices 0 to N-1 in any
order).  Problems name the line of the key they concern.
"""

from __future__ import annotations

from typing import Any

import yaml

from ._problems import Problems, describe

__all__ = ["dump_data_yaml", "parse_names"]


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
    lines = _key_lines(text)
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
        names.append(str(value))
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


def dump_data_yaml(names: list[str]) -> bytes:
    """A ``data.yaml`` for ``names``, with images and labels side by side."""
    document = {
        "path": ".",
        "train": "images",
        "val": "images",
        "nc": len(names),
        "names": dict(enumerate(names)),
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
