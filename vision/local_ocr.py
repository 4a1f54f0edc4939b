"""Local OCR with tesseract (Debian: tesseract-ocr, -ukr, -eng): reads a document when no vision model can."""
from __future__ import annotations

import functools
import io
import shutil
import time
from dataclasses import dataclass

LANGS = ("ukr", "eng")


@dataclass(frozen=True, slots=True)
class LocalText:
    """What tesseract read: the text in reading order, mean word confidence (0–100) and the time it took."""

    text: str
    confidence: float
    seconds: float


@functools.cache
def languages() -> tuple[str, ...]:
    """Our languages tesseract has installed; () when tesseract itself is missing."""
    if shutil.which("tesseract") is None:
        return ()
    import pytesseract  # only where tesseract exists: the bot runs without both

    try:
        have = set(pytesseract.get_languages(config=""))
    except (OSError, RuntimeError, pytesseract.TesseractError):
        return ()
    return tuple(lang for lang in LANGS if lang in have)


def available() -> bool:
    """Whether local OCR can run here."""
    return bool(languages())


def read_text(data: bytes) -> LocalText:
    """Read a prepared image (blocking: run it in a thread); lines and paragraphs kept."""
    import pytesseract
    from PIL import Image as PILImage  # with the first photo read, not at start
    from PIL import ImageOps

    started = time.perf_counter()
    img = ImageOps.grayscale(PILImage.open(io.BytesIO(data)))
    if max(img.size) < 1000:  # tesseract reads glyphs best at ~30 px per line: enlarge small photos
        img = img.resize((img.width * 2, img.height * 2), PILImage.Resampling.LANCZOS)
    words = pytesseract.image_to_data(img, lang="+".join(languages()), config="--psm 3",
                                      output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences = []
    for i, word in enumerate(words["text"]):
        if not word.strip():
            continue
        lines.setdefault((words["block_num"][i], words["par_num"][i], words["line_num"][i]), []).append(word)
        confidences.append(float(words["conf"][i]))
    text, last_par = [], None
    for (block, par, _), line in lines.items():  # dicts keep tesseract's reading order
        if last_par is not None and last_par != (block, par):
            text.append("")  # a blank line between paragraphs, as on the page
        text.append(" ".join(line))
        last_par = (block, par)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return LocalText("\n".join(text).strip(), mean, time.perf_counter() - started)
