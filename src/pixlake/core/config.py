"""Settings, read from the environment (``PIXLAKE_*``) with embedded defaults.

With nothing set, pixlake keeps everything under ``~/.pixlake``: a SQLite file and a folder
of blobs.  The same code runs on PostgreSQL and S3-protocol storage by changing two URLs.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pixlake.errors import ConfigurationError

__all__ = ["Settings", "check_database_url", "check_storage_url"]

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

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return check_database_url(value) if value else value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        return check_storage_url(value) if value else value

    @model_validator(mode="after")
    def _defaults_under_home(self) -> Settings:
        self.home = self.home.expanduser().absolute()  # a relative home has no file:// URL
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'pixlake.sqlite'}"
        if not self.storage_url:
            self.storage_url = (self.home / "blobs").as_uri()
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_DATABASE_EXPECTED = (
    "expected sqlite:///PATH (sqlite:////PATH for an absolute path), or no value for the "
    "embedded default under PIXLAKE_HOME"
)


def check_database_url(url: str) -> str:
    """``url`` if pixlake can use it as ``PIXLAKE_DATABASE_URL``; else a
    :class:`ConfigurationError` naming the variable and what was expected."""
    scheme, sep, rest = url.partition("://")
    dialect = scheme.partition("+")[0].lower()
    if not sep or not dialect or not dialect.replace("_", "").isalnum():
        raise ConfigurationError(
            f"PIXLAKE_DATABASE_URL {url!r} is not a database URL: {_DATABASE_EXPECTED}"
        )
    if dialect in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"PIXLAKE_DATABASE_URL {url!r} names PostgreSQL, which this pixlake does not "
            "support yet: PostgreSQL support comes with a later extra (pixlake[postgres]); "
            f"until then, {_DATABASE_EXPECTED}"
        )
    if dialect != "sqlite":
        raise ConfigurationError(
            f"PIXLAKE_DATABASE_URL {url!r} names a database pixlake does not support "
            f"({dialect}): {_DATABASE_EXPECTED}"
        )
    if not rest.startswith("/") or not rest.partition("?")[0].strip("/"):
        raise ConfigurationError(
            f"PIXLAKE_DATABASE_URL {url!r} names no database file (an in-memory database "
            f"would keep nothing): {_DATABASE_EXPECTED}"
        )
    return url


def check_storage_url(url: str) -> str:
    """``url`` if pixlake can use it as ``PIXLAKE_STORAGE_URL``: ``file:///absolute/path``,
    or a scheme that an installed package provides (the ``pixlake.blob_stores`` entry-point
    group); else a :class:`ConfigurationError` naming the variable and what was expected."""
    expected = "expected file:///ABSOLUTE/PATH, or nothing for the default under PIXLAKE_HOME"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigurationError(
            f"PIXLAKE_STORAGE_URL {url!r} is malformed ({exc}): {expected}"
        ) from None
    scheme = parts.scheme.lower()
    if not scheme or "://" not in url:
        raise ConfigurationError(f"PIXLAKE_STORAGE_URL {url!r} is not a URL: {expected}")
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigurationError(
                f"PIXLAKE_STORAGE_URL {url!r} names host {parts.netloc!r}: a file:// store is "
                f"a folder of this machine, {expected}"
            )
        if not parts.path.startswith("/") or not parts.path.strip("/"):
            raise ConfigurationError(
                f"PIXLAKE_STORAGE_URL {url!r} names no absolute folder: {expected}"
            )
        return url
    provided = sorted(ep.name for ep in entry_points(group="pixlake.blob_stores"))
    if scheme not in provided:
        known = ", ".join(["file", *provided])
        raise ConfigurationError(
            f"PIXLAKE_STORAGE_URL {url!r} has scheme {scheme!r}, which no installed package "
            f"provides (known schemes: {known}): {expected}"
        )
    return url
