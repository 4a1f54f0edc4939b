"""Images before a model sees them: downscaled, upright, without EXIF/GPS, flattened to JPEG; bad input refused."""
from __future__ import annotations

import io
import random
import struct
import time
import zlib

import pytest
from PIL import ExifTags
from PIL import Image as PILImage

from vision.images import ImageLimits, ImageRejected, prepare

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def encode(img: PILImage.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def decode(data: bytes) -> PILImage.Image:
    img = PILImage.open(io.BytesIO(data))
    img.load()
    return img


def close(pixel: tuple[int, ...], colour: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(pixel[:3], colour, strict=False))


DEFAULT_LIMITS = ImageLimits()


def rejected(raw: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(ImageRejected) as e:
        prepare(raw, limits)
    return e.value.reason


def png_declaring(width: int, height: int) -> bytes:
    """A 1x1 PNG whose IHDR claims width x height: tiny on disk, a bomb if anything decoded it."""
    raw = bytearray(encode(PILImage.new("RGB", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR length and type
    raw[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    raw[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(raw[ihdr - 4:ihdr + 13]))
    return bytes(raw)


def test_a_12_megapixel_photo_is_downscaled_to_1568_keeping_its_aspect_ratio() -> None:
    out = prepare(encode(PILImage.new("RGB", (4000, 3000), BLUE), quality=90))
    assert out.mime == "image/jpeg"
    assert (out.width, out.height) == (1568, 1176)
    assert decode(out.data).size == (1568, 1176), "the stated size is the real one"
    assert decode(out.data).format == "JPEG"


def test_a_small_image_is_not_upscaled() -> None:
    out = prepare(encode(PILImage.new("RGB", (300, 200), BLUE)))
    assert (out.width, out.height) == (300, 200)
    assert decode(out.data).size == (300, 200)


def test_a_sideways_phone_photo_comes_out_upright() -> None:
    # Stored landscape with a red block top-left; Orientation=6 means "rotate 90 degrees clockwise to view",
    # so upright it is portrait and the block is top-right. Big enough to go through the JPEG draft path too.
    stored = PILImage.new("RGB", (3200, 1600), BLUE)
    stored.paste(RED, (0, 0, 400, 400))
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    out = prepare(encode(stored, exif=exif))
    assert (out.width, out.height) == (784, 1568), "width and height swapped, longest side capped"
    img = decode(out.data)
    assert close(img.getpixel((out.width - 40, 40)), RED), "marker ends up top-right"
    assert close(img.getpixel((40, 40)), BLUE)
    assert close(img.getpixel((40, out.height - 40)), BLUE)


def test_exif_and_gps_never_reach_the_model() -> None:
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (50.0, 27.0, 1.0)}
    raw = encode(PILImage.new("RGB", (640, 480), BLUE), exif=exif)
    assert PILImage.open(io.BytesIO(raw)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the input does carry GPS"
    out = prepare(raw)
    img = decode(out.data)
    assert len(img.getexif()) == 0
    assert "exif" not in img.info
    assert b"SecretCam" not in out.data and b"Exif" not in out.data


def test_a_transparent_png_becomes_a_jpeg_on_white() -> None:
    img = PILImage.new("RGBA", (200, 100), (0, 0, 0, 0))  # transparent *black*: must not show as black
    img.paste((255, 0, 0, 255), (100, 0, 200, 100))
    out = prepare(encode(img, "PNG"))
    assert out.mime == "image/jpeg"
    got = decode(out.data)
    assert got.mode == "RGB"
    assert close(got.getpixel((20, 50)), WHITE)
    assert close(got.getpixel((180, 50)), RED)


def test_a_palette_png_with_a_transparent_colour_is_flattened_on_white() -> None:
    img = PILImage.new("P", (100, 100), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (50, 0, 100, 100))
    got = decode(prepare(encode(img, "PNG", transparency=0)).data)
    assert close(got.getpixel((10, 50)), WHITE)
    assert close(got.getpixel((90, 50)), RED)


def test_a_16_bit_grey_png_keeps_its_tones() -> None:
    # Pillow's plain convert clips 16-bit values at 255: mid-grey would come out white.
    got = decode(prepare(encode(PILImage.new("I;16", (64, 64), 32768), "PNG")).data)
    assert close(got.getpixel((10, 10)), (128, 128, 128), tol=8)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_common_formats_are_accepted_and_sent_as_jpeg(fmt: str) -> None:
    img = PILImage.new("RGB", (2000, 1000), RED)
    out = prepare(encode(img, fmt))
    assert out.mime == "image/jpeg" and (out.width, out.height) == (1568, 784)
    assert close(decode(out.data).getpixel((10, 10)), RED)


def test_a_multi_picture_jpeg_from_a_phone_camera_is_accepted() -> None:
    frames = [PILImage.new("RGB", (2000, 1500), c) for c in (RED, BLUE)]
    raw = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert PILImage.open(io.BytesIO(raw)).format == "MPO"
    out = prepare(raw)
    assert (out.width, out.height) == (1568, 1176) and close(decode(out.data).getpixel((10, 10)), RED)


def test_an_animated_gif_sends_its_first_frame() -> None:
    frames = [PILImage.new("RGB", (50, 50), c) for c in (RED, BLUE)]
    raw = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert close(decode(prepare(raw).data).getpixel((25, 25)), RED)


def test_a_cmyk_jpeg_comes_out_rgb() -> None:
    got = decode(prepare(encode(PILImage.new("CMYK", (100, 100), (0, 255, 255, 0)))).data)
    assert got.mode == "RGB" and close(got.getpixel((50, 50)), RED)


@pytest.mark.parametrize("raw", [
    b"just some notes, saved as x.jpg\n" * 10,
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    b"\x00" * 64,
])
def test_a_file_that_is_not_an_image_is_refused_as_not_image(raw: bytes) -> None:
    assert rejected(raw) == "not_image"


def test_a_format_outside_the_allowed_list_is_not_an_image() -> None:
    assert rejected(encode(PILImage.new("RGB", (10, 10)), "PPM")) == "not_image"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_upload_is_corrupt(fmt: str) -> None:
    noise = PILImage.effect_noise((400, 300), 60).convert("RGB")
    raw = encode(noise, fmt)
    assert rejected(raw[: len(raw) // 2]) == "corrupt"


@pytest.mark.parametrize("side", [20_000, 8_000])  # above Pillow's own bomb limit, and between ours and Pillow's
def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(side: int) -> None:
    raw = png_declaring(side, side)
    start = time.perf_counter()
    # Decoding would have found 1 pixel of data for side*side and said corrupt (after allocating ~side*side*3
    # bytes); too_many_pixels means the header alone decided.
    assert rejected(raw) == "too_many_pixels"
    assert time.perf_counter() - start < 0.5


def test_an_image_just_within_max_pixels_is_accepted() -> None:
    out = prepare(encode(PILImage.new("RGB", (100, 100), BLUE)), ImageLimits(max_pixels=100 * 100))
    assert (out.width, out.height) == (100, 100)
    assert rejected(encode(PILImage.new("RGB", (101, 100))), ImageLimits(max_pixels=100 * 100)) == "too_many_pixels"


def test_an_oversized_upload_is_refused_before_decoding() -> None:
    limits = ImageLimits(max_bytes=1000)
    assert rejected(encode(PILImage.effect_noise((200, 200), 60)), limits) == "too_large"
    assert rejected(b"x" * 1001, limits) == "too_large", "size is checked before the content"
    assert prepare(encode(PILImage.new("RGB", (8, 8))), limits).width == 8


def test_empty_bytes_are_refused_as_empty() -> None:
    assert rejected(b"") == "empty"


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's TIFF plugin warns about each bad tag
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"])
def test_damaged_bytes_only_ever_raise_image_rejected(fmt: str) -> None:
    # A broken upload must become a reply to the user, not a traceback from some Pillow plugin.
    good = encode(PILImage.effect_noise((64, 48), 50).convert("RGB"), fmt)
    rng = random.Random(fmt)
    for _ in range(150):
        raw = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(min(len(raw), 200))] = rng.randrange(256)
        try:
            out = prepare(bytes(raw[: rng.randint(1, len(raw))] if rng.random() < 0.3 else raw))
        except ImageRejected as e:
            assert e.reason in {"not_image", "corrupt", "too_many_pixels"}
        else:
            assert out.mime == "image/jpeg" and 0 < out.width <= 1568 and 0 < out.height <= 1568
