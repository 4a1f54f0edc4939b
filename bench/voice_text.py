"""bench/voice.py's sentences and scoring: what is spoken, how transcripts are normalised, word error rate, RTF."""
from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# 6-15 words each, from the personas' domains (energy, biomass, DAO governance, food batches), with numbers and names.
ENGLISH = (
    "The biomass boiler burned twelve tonnes of wood chips last week.",
    "Please show me the energy output of the solar farm for March.",
    "How many tokens do I need to vote on a proposal?",
    "Our DAO approved the new charter with sixty percent of the votes.",
    "Batch 42 of the apple juice failed the quality check yesterday.",
    "Helion, what is the difference between EcoMiner and BioMiner?",
    "The warehouse in Poltava has three hundred crates of honey.",
    "Send the invoice for the cheese delivery to the accountant today.",
    "Can a member delegate their vote to someone else in the community?",
    "The gas engine produces electricity and heat for the greenhouse.",
    "We sold 250 jars of strawberry jam at the Saturday market.",
    "What happens to the biochar after the pyrolysis is finished?",
    "The proposal to build a wind turbine needs a quorum by Friday.",
    "Please move the frozen dumplings to the cold room before noon.",
    "How much carbon does one tonne of sunflower husk store as biochar?",
    "The grid operator changed the tariff for night electricity again.",
    "GREENFOOD, which batches of bread expire before the weekend?",
    "Every resident can submit a proposal after seven days of membership.",
    "The cogeneration unit runs eighteen hours a day in winter.",
    "Our hub received forty boxes of organic tomatoes from two farms.",
    "Who is responsible for the logistics of the dairy products?",
    "The moderator removed the spam message and warned the user.",
    "Straw pellets are cheaper than wood pellets but leave more ash.",
    "Tell me the expiry date of the goat cheese from batch seven.",
)
UKRAINIAN = (
    "Доброго ранку, скільки енергії виробила станція вчора?",
    "Покажіть, будь ласка, залишки меду на складі в Полтаві.",
    "Як проголосувати за нову пропозицію в нашій спільноті?",
    "Партія сиру номер сім має термін придатності до п'ятниці.",
    "Котел на біомасі спалює десять тонн тріски щотижня.",
    "Хто відповідає за доставку молочної продукції в четвер?",
    "Геліон, розкажи про різницю між EcoMiner і BioMiner.",
    "Ми продали двісті банок варення на суботньому ринку.",
    "Кворум для рішення становить половину всіх учасників.",
    "Надішліть рахунок за поставку хліба бухгалтеру сьогодні.",
    "Теплиця отримує тепло від газопоршневої установки взимку.",
    "Скільки коштує одна тонна пелет із соняшникового лушпиння?",
)
TTS_EN = ENGLISH[:5]
TTS_UK = UKRAINIAN[:5]

_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_KEEP_DOT = "\ue000"  # a private-use stand-in: a decimal point survives the punctuation pass
_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


def normalise(text: str) -> str:
    """Lower case, "%" → "percent", dashes → spaces, every other punctuation mark and symbol dropped (apostrophes
    too, so "п'ятниці" and "пятниці" agree), "1,200" → "1200", decimals kept ("12.5"), English number words as
    digits ("three hundred" → "300", as Whisper writes them; the same on both sides), spaces collapsed.
    """
    text = _THOUSANDS.sub("", unicodedata.normalize("NFC", text).lower().replace("%", " percent "))
    text = _DECIMAL.sub(_KEEP_DOT, text)
    out = []
    for ch in text:
        kind = unicodedata.category(ch)
        if kind == "Pd" or ch.isspace():
            out.append(" ")
        elif kind[0] not in "PS":
            out.append(ch)
    return " ".join(digits("".join(out).replace(_KEEP_DOT, ".").split()))


def digits(words: list[str]) -> list[str]:
    """Runs of English number words as one number: ["forty", "two", "jars"] → ["42", "jars"]; "one two" stays two."""
    out: list[str] = []
    done, current, run = 0, 0, False  # `done`: thousands and millions so far; `current`: below the next scale
    for word in [*words, ""]:
        small = _UNITS.get(word, _TENS.get(word))
        # "hundred" + "one", "forty" + "two" join; "one" + "two" or "ten" + "twenty" are two numbers.
        fits = current % 100 == 0 or (word in _UNITS and current % 100 >= 20 and current % 10 == 0)
        if small is not None and run and not fits:
            out.append(str(done + current))
            done, current = 0, 0
        if small is not None:
            current, run = current + small, True
        elif word in _SCALES and run:
            if _SCALES[word] == 100:
                current *= 100
            else:
                done, current = done + current * _SCALES[word], 0
        else:
            if run:
                out.append(str(done + current))
                done, current, run = 0, 0, False
            if word:
                out.append(word)
    return out


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Word error rate over the whole set (jiwer, every word counted once), both sides normalised first."""
    import jiwer

    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    # jiwer refuses an empty reference; an empty hypothesis (nothing heard) is every word deleted, as it should be.
    return float(jiwer.wer(refs, [h or "<nothing>" for h in hyps])) if refs else float("nan")


@dataclass(frozen=True, slots=True)
class Heard:
    """One clip through one model: reference, transcript, its flags, the clip's length and the time taken."""

    reference: str
    text: str
    uncertain: bool
    language: str
    audio_seconds: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Score:
    """A model on a sentence set: WER, real-time factor (processing / audio), and how many came out marked."""

    wer: float
    rtf_p50: float
    rtf_total: float
    uncertain: int
    empty: int
    clips: int


def score(heard: Sequence[Heard]) -> Score:
    """The set's numbers; RTF total = all processing time / all audio time."""
    if not heard:
        return Score(float("nan"), float("nan"), float("nan"), 0, 0, 0)
    audio = sum(h.audio_seconds for h in heard)
    return Score(wer([h.reference for h in heard], [h.text for h in heard]),
                 statistics.median(h.seconds / h.audio_seconds for h in heard if h.audio_seconds),
                 sum(h.seconds for h in heard) / audio if audio else float("nan"),
                 sum(h.uncertain and bool(h.text) for h in heard), sum(not h.text.strip() for h in heard), len(heard))
