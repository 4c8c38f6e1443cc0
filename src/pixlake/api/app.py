"""The application factory."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from PIL import Image

from pixlake._version import __version__
from pixlake.api.apidocs import install_docs
from pixlake.api.errors import install_error_handlers
from pixlake.api.hygiene import SecurityHeadersMiddleware, redact_access_log
from pixlake.api.limits import BodyLimitMiddleware
from pixlake.api.openapi import install_openapi
from pixlake.api.routers import (
    accounts,
    blobs,
    datasets,
    experiments,
    jobs,
    networks,
    pictures,
    projects,
)
from pixlake.api.text import UrlTextMiddleware
from pixlake.api.upstream import PREFIX as UPSTREAM_PREFIX
from pixlake.api.upstream import STORAGE_PREFIX, install_upstream
from pixlake.core import exports, imports, thumbnails
from pixlake.core.config import Settings
from pixlake.jobs import ThreadJobRunner
from pixlake.store.blobs import LocalBlobStore, open_blob_store
from pixlake.store.db.engine import Database
from pixlake.store.db.schema import ensure_schema
from pixlake.web import install_web

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
log = logging.getLogger("pixlake.api")


def _sweep(store: LocalBlobStore) -> None:
    try:
        removed = store.sweep_temporary()
    except OSError as exc:
        log.warning("could not sweep the blob store's unfinished files: %s", exc)
        return
    if removed:
        log.info("removed %d unfinished files from the blob store", removed)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A pixlake API over the database and blob store that ``settings`` name.

    The schema is checked at start-up: a new database is created, an outdated one refused
    with a pointer to ``pixlake migrate``.
    """
    settings = settings or Settings()
    Image.init()  # Pillow imports its format plugins on first use: now, not in an upload
    db = Database(settings.database_url)
    ensure_schema(db)
    store = open_blob_store(settings.storage_url)
    runner = ThreadJobRunner(
        db,
        store,
        handlers={
            imports.KIND: imports.run_import,
            exports.KIND: exports.run_export,
            thumbnails.KIND: thumbnails.run_thumbnails,
        },
        background=[thumbnails.KIND],
    )
    if isinstance(store, LocalBlobStore):  # files an SDK wrote and never had adopted
        threading.Thread(target=_sweep, args=(store,), name="pixlake-sweep", daemon=True).start()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What exists at start-up (modules, routes, schemas: most of the process's objects)
        # lives as long as the process.  Out of the cyclic collector's reach, it is not walked
        # again by every full collection, which large requests trigger: ~100 ms each.
        gc.freeze()
        try:
            yield
        finally:
            runner.shutdown()
            db.dispose()

    app = FastAPI(
        title="pixlake",
        version=__version__,
        summary="Computer-vision data platform: datalake, datasets, experiments, networks.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # install_docs: Swagger UI from installed files, not a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.store = store
    app.state.jobs = runner
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware, settings=settings, prefix=API_PREFIX, blob_prefixes=(STORAGE_PREFIX,)
    )
    app.add_middleware(UrlTextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, prefix=(API_PREFIX, UPSTREAM_PREFIX))
    redact_access_log()
    for router in (
        accounts.router,
        blobs.router,
        blobs.local_router,
        datasets.router,
        jobs.router,
        networks.router,
        pictures.router,
        projects.router,
        experiments.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    install_openapi(app)
    install_docs(app, openapi_url=f"{API_PREFIX}/openapi.json", title="pixlake")
    install_upstream(app)
    install_web(app)
    return app
