"""Photos as Telegram keeps them: decoded, and re-encoded as JPEG at several sizes.

Telegram stores an uploaded photo as JPEGs that fit boxes of 90, 320, 800, 1280 and 2560 pixels
on the longer side; none is larger than the original, and a box the original already fits gives
the original's size once. A message's `photo` lists those PhotoSizes, smallest first. Bytes that
are no image it can decode are refused with IMAGE_PROCESS_FAILED, and a photo whose width and
height add up to more than 10000, or whose longer side is more than 20 times the shorter, with
PHOTO_INVALID_DIMENSIONS (the limits the Bot API documents for sendPhoto).
"""

from __future__ import annotations

import io
import warnings
from typing import NamedTuple

from PIL import Image, ImageOps

__all__ = ["BOXES", "PhotoRefused", "PhotoSize", "fitted", "photo_sizes"]

BOXES = (90, 320, 800, 1280, 2560)
JPEG_QUALITY = 87
MAX_SIDES = 10_000  # width + height
MAX_RATIO = 20


class PhotoRefused(ValueError):
    """Bytes Telegram would not take as a photo; `reason` is its error (IMAGE_PROCESS_FAILED…)."""

    def __init__(self, reason: str, explanation: str) -> None:
        super().__init__(f"{explanation} ({reason})")
        self.reason = reason


class PhotoSize(NamedTuple):
    width: int
    height: int
    jpeg: bytes


def photo_sizes(data: bytes) -> list[PhotoSize]:
    """The JPEGs Telegram would keep of an uploaded photo, smallest first."""
    current = _decoded(data)
    original = current.size
    sizes: list[PhotoSize] = []
    for box in reversed(BOXES):
        width, height = fitted(original, box)
        if sizes and (width, height) == (sizes[-1].width, sizes[-1].height):
            continue
        # Each size is scaled from the next larger one (less work), to the size the original
        # gives (no rounding drift).
        if current.size != (width, height):
            current = current.resize((width, height), Image.Resampling.LANCZOS)
        sizes.append(PhotoSize(width, height, _jpeg(current)))
    return sizes[::-1]


def fitted(size: tuple[int, int], box: int) -> tuple[int, int]:
    """`size` scaled to fit a `box`×`box` square, never enlarged."""
    width, height = size
    longer = max(width, height)
    if longer <= box:
        return width, height
    return max(1, round(width * box / longer)), max(1, round(height * box / longer))


def _decoded(data: bytes) -> Image.Image:
    """The photo, upright, in RGB."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if not _allowed(width, height):
                    raise PhotoRefused(
                        "PHOTO_INVALID_DIMENSIONS",
                        f"a {width}x{height} photo is too large or too narrow",
                    )
                opened.load()
                return _on_white(ImageOps.exif_transpose(opened))
    except PhotoRefused:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        # Pillow reports bytes it can't read as one of these, whatever the format.
        raise PhotoRefused("IMAGE_PROCESS_FAILED", "the file is not an image") from None


def _allowed(width: int, height: int) -> bool:
    return width + height <= MAX_SIDES and max(width, height) <= MAX_RATIO * min(width, height)


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white (JPEG has no alpha)."""
    if image.mode == "P" or image.mode == "LA" or image.mode == "RGBA":
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
