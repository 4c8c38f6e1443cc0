"""Settings refuse, by name, the database and storage URLs pixlake cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixlake.core.config import Settings, check_database_url, check_storage_url
from pixlake.errors import ConfigurationError, InvalidInputError


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///pixlake.sqlite",
        "sqlite:////var/lib/pixlake/pixlake.sqlite",
        "sqlite+pysqlite:////tmp/x.sqlite",
        "sqlite:////tmp/x.sqlite?timeout=5",
    ],
)
def test_sqlite_files_are_accepted(url: str) -> None:
    assert check_database_url(url) == url
    assert Settings(home=Path("/tmp"), database_url=url).database_url == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "PostgreSQL support comes with a later extra"),
        ("postgresql+psycopg://u@h/db", "PostgreSQL support comes with a later extra"),
        ("postgres://u@h/db", "PostgreSQL support comes with a later extra"),
        ("mysql+pymysql://u@h/db", "does not support (mysql)"),
        ("pixlake.sqlite", "is not a database URL"),
        ("://nothing", "is not a database URL"),
        ("sqlite://", "names no database file"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///?mode=memory", "names no database file"),
    ],
)
def test_database_urls_refused(url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings(home=Path("/tmp"), database_url=url)
    message = str(info.value)
    assert message.startswith(f"Invalid configuration : PIXLAKE_DATABASE_URL {url!r} ")
    assert expected in message
    assert "expected sqlite:///PATH" in message
    assert isinstance(info.value, InvalidInputError)


@pytest.mark.parametrize(
    "url", ["file:///srv/pixlake/blobs", "file://localhost/srv/blobs", "FILE:///srv/b"]
)
def test_file_stores_are_accepted(url: str) -> None:
    assert check_storage_url(url) == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket?endpoint_url=x", "has scheme 's3', which no installed package provides"),
        ("/srv/blobs", "is not a URL"),
        ("file:blobs", "is not a URL"),
        ("file://", "names no absolute folder"),
        ("file://nas/blobs", "names host 'nas'"),
        ("https://[::1/blobs", "is malformed"),
    ],
)
def test_storage_urls_refused(url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings(home=Path("/tmp"), storage_url=url)
    message = str(info.value)
    assert message.startswith(f"Invalid configuration : PIXLAKE_STORAGE_URL {url!r} ")
    assert expected in message
    assert "expected file:///ABSOLUTE/PATH" in message


def test_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXLAKE_DATABASE_URL", "postgresql://u@h/db")
    with pytest.raises(ConfigurationError, match="PIXLAKE_DATABASE_URL"):
        Settings()


def test_a_relative_home_gives_absolute_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(home=Path("home"))
    assert settings.home == tmp_path / "home"
    assert settings.storage_url == (tmp_path / "home" / "blobs").as_uri()
    assert settings.database_url == f"sqlite:///{tmp_path / 'home' / 'pixlake.sqlite'}"
