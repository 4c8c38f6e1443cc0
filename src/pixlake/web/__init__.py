"""The web UI: pages rendered on the server from Jinja2 templates, with this package's own
style sheet and scripts, served by the API's process (``pixlake serve``, then
``http://127.0.0.1:8000/``). Pages read and change data through the same services as the
API (``pixlake.core``), with the same permission checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pixlake.web.pages import account, datalake, datasets, experiments, jobs, networks

__all__ = ["STATIC_URL", "install_web"]

STATIC_URL: Final = "/static"
_STATIC_DIR = Path(__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    """Serve the pages at ``/`` and their files at :data:`STATIC_URL`."""
    app.mount(STATIC_URL, StaticFiles(directory=_STATIC_DIR), name="static")
    app.include_router(account.router)
    app.include_router(datalake.router)
    app.include_router(datasets.router)
    app.include_router(experiments.router)
    app.include_router(jobs.router)
    app.include_router(networks.router)
