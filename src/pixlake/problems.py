"""Collecting input problems, then raising them as one ``InvalidInputError``.

Readers validate a whole input before returning anything.  Each problem found is added to a
:class:`Problems` collector with where it is (``file``, ``line``, ``field``) and what was
expected (``message``); at the end :meth:`Problems.raise_if_any` raises a single
:class:`~pixlake.errors.InvalidInputError` carrying them all, so one run shows every mistake.
"""

from __future__ import annotations

from typing import Any

from pixlake._text import counted
from pixlake.errors import InvalidInputError

__all__ = ["Problems", "describe"]


class Problems:
    """A capped list of problems, each a dict ``{file, line, field, message}``.

    Past ``limit`` problems, further ones are only counted and reported as one trailing
    ``"... and N more problems"`` entry.
    """

    __slots__ = ("_details", "_dropped", "_limit", "file")

    def __init__(self, *, file: str | None = None, limit: int = 50) -> None:
        #: The ``file`` recorded with each problem unless :meth:`add` names another.
        self.file = file
        self._limit = max(1, limit)
        self._details: list[dict[str, Any]] = []
        self._dropped = 0

    def add(
        self,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        file: str | None = None,
        **more: Any,
    ) -> None:
        """Record one problem; ``message`` says what was expected."""
        if len(self._details) >= self._limit:
            self._dropped += 1
            return
        detail: dict[str, Any] = {
            "file": file if file is not None else self.file,
            "line": line,
            "field": field,
            "message": message,
        }
        detail.update(more)
        self._details.append(detail)

    @property
    def full(self) -> bool:
        """True once the cap is reached: callers may stop looking for more."""
        return len(self._details) >= self._limit

    def __len__(self) -> int:
        return len(self._details) + self._dropped

    def __bool__(self) -> bool:
        return bool(self._details)

    def details(self) -> list[dict[str, Any]]:
        """The recorded problems, plus the ``... and N more`` entry when some were dropped."""
        out = list(self._details)
        if self._dropped:
            out.append(
                {
                    "file": None,
                    "line": None,
                    "field": None,
                    "message": f"... and {self._dropped} more problems",
                }
            )
        return out

    def raise_if_any(self, what: str) -> None:
        """Raise one ``InvalidInputError`` listing every problem, if there is any.

        ``what`` names the input (``"COCO file instances.json"``) for the summary sentence.
        """
        if not self._details:
            return
        raise InvalidInputError(
            f"{what} is not valid: {counted(len(self), 'problem')}", details=self.details()
        )


def describe(value: Any, *, limit: int = 40) -> str:
    """A short ``repr`` of an offending value, for messages (``got 'abc'``)."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
