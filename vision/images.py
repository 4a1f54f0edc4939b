"""Turn untrusted image bytes (a Telegram photo or document) into a small, metadata-free JPEG for a model.

`prepare` is CPU-bound and synchronous: callers run it in `asyncio.to_thread`, never on the event loop.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from router.types import Image

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = ["ImageLimits", "ImageRejected", "prepare"]

# Decoders we accept; limiting Image.open to these keeps rarely-fuzzed plugins (PSD, EPS, ...) off untrusted input.
# MPO (what many phone cameras write) is opened by the JPEG plugin.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
REASONS = frozenset({"not_image", "corrupt", "too_many_pixels", "too_large", "empty"})
_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})


@cache
def _upright_table() -> dict[int, PILImage.Transpose]:
    """EXIF Orientation -> the transpose that makes the picture upright (the table ImageOps.exif_transpose uses)."""
    from PIL import Image as PILImage  # Pillow loads with the first photo, not at start

    t = PILImage.Transpose
    return {2: t.FLIP_LEFT_RIGHT, 3: t.ROTATE_180, 4: t.FLIP_TOP_BOTTOM, 5: t.TRANSPOSE, 6: t.ROTATE_270,
            7: t.TRANSVERSE, 8: t.ROTATE_90}


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What `prepare` accepts and how big and how good its output is."""

    max_side: int = 1568  # longest side sent to a model (downscale keeps aspect ratio)
    max_pixels: int = 50_000_000  # more pixels than this in the header = refused before decoding (decompression bomb)
    max_bytes: int = 50 * 1024 * 1024  # bigger files are refused unopened; the bot passes its own cap
    quality: int = 85  # JPEG quality of what is sent


class ImageRejected(Exception):
    """Why an image cannot be used; `reason` is one of: not_image, corrupt, too_many_pixels, too_large, empty."""

    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def prepare(raw: bytes, limits: ImageLimits = ImageLimits()) -> Image:
    """Validate and normalise one image for a model: format check, EXIF rotation, downscale, JPEG out.

    Output is always an RGB JPEG without metadata (no EXIF/GPS, no ICC): one format every provider takes, and
    at `max_side` text in screenshots stays legible at quality 85, so PNG output would only cost bytes.
    """
    if not raw:
        raise ImageRejected("empty")
    if len(raw) > limits.max_bytes:
        raise ImageRejected("too_large", f"{len(raw)} bytes > {limits.max_bytes}")
    from PIL import Image as PILImage  # Pillow loads with the first photo, not at start
    from PIL import UnidentifiedImageError

    try:
        img = PILImage.open(io.BytesIO(raw), formats=FORMATS)
    except UnidentifiedImageError as e:
        raise ImageRejected("not_image", str(e)) from None
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as e:
        # Pillow's own bomb check ran at open (only reachable above its ~89 MP limit, i.e. above ours by default).
        raise ImageRejected("too_many_pixels", str(e)) from None
    except Exception as e:  # noqa: BLE001  # a recognised header that then fails to parse: any error is a reply
        raise ImageRejected("corrupt", f"{type(e).__name__}: {e}") from None
    with img:
        width, height = img.size
        # Image.open only read the header, so this refuses a bomb before a single pixel is decoded. We check
        # ourselves rather than turning DecompressionBombWarning into an error with warnings.catch_warnings:
        # that mutates process-wide filters and prepare runs in several threads at once.
        if width * height > limits.max_pixels:
            raise ImageRejected("too_many_pixels", f"{width}x{height} > {limits.max_pixels} pixels")
        try:
            return _normalise(img, limits)
        except ImageRejected:
            raise
        except Exception as e:  # noqa: BLE001  # a broken upload is a reply (why below)
            # Truncated data surfaces as OSError, but Pillow's plugins also raise SyntaxError, ValueError,
            # struct.error, IndexError, EOFError...; a broken upload must become a reply, never a traceback.
            raise ImageRejected("corrupt", f"{type(e).__name__}: {e}") from None


def _normalise(img: PILImage.Image, limits: ImageLimits) -> Image:
    """Decode, downscale, rotate upright, flatten to RGB and encode as JPEG."""
    from PIL import Image as PILImage

    # Read before converting: convert/flatten return new images that no longer carry TIFF tags.
    upright = _upright_table().get(_orientation(img))
    target = _fit(img.size, limits.max_side)
    if target != img.size:
        # JPEG only (a no-op for other formats): libjpeg decodes at 1/2, 1/4 or 1/8 scale, never below target,
        # which is most of the time saved on a phone photo. max_side bounds a square, so the un-rotated size
        # gives the same scale as the rotated one.
        img.draft("RGB", target)
    img.load()
    img = _to_rgb(img)
    # HAMMING: Pillow's downscaling filter with BILINEAR's cost and sharper edges; after draft the remaining
    # step is under 2x, where it reads small print as well as BICUBIC at 60 % of the time (bench/vision.py).
    # reducing_gap first box-reduces large non-JPEG inputs cheaply.
    img.thumbnail((limits.max_side, limits.max_side), PILImage.Resampling.HAMMING, reducing_gap=2.0)
    if upright is not None:  # after the resize, so fewer pixels are moved
        img = img.transpose(upright)
    out = io.BytesIO()
    # No exif= / icc_profile=: EXIF (GPS, camera serial) never leaves the bot.
    img.save(out, "JPEG", quality=limits.quality)
    return Image(data=out.getvalue(), mime="image/jpeg", width=img.width, height=img.height)


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """At least the size `thumbnail` will produce (longest side max_side, aspect kept, never upscaled)."""
    w, h = size
    scale = max_side / max(w, h)
    if scale >= 1:
        return w, h
    # Rounded up: draft never decodes below what it is asked for, so the resize never has to upscale.
    return math.ceil(w * scale), math.ceil(h * scale)


def _to_rgb(img: PILImage.Image) -> PILImage.Image:
    """RGB pixels: transparency flattened on white (what a chat client shows), 16-bit grey scaled, not clipped."""
    if img.mode == "RGB":
        return img
    from PIL import Image as PILImage

    if img.mode in _SIXTEEN_BIT:
        # Pillow's convert clips 16-bit values at 255, which would turn a 16-bit grey PNG nearly white.
        img = img.point(lambda v: v / 257)
    if img.has_transparency_data:
        rgba = img.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


def _orientation(img: PILImage.Image) -> int:
    """The EXIF Orientation (1 = upright) from the header."""
    from PIL import ExifTags

    try:
        return int(img.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # noqa: BLE001  # malformed EXIF: an unrotated photo is still worth sending
        return 1
