"""Bot-side cost of an incoming photo: download from the (fake) Bot API file endpoint, then vision.images.prepare
(decode, EXIF rotate, downscale, JPEG encode), for 1-, 4- and 10-photo albums of 12-megapixel JPEGs, with the
photos of an album handled one after another and concurrently (asyncio.to_thread). Target: <= 50 ms per photo.

Run: .venv/bin/python bench/vision.py   (prints numbers; asserts nothing; stops by itself in under a minute)
"""
from __future__ import annotations

import asyncio
import io
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from PIL import Image as PILImage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.testing import FakeTelegram
from router.types import Image
from vision.images import ImageLimits, prepare

TOKEN = "42:bench"
SIZE = (4000, 3000)
VARIANTS = 3  # distinct photos, cycled through an album (generating one takes about a second)
REPS = 5
ALBUMS = (1, 4, 10)
LIMITS = ImageLimits()


def photo(seed: int) -> bytes:
    """A 12 MP phone-like JPEG: smooth colour gradients plus sensor-like noise, so it does not compress trivially."""
    w, h = SIZE
    grad = [PILImage.linear_gradient("L"), PILImage.radial_gradient("L"), PILImage.linear_gradient("L").rotate(90)]
    base = PILImage.merge("RGB", [g.rotate(seed * 40).resize(SIZE) for g in grad])
    # Noise drawn at quarter size and upscaled = soft texture (foliage, fabric); full-size noise = sensor grain.
    # Together they land at 3-4 MB, like a phone's 12 MP photo; decode time follows the compressed size.
    texture = [PILImage.effect_noise((w // 4, h // 4), 80).resize(SIZE, PILImage.Resampling.BICUBIC) for _ in "rgb"]
    grain = PILImage.merge("RGB", [PILImage.effect_noise(SIZE, 30) for _ in "rgb"])
    img = PILImage.blend(PILImage.blend(base, PILImage.merge("RGB", texture), 0.3), grain, 0.15)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)  # phone cameras save at roughly this quality
    return buf.getvalue()


def ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms"


async def p50(run: Callable[[], Awaitable[object]], reps: int = REPS) -> float:
    """Median wall time of `reps` runs, in seconds."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        await run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def main() -> None:
    t0 = time.perf_counter()
    photos = [photo(i) for i in range(VARIANTS)]
    print(f"{VARIANTS} photos {SIZE[0]}x{SIZE[1]} JPEG, "
          f"{statistics.mean(len(p) for p in photos) / 1e6:.1f} MB each, "
          f"generated in {time.perf_counter() - t0:.1f} s; "
          f"{os.cpu_count()} CPUs; max_side={LIMITS.max_side} quality={LIMITS.quality}")

    async with FakeTelegram() as tg, aiohttp.ClientSession() as http:
        tg.add_bot(TOKEN, "bench_bot")
        for i in range(max(ALBUMS)):
            tg.add_file(TOKEN, f"photo{i}", photos[i % VARIANTS], file_path=f"photos/file_{i}.jpg")
        urls = [f"{tg.url}/file/bot{TOKEN}/photos/file_{i}.jpg" for i in range(max(ALBUMS))]

        async def download(url: str) -> bytes:
            async with http.get(url) as response:
                response.raise_for_status()
                return await response.read()

        async def handle(url: str) -> Image:
            return await asyncio.to_thread(prepare, await download(url), LIMITS)

        # Per photo, by stage (one photo at a time, nothing else running).
        down, prep = [], []
        for i in range(2 * REPS):
            t = time.perf_counter()
            raw = await download(urls[i % VARIANTS])
            down.append(time.perf_counter() - t)
            t = time.perf_counter()
            out = await asyncio.to_thread(prepare, raw, LIMITS)
            prep.append(time.perf_counter() - t)
        print(f"\none photo, p50 of {2 * REPS}: download {ms(down)}  prepare {ms(prep)}  "
              f"total {ms([a + b for a, b in zip(down, prep, strict=False)])}   -> {out.width}x{out.height} JPEG, "
              f"{len(out.data) / 1024:.0f} KB")
        stages(photos[0])
        # What Telegram delivers for a photo sent as a photo: recompressed to at most 2560 px (the bot picks
        # the smallest size that still fills max_side); 12 MP arrives only as a file.
        buf = io.BytesIO()
        PILImage.open(io.BytesIO(photos[0])).resize((2560, 1920)).save(buf, "JPEG", quality=87)
        tg_photo = buf.getvalue()
        times = []
        for _ in range(2 * REPS):
            t = time.perf_counter()
            await asyncio.to_thread(prepare, tg_photo, LIMITS)
            times.append(time.perf_counter() - t)
        print(f"  a photo as Telegram sends it (2560x1920, {len(tg_photo) / 1e6:.1f} MB): prepare {ms(times)}")

        print(f"\nalbums (p50 of {REPS}; 'per photo' = album time / photos):")
        print(f"{'photos':>6}  {'sequential album':>17} {'per photo':>10}   {'concurrent album':>17} {'per photo':>10}")
        for n in ALBUMS:
            album = urls[:n]

            async def sequential(album: list[str] = album) -> None:
                for url in album:
                    await handle(url)

            async def concurrent(album: list[str] = album) -> None:
                await asyncio.gather(*(handle(url) for url in album))

            seq, con = await p50(sequential), await p50(concurrent)
            print(f"{n:>6}  {seq * 1000:14.0f} ms {seq / n * 1000:7.1f} ms   "
                  f"{con * 1000:14.0f} ms {con / n * 1000:7.1f} ms")


def stages(raw: bytes) -> None:
    """Where prepare's time goes, and what the JPEG draft and the HAMMING choice save (the steps prepare does)."""
    def timed(step: Callable[[], object], reps: int = 2 * REPS) -> list[float]:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        return times

    def decode(draft: bool) -> PILImage.Image:
        img = PILImage.open(io.BytesIO(raw))
        if draft:
            img.draft("RGB", (LIMITS.max_side, LIMITS.max_side * SIZE[1] // SIZE[0]))
        img.load()
        return img

    drafted = decode(True)
    target = (LIMITS.max_side, round(LIMITS.max_side * SIZE[1] / SIZE[0]))
    small = drafted.resize(target, PILImage.Resampling.BICUBIC)
    with_draft = ms(timed(lambda: decode(True)))
    print(f"  prepare stages: decode with draft {with_draft} (to {drafted.width}x{drafted.height}),"
          f" without {ms(timed(lambda: decode(False), 3))}")
    for name in ("HAMMING", "BICUBIC", "LANCZOS", "BILINEAR"):
        resample = PILImage.Resampling[name]
        print(f"  resize {drafted.width}x{drafted.height} -> {target[0]}x{target[1]} {name:<8} "
              f"{ms(timed(lambda r=resample: drafted.resize(target, r)))}")
    encode = ms(timed(lambda: small.save(io.BytesIO(), "JPEG", quality=LIMITS.quality)))
    print(f"  encode JPEG q{LIMITS.quality} {encode}")


OCR_LINES = [
    "ТОВ «Сільпо-Фуд» м. Київ, вул. Хрещатик 1", "ФІСКАЛЬНИЙ ЧЕК № 004512", "Хліб житній 0,5 кг 31.50",
    "Молоко пастеризоване 2,5% 1 л 42.90", "Сир твердий «Гауда» 0,3 кг 189.00", "Яблука Голден 1,2 кг 57.60",
    "СУМА 412.50 UAH", "Partia / Batch: L-2611-07", "Best before: 12.03.2027", "Ingredients: wheat flour, water, salt",
    "Вжити до: 12.03.2027", "Виробник: ФГ «Зелена долина», Полтавська обл.", "Thank you for shopping with us",
    "Енергоспоживання: 1 250 кВт·год", "Invoice No. 2026-118, total due 18 400.00 UAH",
]


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (characters)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def ocr_pages() -> list[tuple[str, bytes, str]]:
    """Generated pages of known text: clean scans and 'photos' (slight tilt, blur, JPEG q70), two font sizes."""
    from PIL import ImageDraw, ImageFilter, ImageFont

    pages = []
    for n, (size, photo_like) in enumerate([(s, p) for s in (22, 30) for p in (False, True)] * 3):
        lines = [OCR_LINES[(n * 4 + k) % len(OCR_LINES)] for k in range(5)]
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)
        img = PILImage.new("RGB", (1100, 60 + int(size * 2) * len(lines)), "white")
        draw = ImageDraw.Draw(img)
        for k, line in enumerate(lines):
            draw.text((40, 30 + int(size * 2) * k), line, fill="black", font=font)
        quality = 90
        if photo_like:
            img = img.rotate(1.5, expand=True, fillcolor="white").filter(ImageFilter.GaussianBlur(0.8))
            quality = 70
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        pages.append((f"{size}px {'photo' if photo_like else 'scan'}", buf.getvalue(), "\n".join(lines)))
    return pages


def local_ocr_bench() -> None:
    """Character error rate and time of the local OCR fallback (tesseract) on generated pages."""
    from vision import local_ocr

    if not local_ocr.available():
        print("\nlocal OCR: tesseract not installed "
              "(apt-get install tesseract-ocr tesseract-ocr-ukr tesseract-ocr-eng)")
        return
    by_kind: dict[str, list[tuple[float, float, float]]] = {}
    for kind, data, truth in ocr_pages():
        read = local_ocr.read_text(data)
        ref, hyp = " ".join(truth.split()), " ".join(read.text.split())
        words = set(hyp.split())
        word_acc = sum(w in words for w in ref.split()) / len(ref.split())
        by_kind.setdefault(kind, []).append((_edits(ref, hyp) / len(ref), word_acc, read.seconds))
    print(f"\nlocal OCR (tesseract {'+'.join(local_ocr.languages())}), {sum(map(len, by_kind.values()))} generated "
          "pages of 5 uk/en receipt and label lines:")
    for kind, rows in by_kind.items():
        cer, acc, sec = (statistics.mean(r[i] for r in rows) for i in range(3))
        print(f"  {kind:<10} CER {cer * 100:5.1f} %   words found {acc * 100:5.1f} %   {sec * 1000:5.0f} ms per page")


if __name__ == "__main__":
    asyncio.run(main())
    local_ocr_bench()
