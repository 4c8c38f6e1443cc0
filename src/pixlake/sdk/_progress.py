"""Progress bars for long work, shown only when interactive and on a terminal."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["Bar"]


class Bar:
    """A counter with an optional bar: ``with Bar("Uploading", total=n, enabled=...) as bar``."""

    def __init__(
        self, description: str, *, total: float | None, enabled: bool, unit: str = "files"
    ) -> None:
        self._progress: Progress | None = None
        if enabled and sys.stderr.isatty():
            # rich is loaded for a bar drawn, not by importing the SDK
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            columns = [
                TextColumn("{task.description}"),
                BarColumn(),
                *(
                    (DownloadColumn(), TransferSpeedColumn())
                    if unit == "bytes"
                    else (MofNCompleteColumn(),)
                ),
                TimeRemainingColumn(),
            ]
            # on standard error, the terminal checked above: standard output stays the caller's
            self._progress = Progress(*columns, console=Console(stderr=True), transient=False)
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

    @property
    def shown(self) -> bool:
        """Whether a bar is drawn (interactive, on a terminal)."""
        return self._progress is not None

    def advance(self, amount: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, amount)

    def update(
        self, completed: float, total: float | None, *, description: str | None = None
    ) -> None:
        """Set how far the work is, out of ``total`` (which may have changed; ``None`` when
        unknown), and what it is doing now."""
        if self._progress is not None:
            self._progress.update(
                self._task, completed=completed, total=total, description=description
            )
