"""Recognise image bytes and read their pixel size, cheaply and without trusting headers alone.

``probe`` parses the header with Pillow and checks that the file is complete: a JPEG must end
with its end-of-image marker after its last scan, other formats are verified (PNG checks every
chunk's CRC) or decoded.  It never decodes a JPEG fully, so it costs tens of microseconds.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

__all__ = ["MAX_PIXELS", "ImageInfo", "NotAnImageError", "probe"]

#: Larger images are refused (a decompression bomb guard); 40k x 40k is far beyond any camera.
MAX_PIXELS = 40_000 * 40_000

_JPEG_EOI = b"\xff\xd9"
_JPEG_SOS = b"\xff\xda"


class NotAnImageError(ValueError):
    """The bytes are not a complete, decodable image; the message says why."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    media_type: str
    width: int
    height: int


def probe(data: bytes) -> ImageInfo:
    """The media type and size of an image, or ``NotAnImageError``."""
    if not data:
        raise NotAnImageError("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or ""
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise NotAnImageError(f"the image has no pixels ({width}x{height})")
                if width * height > MAX_PIXELS:
                    raise NotAnImageError(
                        f"the image is {width}x{height} pixels, over the {MAX_PIXELS} limit"
                    )
                if fmt == "JPEG":
                    # Complete when an end-of-image marker follows the last scan (neither
                    # marker can occur inside entropy-coded data): only the tail is scanned.
                    end = data.rfind(_JPEG_EOI)
                    if end < 0 or data.find(_JPEG_SOS, end) >= 0:
                        raise NotAnImageError("the JPEG data is truncated (no end-of-image marker)")
                elif fmt == "PNG":
                    image.verify()
                else:
                    image.load()
    except NotAnImageError:
        raise
    except UnidentifiedImageError:
        raise NotAnImageError("not a decodable image (unrecognised format)") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise NotAnImageError(f"refused as a decompression bomb: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise NotAnImageError(f"the image data is corrupt or truncated ({exc})") from None
    media_type = Image.MIME.get(fmt, f"image/{fmt.lower()}")
    return ImageInfo(media_type=media_type, width=width, height=height)
