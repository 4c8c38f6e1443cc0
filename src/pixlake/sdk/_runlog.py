"""An experiment's run log and line data, sent in the background; stdout copied to it.

``Experiment`` buffers appends to ``line`` data and run-log lines in a ``Sender``, whose
daemon thread sends them in batches at least every ``FLUSH_INTERVAL`` (well under the
contract's second), at exit, and before any read of an experiment through any object of the
process (``flush_others``): a training loop logging point by point never waits on the
network, and reads see the writes made before them.  ``Tee`` copies what a block prints to
the run log, line by line (``Experiment.capture``).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import threading
import weakref
from collections.abc import Callable
from typing import Any, TextIO

import httpx

from pixlake.errors import PicselliaError
from pixlake.sdk._http import Connection

__all__ = ["BATCH", "FLUSH_INTERVAL", "Sender", "Tee", "flush_others", "open_sender"]

#: The background sender wakes up this often (seconds): well under the contract's 1 s.
FLUSH_INTERVAL = 0.2
#: Points per request to the points route.
BATCH = 50_000


class Sender:
    """Buffers line appends and log lines of one experiment object; a daemon thread sends
    them in batches.  ``flush()`` blocks until everything buffered so far is stored and
    re-raises the first error the thread met."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Condition()
        #: (path, has_x) -> chunks; each chunk (xs or None, ys)
        self._points: dict[str, list[tuple[list[Any] | None, list[Any]]]] = {}
        self._logs: list[tuple[str, str, list[str], int | None]] = []
        self._busy = False
        self._error: BaseException | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pixlake-sender", daemon=True)
            self._thread.start()

    def add_points(self, path: str, xs: list[Any] | None, ys: list[Any]) -> None:
        with self._lock:
            chunks = self._points.setdefault(path, [])
            if chunks and (chunks[-1][0] is None) == (xs is None):
                last_x, last_y = chunks[-1]
                last_y.extend(ys)
                if last_x is not None and xs is not None:
                    last_x.extend(xs)
            else:
                chunks.append((list(xs) if xs is not None else None, list(ys)))
            self._start()

    def add_logs(self, path: str, part: str, lines: list[str], exit_code: int | None) -> None:
        with self._lock:
            self._logs.append((path, part, lines, exit_code))
            self._start()

    def _take(self) -> tuple[dict[str, list[tuple[list[Any] | None, list[Any]]]], list[Any]]:
        points, logs = self._points, self._logs
        self._points, self._logs = {}, []
        return points, logs

    def _send(self, points: dict[str, Any], logs: list[Any]) -> None:
        """Send every request; one refused request (e.g. points to a line deleted meanwhile)
        does not drop the others: the first error is raised once all were tried."""
        first: PicselliaError | None = None

        def post(path: str, body: dict[str, Any]) -> None:
            nonlocal first
            try:
                self._conn.post(path, json=body)
            except PicselliaError as exc:
                first = first or exc

        for path, chunks in points.items():
            for xs, ys in chunks:
                for start in range(0, len(ys), BATCH):
                    body: dict[str, Any] = {"y": ys[start : start + BATCH]}
                    if xs is not None:
                        body["x"] = xs[start : start + BATCH]
                    post(path, body)
        for path, part, lines, exit_code in logs:
            post(path, {"lines": lines, "part": part, "exit_code": exit_code})
        if first is not None:
            raise first

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(
                    lambda: self._closed or bool(self._points or self._logs), FLUSH_INTERVAL
                )
                if self._closed and not (self._points or self._logs):
                    return
                points, logs = self._take()
                self._busy = True
            try:
                if points or logs:
                    self._send(points, logs)
            except BaseException as exc:  # kept and raised by flush()
                with self._lock:
                    self._error = self._error or exc
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def flush(self, *, raise_errors: bool = True) -> None:
        """Wait until everything buffered is sent; raise the first error met (or, with
        ``raise_errors=False``, keep it for the owner's next flush)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._lock.notify_all()
                self._lock.wait_for(lambda: not (self._points or self._logs or self._busy))
            elif self._points or self._logs:  # no thread (at exit): send here
                points, logs = self._take()
                try:
                    self._send(points, logs)
                except PicselliaError as exc:
                    self._error = self._error or exc
            error = self._error
            if raise_errors:
                self._error = None
        if error is not None and raise_errors:
            raise error

    def close(self) -> None:
        with contextlib.suppress(PicselliaError, httpx.HTTPError):
            self.flush()
        with self._lock:
            self._closed = True
            self._lock.notify_all()


#: Every live sender of the process: a read through any ``Experiment`` object first sends
#: what the others buffered (read-your-writes within the process).
_SENDERS: weakref.WeakSet[Sender] = weakref.WeakSet()


def _close(sender: Sender) -> None:
    sender.close()


def open_sender(owner: object, conn: Connection) -> Sender:
    """A sender over ``conn`` for ``owner``: closed (what it holds sent) when ``owner`` is
    collected or the process exits, and flushed by ``flush_others`` meanwhile."""
    sender = Sender(conn)
    _SENDERS.add(sender)
    weakref.finalize(owner, _close, sender)
    atexit.register(_close, sender)
    return sender


def flush_others(sender: Sender) -> None:
    """Send what every other live sender of the process holds; their errors stay with
    them, for their owners' next flush."""
    for other in list(_SENDERS):
        if other is not sender:
            other.flush(raise_errors=False)


class Tee(io.TextIOBase):
    """Writes go to the original stream and, line by line, to ``send`` (which queues them
    for the run log); ``finish`` sends the last line when it has no newline."""

    def __init__(self, original: TextIO, send: Callable[[list[str]], None]) -> None:
        self._original = original
        self._send = send
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._original.write(text)
        self._pending += text
        if "\n" in self._pending:
            *lines, self._pending = self._pending.split("\n")
            self._send(lines)
        return len(text)

    def flush(self) -> None:
        self._original.flush()

    def finish(self) -> None:
        if self._pending:
            self._send([self._pending])
            self._pending = ""
