"""Image probing: type and size from the header, and truncated or foreign bytes refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from pixlake.imaging import NotAnImageError, probe
from tests.conftest import make_image


def test_jpeg_and_png_sizes() -> None:
    jpeg = probe(make_image(1, (64, 48)))
    assert (jpeg.media_type, jpeg.width, jpeg.height) == ("image/jpeg", 64, 48)
    png = probe(make_image(2, (30, 20), fmt="PNG"))
    assert (png.media_type, png.width, png.height) == ("image/png", 30, 20)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "WEBP", "TIFF"])
def test_other_formats(fmt: str) -> None:
    assert probe(make_image(3, (16, 12), fmt=fmt)).width == 16


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_are_refused(fmt: str) -> None:
    data = make_image(4, (64, 64), fmt=fmt)
    with pytest.raises(NotAnImageError, match="truncated|corrupt"):
        probe(data[: len(data) * 2 // 3])


def test_text_and_empty_files_are_refused() -> None:
    with pytest.raises(NotAnImageError, match="unrecognised format"):
        probe(b"this is not an image at all")
    with pytest.raises(NotAnImageError, match="empty"):
        probe(b"")


def test_decompression_bombs_are_refused() -> None:
    """A tiny file whose header claims 50,000 x 50,000 pixels is refused before decoding."""
    buffer = io.BytesIO()
    Image.new("1", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", 50_000, 50_000)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    with pytest.raises(NotAnImageError, match="limit|bomb"):
        probe(bytes(data))
