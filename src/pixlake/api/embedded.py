"""Run a pixlake server inside this process, in a thread (the demo, tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from pixlake.api.app import create_app
from pixlake.core.config import Settings

__all__ = ["EmbeddedServer", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # signals belong to the main thread
        pass


class EmbeddedServer:
    """``with EmbeddedServer(settings) as server: ... server.url ...``"""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.settings = settings
        self.host = host
        self.port = port or free_port(host)
        app = create_app(settings)
        # lifespan "on": a start-up that fails (an outdated schema, an unusable store) stops
        # the server, and start() says so, rather than serving without its start-up
        config = uvicorn.Config(app, host=host, port=self.port, log_level=log_level, lifespan="on")
        self._server = _ThreadServer(config)
        self._thread = threading.Thread(target=self._server.run, name="pixlake-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the pixlake server did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def wait(self) -> None:
        """Block until interrupted (Ctrl-C)."""
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
