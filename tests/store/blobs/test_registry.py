"""Choosing a blob store by URL scheme, the built-in one or a package's (entry points)."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixlake.errors import InvalidInputError
from pixlake.store.blobs import LocalBlobStore, open_blob_store

#: A third-party store that keeps its blobs in a LocalBlobStore; ``OLD`` is one written for
#: an earlier pixlake, before ``pixlake gc`` needed ``stored``, ``parts_of`` and
#: ``remove_stale``.
PLUGIN = """
from pathlib import Path
from urllib.parse import urlparse

from pixlake.store.blobs import LocalBlobStore


class Store(LocalBlobStore):
    @classmethod
    def from_url(cls, url):
        return cls(Path(urlparse(url).path))


class Old:
    def __init__(self, url):
        self.url = url

    @classmethod
    def from_url(cls, url):
        return cls(url)

    def exists(self, digest):
        return False
"""


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A distribution on ``sys.path`` whose entry points offer the ``mine`` and ``old``
    schemes, as ``pip install`` of a package declaring them would leave it."""
    (tmp_path / "pixlake_store_plugin.py").write_text(PLUGIN)
    info = tmp_path / "pixlake_store_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pixlake-store-plugin\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [pixlake.blob_stores]
            mine = pixlake_store_plugin:Store
            old = pixlake_store_plugin:Old
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("pixlake_store_plugin", None)


def test_file_urls_get_the_local_store(tmp_path: Path) -> None:
    store = open_blob_store((tmp_path / "b").as_uri())
    assert isinstance(store, LocalBlobStore)


def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInputError, match="scheme 'ftp'; known schemes: file"):
        open_blob_store("ftp://example/bucket")


def test_a_package_adds_a_scheme(installed_plugin: None, tmp_path: Path) -> None:
    store = open_blob_store(f"mine://{tmp_path / 'blobs'}")
    assert type(store).__name__ == "Store"
    info = store.put_bytes(b"bytes")
    assert store.exists(info.digest) and store.size(info.digest) == 5
    with pytest.raises(InvalidInputError, match="known schemes: file, mine, old"):
        open_blob_store("ftp://example/bucket")


def test_a_store_lacking_methods_is_refused_by_name(installed_plugin: None) -> None:
    with pytest.raises(InvalidInputError) as error:
        open_blob_store("old://bucket")
    message = str(error.value)
    assert "old:// URLs (pixlake_store_plugin.Old)" in message
    assert "lacks compose, delete, missing, open, parts_of, put_bytes, remove_stale" in message
    assert "upgrade the package that provides it" in message
