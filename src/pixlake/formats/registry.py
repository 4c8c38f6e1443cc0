"""Formats by name: one :class:`~pixlake.formats.protocols.FormatDescriptor` per format,
registered once, which the core, the SDK, the API and the CLI ask instead of naming formats.

The built-in formats are COCO, PASCAL-VOC, PICSELLIA and YOLO (the SDK contract's
``ann_format`` values).  A package adds one through the ``pixlake.formats`` entry-point
group, each entry naming a ``FormatDescriptor``::

    [project.entry-points."pixlake.formats"]
    labelme = "pixlake_labelme:FORMAT"

Entry points are read the first time a name is not a built-in one, or when every format is
listed, and are then kept: a process sees the packages installed when it first looked.  An
entry point that does not load, that is no descriptor, or whose name or alias another
format has is refused with an error naming the package's entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from pixlake.errors import InvalidInputError

from . import coco, picsellia, voc, yolo
from .protocols import Exporter, FormatDescriptor, Reader

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "export_formats",
    "format_name",
    "formats",
    "get_exporter",
    "get_format",
    "get_reader",
    "load_entry_point",
    "names_text",
    "read_formats",
    "refresh",
]

#: The entry-point group that third-party formats register in.
ENTRY_POINT_GROUP: Final = "pixlake.formats"
#: The formats pixlake itself has, in the order they are listed.
BUILTIN: Final[tuple[FormatDescriptor, ...]] = (
    coco.FORMAT,
    voc.FORMAT,
    picsellia.FORMAT,
    yolo.FORMAT,
)


class _Registry:
    """The descriptors by lower-case name and alias; the entry points read once, lazily."""

    def __init__(self, builtin: Iterable[FormatDescriptor]) -> None:
        self._builtin = tuple(builtin)
        self._by_key: dict[str, FormatDescriptor] = {}
        self._order: list[FormatDescriptor] = []
        self._plugins_read = False
        self.clear()

    def clear(self) -> None:
        """Forget the formats of packages: the next lookup reads the entry points again."""
        self._by_key.clear()
        self._order.clear()
        self._plugins_read = False
        for descriptor in self._builtin:
            self._add(descriptor, origin="pixlake")

    def _add(self, descriptor: FormatDescriptor, *, origin: str) -> None:
        taken = [key for key in descriptor.keys if key in self._by_key]
        if taken:
            owner = self._by_key[taken[0]].name
            raise InvalidInputError(
                f"the format {descriptor.name} of {origin} is named {taken[0]!r}, which "
                f"{owner} is already; uninstall one of the packages, or rename the format",
                details=[{"field": "ann_format", "message": f"{taken[0]!r} names {owner}"}],
            )
        for key in descriptor.keys:
            self._by_key[key] = descriptor
        self._order.append(descriptor)

    def find(self, key: str) -> FormatDescriptor | None:
        found = self._by_key.get(key)
        if found is None and not self._plugins_read:
            self._read_plugins()
            found = self._by_key.get(key)
        return found

    def all(self) -> tuple[FormatDescriptor, ...]:
        if not self._plugins_read:
            self._read_plugins()
        return tuple(self._order)

    def _read_plugins(self) -> None:
        self._plugins_read = True
        for entry in _entry_points():
            self._add(load_entry_point(entry), origin=f"the entry point {entry.name!r}")


def _entry_points() -> list[EntryPoint]:
    # Imported when first needed, not to dodge a cycle: importlib.metadata costs a tenth of
    # a second where nothing else loads it (pydantic does, in the SDK and the server), and
    # most runs only ask for built-in formats.
    from importlib.metadata import entry_points

    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name)


def load_entry_point(entry: EntryPoint) -> FormatDescriptor:
    """The descriptor an entry point of the ``pixlake.formats`` group names, checked: what
    fails to load or is not a ``FormatDescriptor`` is an ``InvalidInputError`` naming the
    entry point (its name and its ``module:attribute``)."""
    where = f"the {ENTRY_POINT_GROUP} entry point {entry.name!r} ({entry.value})"
    try:
        loaded: Any = entry.load()
    except Exception as exc:  # a third party's import error, whatever it is
        raise InvalidInputError(
            f"{where} cannot be loaded: {type(exc).__name__}: {exc}",
            details=[{"field": "ann_format", "message": "expected an importable format"}],
        ) from exc
    if not isinstance(loaded, FormatDescriptor):
        raise InvalidInputError(
            f"{where} is a {type(loaded).__name__}, not a pixlake.formats.FormatDescriptor",
            details=[{"field": "ann_format", "message": "expected a FormatDescriptor"}],
        )
    return loaded


_REGISTRY: Final = _Registry(BUILTIN)


def refresh() -> None:
    """Read the ``pixlake.formats`` entry points again at the next lookup (after installing
    or removing a package that has some, in a running process)."""
    _REGISTRY.clear()


def formats() -> tuple[FormatDescriptor, ...]:
    """Every format: the built-in ones, then those of installed packages by entry-point
    name."""
    return _REGISTRY.all()


def read_formats() -> tuple[FormatDescriptor, ...]:
    """The formats that have a reader (what ``Datalake.upload(ann_format=...)`` takes)."""
    return tuple(d for d in formats() if d.reader is not None)


def export_formats() -> tuple[FormatDescriptor, ...]:
    """The formats a dataset version exports to (``Dataset.export``, the export route)."""
    return tuple(d for d in formats() if d.exports)


def names_text(names: Iterable[str], *, last: str = "or") -> str:
    """``"COCO, PASCAL-VOC or YOLO"``: ``names`` (of formats) in a sentence, for messages
    and help."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def get_format(name: str, *, field: str = "ann_format") -> FormatDescriptor:
    """The format named ``name`` (its name or an alias, case-insensitively, spaces at the
    ends ignored: ``"voc"`` gives PASCAL-VOC's).

    Raises ``InvalidInputError`` listing the known names for an unknown one (``field`` is
    the field of the error detail), and ``TypeError`` when ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"a format name is a string, got {type(name).__name__}")
    found = _REGISTRY.find(name.strip().lower())
    if found is None:
        known = formats()
        aliases = ", ".join(key for d in known for key in d.keys if key != d.name.lower())
        raise InvalidInputError(
            f"unknown annotation format {name!r}",
            details=[
                {
                    "file": None,
                    "line": None,
                    "field": field,
                    "message": f"expected one of {', '.join(d.name for d in known)}"
                    + (f" (or {aliases})" if aliases else ""),
                }
            ],
        )
    return found


def format_name(name: str) -> str:
    """The canonical name of a format (``"voc"`` gives ``"PASCAL-VOC"``): see
    :func:`get_format`."""
    return get_format(name).name


def get_reader(name: str) -> Reader:
    """The reader of format ``name`` (see :func:`get_format`); ``InvalidInputError`` for a
    format that has none."""
    descriptor = get_format(name)
    if descriptor.reader is None:
        raise _cannot(descriptor, "read", read_formats())
    return descriptor.reader


def get_exporter(name: str) -> type[Exporter]:
    """The exporter class of format ``name`` (see :func:`get_format`);
    ``InvalidInputError`` for a format that has none."""
    descriptor = get_format(name)
    if descriptor.exporter is None:
        raise _cannot(descriptor, "write", [d for d in formats() if d.exporter is not None])
    return descriptor.exporter


def _cannot(
    descriptor: FormatDescriptor, what: str, able: Iterable[FormatDescriptor]
) -> InvalidInputError:
    return InvalidInputError(
        f"pixlake cannot {what} {descriptor.name} files",
        details=[
            {
                "field": "ann_format",
                "message": f"expected one of {names_text(d.name for d in able)}",
            }
        ],
    )
