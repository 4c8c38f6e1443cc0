"""The local blob store: content addressing, verification before visibility, immutability."""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pixlake.blobfolder import ADOPTED_PREFIX
from pixlake.store.blobs import DigestMismatch, LocalBlobStore, check_digest, local


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_and_read_back(store: LocalBlobStore) -> None:
    info = store.put_bytes(b"hello", sha(b"hello"))
    assert info.digest == sha(b"hello") and info.size == 5
    path = store.path(info.digest)
    assert path.relative_to(store.root).parts[:2] == ("sha256", info.digest[:2])
    with store.open(info.digest) as f:
        assert f.read() == b"hello"
    assert store.size(info.digest) == 5
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert path.stat().st_mode & 0o777 == 0o400  # read-only, and the owner's alone


def test_wrong_digest_leaves_nothing(store: LocalBlobStore) -> None:
    with pytest.raises(DigestMismatch):
        store.put_bytes(b"hello", sha(b"other"))
    assert not store.exists(sha(b"hello"))
    assert list(store.tmp_dir.iterdir()) == []


def test_aborted_write_leaves_nothing(store: LocalBlobStore) -> None:
    writer = store.writer()
    writer.write(b"partial")
    writer.abort()
    assert list(store.tmp_dir.iterdir()) == []
    assert not store.exists(sha(b"partial"))


def test_same_bytes_are_stored_once(store: LocalBlobStore) -> None:
    store.put_bytes(b"x" * 100)
    store.put_bytes(b"x" * 100)
    files = [p for p in (store.root / "sha256").rglob("*") if p.is_file()]
    assert len(files) == 1


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed-file", "temporary-name"])
def test_put_leaves_only_the_blob(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch, unnamed: bool
) -> None:
    if unnamed and not local.UNNAMED_FILES:
        pytest.skip("this file system has no unnamed files")
    monkeypatch.setattr(local, "UNNAMED_FILES", unnamed)
    digests = [store.put_bytes(bytes([i]) * 1000).digest for i in range(20)]
    store.put_bytes(bytes([0]) * 1000)  # already there: as good as new
    files = sorted(p for p in store.root.rglob("*") if p.is_file())
    assert files == sorted([store.root / "identity", *(store.path(d) for d in digests)])
    for digest in digests:
        assert store.path(digest).stat().st_mode & 0o777 == 0o400
        with store.open(digest) as f:
            assert sha(f.read()) == digest


def test_concurrent_writers_of_the_same_bytes_store_one_file(store: LocalBlobStore) -> None:
    data = os.urandom(256 * 1024)
    with ThreadPoolExecutor(8) as pool:
        infos = list(pool.map(lambda _: store.put_bytes(data, sha(data)), range(32)))
    assert {i.digest for i in infos} == {sha(data)}
    files = sorted(p for p in store.root.rglob("*") if p.is_file())
    assert files == [store.root / "identity", store.path(sha(data))]


def test_missing_and_delete(store: LocalBlobStore) -> None:
    store.put_bytes(b"a")
    assert store.missing([sha(b"a"), sha(b"b")]) == {sha(b"b")}
    store.delete(sha(b"a"))
    assert not store.exists(sha(b"a"))
    with pytest.raises(FileNotFoundError):
        store.open(sha(b"a"))


def test_digests_cannot_name_paths(store: LocalBlobStore) -> None:
    for bad in ["../../etc/passwd", "A" * 64, "ab", "g" * 64]:
        with pytest.raises(ValueError):
            store.path(bad)


def test_compose_reads_parts_in_place(store: LocalBlobStore) -> None:
    parts = [b"a" * 1000, b"b" * 10, b"c" * 3000]
    digests = [store.put_bytes(p).digest for p in parts]
    whole = b"".join(parts)
    info = store.compose(digests, sha(whole))
    assert (info.digest, info.size) == (sha(whole), len(whole))
    assert store.exists(info.digest) and store.size(info.digest) == len(whole)
    assert not store.path(info.digest).exists()  # no second copy of the bytes
    with store.open(info.digest) as f:
        assert f.read() == whole
        f.seek(995)
        assert f.read(20) == b"a" * 5 + b"b" * 10 + b"c" * 5
        f.seek(-2, 2)
        assert f.read() == b"cc"
    store.delete(info.digest)
    assert not store.exists(info.digest)


def test_compose_with_a_wrong_digest_stores_nothing(store: LocalBlobStore) -> None:
    digests = [store.put_bytes(b"x" * 10).digest, store.put_bytes(b"y" * 10).digest]
    with pytest.raises(DigestMismatch):
        store.compose(digests, sha(b"something else"))
    assert not store.exists(sha(b"x" * 10 + b"y" * 10))
    assert list(store.tmp_dir.iterdir()) == []
    with pytest.raises(FileNotFoundError):
        store.compose([sha(b"never stored")], sha(b"never stored"))


def offer(store: LocalBlobStore, digest: str, name: str, data: bytes) -> Path:
    path = store.path(digest).parent / f".in-{name}"
    path.write_bytes(data)
    return path


def test_adopt_names_a_verified_file_in_its_folder(store: LocalBlobStore) -> None:
    data = b"adopted bytes"
    digest = sha(data)
    offered = offer(store, digest, "aa11", data)
    info, read = store.adopt("aa11", digest, 1000)
    assert (info.digest, info.size, read) == (digest, len(data), data)
    assert not offered.exists()
    assert store.path(digest).read_bytes() == data
    assert store.path(digest).stat().st_mode & 0o777 == 0o400
    again = offer(store, digest, "bb22", data)  # the same bytes again: dropped
    assert store.adopt("bb22", digest, 1000)[0] == info
    assert not again.exists()


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        ("link", "cannot open it"),
        ("hard link", "other names"),
        ("folder", "not a regular file"),
        ("too large", "over 10 bytes"),
        ("absent", "no such file"),
    ],
)
def test_adopt_refuses_what_it_must_not_take(
    store: LocalBlobStore, tmp_path: Path, prepare: str, reason: str
) -> None:
    data = b"0123456789"
    digest = sha(data)
    offered = store.path(digest).parent / ".in-cc33"
    outside = tmp_path / "outside"
    outside.write_bytes(data)
    if prepare == "link":
        offered.symlink_to(outside)
    elif prepare == "hard link":
        os.link(outside, offered)
    elif prepare == "folder":
        offered.mkdir()
    elif prepare == "too large":
        offered.write_bytes(data + b"!")
    with pytest.raises(local.AdoptionRefused, match=reason):
        store.adopt("cc33", digest, 10)
    assert not store.exists(digest)
    assert outside.read_bytes() == data  # a file elsewhere is never touched


def test_adopt_refuses_bytes_that_do_not_match_and_removes_them(store: LocalBlobStore) -> None:
    offered = offer(store, sha(b"announced"), "dd44", b"something else")
    with pytest.raises(DigestMismatch):
        store.adopt("dd44", sha(b"announced"), 1000)
    assert not offered.exists() and not store.exists(sha(b"announced"))


@pytest.mark.parametrize("name", ["", "../x", "AB", "x" * 65])
def test_adopt_takes_hex_names_only(store: LocalBlobStore, name: str) -> None:
    with pytest.raises(local.AdoptionRefused, match="hex"):
        store.adopt(name, sha(b"x"), 10)


def test_a_store_others_may_write_to_takes_no_adoptions(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.root.chmod(0o755)
    assert store.accepts_adoptions()
    store.root.chmod(0o775)
    assert not store.accepts_adoptions()


def test_sweep_removes_old_unfinished_files_only(store: LocalBlobStore) -> None:
    kept = store.put_bytes(b"a blob").digest
    old = offer(store, sha(b"old"), "0a", b"old")
    fresh = offer(store, sha(b"fresh"), "0b", b"fresh")
    upload = store.tmp_dir / "upload-1-1"  # a PUT whose server was killed
    upload.write_bytes(b"half")
    named = store.root / "sha256" / "0c" / ".tmp-1-2"  # a write without O_TMPFILE
    named.write_bytes(b"half")
    long_ago = time.time() - 7200
    for path in (old, upload, named):
        os.utime(path, (long_ago, long_ago))
    assert sorted(store.temporary_files(older_than=3600)) == sorted([old, upload, named])
    assert store.sweep_temporary(older_than=3600) == 3
    assert not old.exists() and not upload.exists() and not named.exists() and fresh.exists()
    assert store.path(kept).read_bytes() == b"a blob"
    assert list(store.temporary_files(older_than=0)) != []  # the fresh offer, once old


# --------------------------------------------------------------------------- collection


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_stored_lists_blobs_and_manifests_only(store: LocalBlobStore) -> None:
    plain = store.put_bytes(b"plain")
    parts = [store.put_bytes(b"one ").digest, store.put_bytes(b"two").digest]
    composite = store.compose(parts, sha(b"one two"))
    (store.path(plain.digest).parent / f"{ADOPTED_PREFIX}00ff").write_bytes(b"offered")
    (store.path(plain.digest).parent / ".tmp-1-2").write_bytes(b"being written")

    listed = {blob.digest: blob for blob in store.stored()}

    assert set(listed) == {plain.digest, *parts, composite.digest}
    assert listed[plain.digest].size == 5
    assert [d for d, blob in listed.items() if blob.composite] == [composite.digest]
    assert [blob.digest for blob in store.stored(composites_only=True)] == [composite.digest]
    assert store.parts_of(composite.digest) == parts
    assert store.parts_of(plain.digest) == []


def test_remove_stale_keeps_what_was_written_since(store: LocalBlobStore) -> None:
    old = store.put_bytes(b"old")
    new = store.put_bytes(b"new")
    _age(store.path(old.digest), 3600)
    cutoff = time.time() - 60

    assert store.remove_stale(new.digest, cutoff) is None
    assert store.remove_stale(old.digest, cutoff) == 3
    assert store.missing([old.digest, new.digest]) == {old.digest}
    assert store.remove_stale(old.digest, cutoff) is None  # gone already


def test_every_way_of_storing_known_bytes_freshens_them(store: LocalBlobStore) -> None:
    data = b"known bytes"
    digest = store.put_bytes(data).digest
    path = store.path(digest)

    def stored_again(how: str) -> float:
        _age(path, 3600)
        if how == "put":
            store.put_bytes(data)
        elif how == "writer":
            writer = store.writer()
            writer.write(data)
            writer.commit(digest)
        else:
            offered = path.parent / f"{ADOPTED_PREFIX}abc"
            offered.write_bytes(data)
            store.adopt("abc", digest, max_size=100)
        return time.time() - path.stat().st_mtime

    for how in ("put", "writer", "adopt"):
        assert stored_again(how) < 60, how


@pytest.mark.parametrize(
    "digest",
    ["a" * 64 + "\n", "A" * 64, "a" * 63, "a" * 65, "../" + "a" * 61, "g" * 64, ""],
)
def test_only_64_lower_case_hex_characters_are_a_digest(digest: str) -> None:
    with pytest.raises(ValueError, match="not a SHA-256"):
        check_digest(digest)
    assert check_digest("0f" * 32) == "0f" * 32
