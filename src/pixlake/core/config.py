"""Settings, read from the environment (``PIXLAKE_*``) with embedded defaults.

With nothing set, pixlake keeps everything under ``~/.pixlake``: a SQLite file and a folder
of blobs.  The same code runs on PostgreSQL and S3-protocol storage by changing two URLs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXLAKE_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".pixlake")
    database_url: str = ""
    storage_url: str = ""

    #: Largest single blob accepted by ``PUT /blobs/{digest}`` (413 past it).
    max_blob_bytes: int = 5 * 1024 * MiB
    #: Largest body of one batched blob upload.
    max_batch_bytes: int = 64 * MiB
    #: Most blobs in one batched upload or one ``missing`` query.
    max_batch_items: int = 5000
    #: Largest JSON request body (annotations, picture batches).
    max_json_bytes: int = 256 * MiB
    #: Deepest nesting of the values of a JSON request (422 past it, naming the field).
    max_json_depth: int = Field(default=64, ge=2, le=512)
    #: Largest page a list endpoint returns.
    max_page_size: int = 1000
    #: Tell SDKs on this machine where the local blob store is (``GET /local-store``), so
    #: that they copy blobs from its files rather than receive them over HTTP.
    same_host: bool = True

    @model_validator(mode="after")
    def _defaults_under_home(self) -> Settings:
        self.home = self.home.expanduser()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'pixlake.sqlite'}"
        if not self.storage_url:
            self.storage_url = (self.home / "blobs").as_uri()
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
