"""Image files and uploads decoded one way on every path: explain, datasets, the API's renders.

:func:`decode_image` refuses an image whose header claims more than ``max_pixels`` pixels before
a single pixel is decoded: a 0.5 MB blank PNG can claim 13000x13000 pixels and take gigabytes
once decoded and converted. It returns images with 8-bit pixel values, so a model sees the same
picture whichever path read the file:

- 8-bit modes (``L``, ``RGB``, ``RGBA``, ``P``, ...) are returned as decoded. Pillow itself
  reads 16-bit colour PNGs as 8-bit ``RGB`` (their high byte).
- 16-bit grey (``I;16``, ``I;16B``, ...), and 32-bit integer (``I``) images whose values all lie
  in [0, 65535], are divided by 257 and rounded: 0 stays 0, 65535 becomes 255, and every
  multiple of 257 maps back exactly, the inverse of how 8-bit values widen to 16 bits
  (``v * 257``). Pillow's own conversion clips them to 255 instead, which turns them white.
- Floating-point (``F``) images whose finite values all lie in [0, 1] are multiplied by 255 and
  rounded: [0, 1] is the usual range of normalised data. Any other range has no agreed white
  point, so those values (and ``I`` images outside [0, 65535]) are stretched min-max to
  [0, 255]; a constant image becomes 0. Non-finite values become 0. Pillow's own conversion
  clips floats to [0, 255], which turns a [0, 1] image black.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from relex.ingest.errors import RelexError

MAX_PIXELS = 40_000_000
"""The most pixels (width x height) an image may have: 40 megapixels, 120 MB as 8-bit RGB."""

SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
SIXTEEN_BIT_MAX = 65535


class UnreadableImageError(RelexError):
    """An image that cannot be decoded: missing, corrupt, of an unknown format or too large."""

    def __init__(self, name: str, reason: str, message: str | None = None) -> None:
        super().__init__(message or f"{name} is not a readable image ({reason})")
        self.name = name
        self.reason = reason


class ImageTooLargeError(UnreadableImageError):
    """An image whose header claims more pixels than the limit (a decompression bomb)."""

    def __init__(
        self, name: str, pixels: int, limit: int, size: tuple[int, int] | None = None
    ) -> None:
        claimed = f"{pixels:,} pixels"
        if size is not None:
            claimed = f"{size[0]}x{size[1]} = {claimed}"
        reason = f"{claimed}, over the limit of {limit:,} pixels"
        super().__init__(name, reason, f"{name} is too large: {reason} (refused before decoding)")
        self.pixels = pixels
        self.limit = limit


def decode_image(
    source: Path | bytes, *, name: str | None = None, max_pixels: int = MAX_PIXELS
) -> Image.Image:
    """Decode an image file or bytes fully, with 8-bit pixel values (see the module doc).

    ``name`` names the image in errors (default: the path). Raises :class:`ImageTooLargeError`
    before decoding when the header claims more than ``max_pixels`` pixels, and
    :class:`UnreadableImageError` for anything else that cannot be decoded.
    """
    label = name or str(source if isinstance(source, Path) else "the image")
    if isinstance(source, Path) and not source.exists():
        raise UnreadableImageError(label, "it does not exist", f"image {label} does not exist")
    if isinstance(source, Path) and not source.is_file():
        raise UnreadableImageError(label, "it is not a file", f"{label} is not a file")
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 megapixels on; the limit below is the check that counts.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(stream)
        with opened:
            width, height = opened.size
            if width * height > max_pixels:
                raise ImageTooLargeError(label, width * height, max_pixels, (width, height))
            opened.load()
            return to_eight_bit(opened)
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(label, _claimed_pixels(error), max_pixels) from None
    except UnidentifiedImageError:
        raise UnreadableImageError(label, "unknown image format, or corrupt") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise UnreadableImageError(label, str(error) or type(error).__name__) from None


def to_eight_bit(image: Image.Image) -> Image.Image:
    """``image`` with 8-bit pixel values: 16-bit, 32-bit integer and float grey images scaled
    as the module doc says, any other mode unchanged."""
    if image.mode in SIXTEEN_BIT_MODES:
        return _grey(np.asarray(image).astype(np.float32) / 257.0)
    if image.mode == "I":
        pixels = np.asarray(image).astype(np.float64)
        if pixels.size and (pixels.min() < 0 or pixels.max() > SIXTEEN_BIT_MAX):
            return _grey(_stretched(pixels))
        return _grey(pixels / 257.0)
    if image.mode == "F":
        pixels = np.asarray(image).astype(np.float32)
        finite = np.isfinite(pixels)
        pixels = np.where(finite, pixels, 0.0)
        if pixels.size and (pixels.min() < 0 or pixels.max() > 1):
            return _grey(np.where(finite, _stretched(pixels, finite), 0.0))
        return _grey(pixels * 255.0)
    return image


def _stretched(pixels: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """Values mapped linearly onto [0, 255] (min to 0, max to 255) over ``where``; 0 if flat."""
    chosen = pixels if where is None else pixels[where]
    low, high = float(chosen.min()), float(chosen.max())
    if high <= low:
        return np.zeros_like(pixels)
    return (pixels - low) * (255.0 / (high - low))


def _grey(values: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))


def _claimed_pixels(error: Image.DecompressionBombError) -> int:
    """The pixel count Pillow's own (higher) limit refused, read from its message."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    return int(found.group(1)) if found else 2 * (Image.MAX_IMAGE_PIXELS or 0) + 1
