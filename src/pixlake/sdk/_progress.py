"""Progress bars for long work, shown only when interactive and on a terminal."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

__all__ = ["Bar"]


class Bar:
    """A counter with an optional bar: ``with Bar("Uploading", total=n, enabled=...) as bar``."""

    def __init__(
        self, description: str, *, total: float | None, enabled: bool, unit: str = "files"
    ) -> None:
        self._progress: Progress | None = None
        if enabled and sys.stderr.isatty():
            columns = [
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn() if unit != "bytes" else TransferSpeedColumn(),
                TimeRemainingColumn(),
            ]
            self._progress = Progress(*columns, transient=False)
            self._task = self._progress.add_task(description, total=total)

    def __enter__(self) -> Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, amount: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, amount)
