"""The hand-made tar paths of blob batches agree with ``tarfile``, byte for byte.

The SDK writes a batch's tar itself and the server reads plain tars itself (both for speed);
``tarfile`` stays the reference: the SDK's bytes must be those ``tarfile`` writes, and the
server's reader must either agree with ``tarfile`` on every member or leave the body to it.
"""

from __future__ import annotations

import hashlib
import io
import random
import tarfile

import pytest

from pixlake.core.blobs import _plain_tar
from pixlake.sdk._upload import _LocalFile, _tar


def _tarfile_bytes(files: list[_LocalFile]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for f in files:
            assert f.data is not None
            info = tarfile.TarInfo(f.digest)
            info.size = len(f.data)
            info.mode = 0o444
            archive.addfile(info, io.BytesIO(f.data))
    return buffer.getvalue()


def _local(data: bytes) -> _LocalFile:
    return _LocalFile("x.jpg", hashlib.sha256(data).hexdigest(), len(data), data)


def test_sdk_tar_is_what_tarfile_writes() -> None:
    rng = random.Random(0)
    for _ in range(100):
        sizes = [rng.choice([0, 1, 511, 512, 513, 10240, rng.randint(0, 300_000)])]
        sizes += [rng.randint(0, 70_000) for _ in range(rng.randint(0, 30))]
        files = [_local(rng.randbytes(size)) for size in sizes]
        assert b"".join(_tar(files)) == _tarfile_bytes(files)


def _reference(body: bytes) -> list[tuple[str, bytes | None]] | str:
    """What ``tarfile`` reads: (name, data or None when not a regular file), or an error."""
    try:
        archive = tarfile.open(fileobj=io.BytesIO(body), mode="r:")
    except tarfile.TarError as exc:
        return f"open: {exc}"
    members: list[tuple[str, bytes | None]] = []
    try:
        with archive:
            for member in archive:
                extracted = archive.extractfile(member) if member.isreg() else None
                members.append((member.name, extracted.read() if extracted else None))
    except Exception as exc:  # what receive_archive would let through
        return f"read: {exc!r}"
    return members


def _random_archive(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    fmt = rng.choice([tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT, tarfile.PAX_FORMAT])
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for _ in range(rng.randint(0, 5)):
            data = rng.randbytes(rng.choice([0, 1, 512, 513, rng.randint(0, 4000)]))
            name = rng.choice(
                [hashlib.sha256(data).hexdigest()] * 5 + ["a", "dir/x", "x" * 150, "é.jpg"]
            )
            info = tarfile.TarInfo(name)
            info.mode = rng.choice([0o444, 0o644])
            info.mtime = rng.choice([0, 1_700_000_000, 2**33 + 5])
            kind = rng.random()
            try:
                if kind < 0.1:
                    info.type = tarfile.DIRTYPE
                    archive.addfile(info)
                elif kind < 0.15:
                    info.type = tarfile.SYMTYPE
                    info.linkname = "target"
                    archive.addfile(info)
                else:
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
            except ValueError:  # a field tarfile cannot write in this format
                pass
    body = bytearray(buffer.getvalue())
    damage = rng.random()
    if damage < 0.2 and body:
        del body[rng.randint(0, len(body)) :]
    elif damage < 0.4 and body:
        for _ in range(rng.randint(1, 3)):
            body[rng.randrange(len(body))] = rng.randrange(256)
    elif damage < 0.5:
        body = bytearray(body.rstrip(b"\x00") + bytes(rng.choice([0, 1, 100, 512])))
    elif damage < 0.55:
        body = bytearray(rng.randbytes(rng.randint(0, 2000)))
    return bytes(body)


@pytest.mark.parametrize("seed", range(4))
def test_server_reader_agrees_with_tarfile_or_defers(seed: int) -> None:
    rng = random.Random(seed)
    taken = 0
    for _ in range(1500):
        body = _random_archive(rng)
        plain = _plain_tar(body)
        if plain is None:
            continue  # left to tarfile
        taken += 1
        assert _reference(body) == [(name, body[start:end]) for name, start, end in plain]
    assert taken > 50  # the fast path is exercised


def test_server_reader_takes_what_the_sdk_sends() -> None:
    files = [_local(bytes([i]) * (1000 * i)) for i in range(1, 20)]
    body = b"".join(_tar(files))
    plain = _plain_tar(body)
    assert plain is not None
    assert [(name, body[start:end]) for name, start, end in plain] == [
        (f.digest, f.data) for f in files
    ]
