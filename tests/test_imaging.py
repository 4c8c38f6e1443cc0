"""Image probing: type and size from the header, and truncated or foreign bytes refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from pixlake.imaging import NotAnImageError, _jpeg_size, probe
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


def _jpeg(size: tuple[int, int], mode: str = "RGB", **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white" if mode != "CMYK" else (0, 0, 0, 0)).save(
        buffer, "JPEG", **options
    )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("size", "mode", "options"),
    [
        ((640, 480), "RGB", {}),
        ((1, 1), "L", {}),
        ((300, 7000), "RGB", {"progressive": True, "optimize": True}),
        ((33, 17), "CMYK", {}),
        ((64, 48), "RGB", {"subsampling": 0, "quality": 95}),
        ((64, 48), "RGB", {"exif": b"Exif\x00\x00" + b"\x00" * 64, "icc_profile": b"\x00" * 300}),
        ((65500, 2), "L", {}),
    ],
)
def test_jpeg_headers_read_directly_agree_with_pillow(
    size: tuple[int, int], mode: str, options: dict[str, object]
) -> None:
    data = _jpeg(size, mode, **options)
    with Image.open(io.BytesIO(data)) as image:
        expected = image.size
    assert _jpeg_size(data) == expected  # the fast path, not Pillow, read it
    info = probe(data)
    assert (info.media_type, info.width, info.height) == ("image/jpeg", *expected)


def test_jpegs_the_fast_path_does_not_read_go_to_pillow() -> None:
    data = bytearray(_jpeg((20, 10)))
    frame = data.index(b"\xff\xc0")
    data[frame + 4] = 12  # 12-bit samples: left to Pillow, which cannot decode them
    assert _jpeg_size(bytes(data)) is None
    with pytest.raises(NotAnImageError):
        probe(bytes(data))
    assert _jpeg_size(b"\xff\xd8\xff\xda\x00\x02") is None  # a scan before any frame
    assert _jpeg_size(b"\xff\xd8\xff\xe0\x00\x10JFIF") is None  # ends inside a segment
    assert _jpeg_size(b"\xff\xd8\x00\x00\x00\x00") is None  # not a marker


def test_a_jpeg_claiming_too_many_pixels_is_refused() -> None:
    data = bytearray(_jpeg((8, 8)))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", 60_000, 60_000)
    with pytest.raises(NotAnImageError, match="limit|bomb"):
        probe(bytes(data))
