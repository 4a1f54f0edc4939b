"""Voice inside a turn: a voice note heard (download → probe → daily seconds → speech model) and shown as
"🎙 …" above the answer; answers spoken back in chats that asked for it with /voice on."""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace

from bot.turn.file_limits import CLOUD_MB, MB
from bot.turn.handoff import MarkedSink
from bot.turn.media import MediaError, MediaSource
from bot.turn.sink import ReplySink
from bot.views.usage import voice_quota_notice
from i18n import Translator, translator
from ops.voice_use import VoiceUse
from router.core import ModelRouter
from router.errors import AllTargetsFailed, BadAudio, LocalOnlyUnavailable, ProviderError
from router.types import SpeechRequest, TranscribeRequest, Transcript
from storage.store import Inbound, Store
from voice.probe import AudioRejected, probe
from voice.speakable import for_speech

log = logging.getLogger(__name__)
SHOWN_CHARS = 900  # a long note's transcript is shown cut (the model still gets all of it)
_MARKDOWN = re.compile(r"([\\`*_\[\]()<>#~|])")  # characters the answer's Markdown renderer would act on
_CYRILLIC, _LATIN = re.compile(r"[\u0400-\u04ff]"), re.compile(r"[A-Za-z]")
SPOKEN = ("uk", "en")  # languages the answers are spoken in; others hear Ukrainian, the bot's first language


class VoiceRefused(Exception):
    """A voice note that gets a notice instead of an answer; `text` is that notice, in the user's language."""

    def __init__(self, text: str, detail: str = "") -> None:
        super().__init__(detail or text)
        self.text = text


@dataclass(frozen=True, slots=True)
class Listener:
    """Who sent a voice note, where: the speech route's context and the daily seconds' subjects."""

    bot: str
    chat_id: int
    user_id: int
    chat_type: str
    agent: str
    language: str  # the user's language: the notices' (the speech itself is left for the model to detect)
    local_only: bool = False


class VoiceTurn:
    """Turns voice notes into text for the chat model, and answers into voice messages."""

    def __init__(self, router: ModelRouter, store: Store, *, max_seconds: float = 300.0, max_mb: int = CLOUD_MB,
                 use: VoiceUse | None = None) -> None:
        self.router, self.store, self.max_seconds, self.use = router, store, max_seconds, use
        self.max_mb = max_mb  # the audio cap (FileLimits.audio): over it a recording is refused unheard

    async def hear(self, media: MediaSource | None, ref: str, who: Listener) -> Transcript:
        """The transcript of one recording, or VoiceRefused with what to tell the user (no speech included)."""
        tr = translator(who.language)
        if media is None:
            raise VoiceRefused(tr("voice_download_failed"), "no media source")
        try:
            data = await media.raw(who.bot, ref)
        except MediaError as exc:
            raise VoiceRefused(tr(f"voice_{exc.reason}", mb=exc.mb or self.max_mb), str(exc)) from None
        try:  # PyAV off the event loop
            audio = await asyncio.to_thread(probe, data, max_seconds=self.max_seconds, max_bytes=self.max_mb * MB)
        except AudioRejected as exc:
            raise VoiceRefused(self._rejected(tr, exc), str(exc)) from None
        await self._check_quota(tr, who, audio.seconds)
        try:
            transcript = await self.router.transcribe(TranscribeRequest(
                # No language hint: the app's language is not always the one spoken, and a Whisper told the wrong
                # one translates or garbles; every target detects it from the speech instead.
                audio, language="", agent=who.agent, local_only=who.local_only,
                user_id=who.user_id, chat_id=who.chat_id, bot=who.bot,
                chat="private" if who.chat_type == "private" else "group"))
        except BadAudio as exc:
            raise VoiceRefused(tr("voice_corrupt"), str(exc)) from None
        except LocalOnlyUnavailable as exc:
            raise VoiceRefused(tr("voice_local_only"), str(exc)) from None
        except (AllTargetsFailed, ProviderError) as exc:
            raise VoiceRefused(tr("voice_stt_unavailable"), str(exc)) from None
        if not transcript.text.strip():
            raise VoiceRefused(tr("voice_no_speech"), "no speech")  # nothing goes to the chat model
        return transcript

    async def take(self, media: MediaSource | None, inbound_id: int, inbound: Inbound, local_only: bool,
                   sink: ReplySink) -> tuple[Inbound, ReplySink]:
        """A stored voice message heard: stored as its transcript (a restart never hears it twice), shown at once."""
        who = Listener(inbound.scope.bot, inbound.scope.chat_id, inbound.user_id, inbound.chat_type, inbound.agent,
                       inbound.language, local_only)
        transcript = await self.hear(media, inbound.attachments[0], who)
        # A caption typed with the recording ("summarise this") is part of the message: it stays above the words.
        text = f"{inbound.text.strip()}\n\n{transcript.text}" if inbound.text.strip() else transcript.text
        await self.store.transcribed(inbound_id, text)
        shown = shown_sink(sink, transcript, translator(inbound.language))
        await shown.update("")  # the transcript is visible while the model thinks
        return replace(inbound, text=text, mode="chat", attachments=()), shown

    async def reply(self, text: str, inbound: Inbound, local_only: bool, sink: ReplySink) -> None:
        """Speak the answer's first paragraph after its text; a failure leaves the text answer alone."""
        spoken = for_speech(text)
        if not spoken:
            return
        language = spoken_language(spoken, translator(inbound.language).lang)
        try:
            speech = await self.router.speak(SpeechRequest(
                spoken, language=language, agent=inbound.agent,
                local_only=local_only, user_id=inbound.user_id, chat_id=inbound.scope.chat_id, bot=inbound.scope.bot,
                chat="private" if inbound.chat_type == "private" else "group"))
            await sink.voice(speech.data, speech.seconds)
        except ProviderError as exc:
            log.warning("no voice for the answer in chat %s: %s", inbound.scope.chat_id, exc)
        except Exception:
            log.exception("could not send the spoken answer in chat %s", inbound.scope.chat_id)

    def _rejected(self, tr: Translator, exc: AudioRejected) -> str:
        if exc.reason == "too_long":
            return tr("voice_too_long", limit=tr.wait(self.max_seconds))
        return tr(f"voice_{exc.reason}", mb=self.max_mb)

    async def _check_quota(self, tr: Translator, who: Listener, seconds: float) -> None:
        if self.use is None:
            return
        over = await self.use.check(who.user_id, who.chat_id, who.chat_type, seconds)
        if over is not None:
            raise VoiceRefused(voice_quota_notice(over, tr.lang, self.use), f"{over.scope} daily voice seconds used")


def spoken_language(text: str, usual: str) -> str:
    """The voice for the words themselves (an answer follows the language the user wrote in, not the app's):
    Cyrillic is spoken in Ukrainian, Latin in English; the app's language when the script does not tell."""
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic != latin:
        return "uk" if cyrillic > latin else "en"
    return usual if usual in SPOKEN else SPOKEN[0]


def shown_sink(sink: ReplySink, transcript: Transcript, tr: Translator) -> ReplySink:
    """The answer's sink with "🎙 <transcript>" quoted above every preview and the final text."""
    text = " ".join(transcript.text.split())
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS].rsplit(" ", 1)[0] + "…"
    text = _MARKDOWN.sub(r"\\\1", text)  # the words as heard: "snake_case" or "[1](x)" is no Markdown here
    line = tr("voice_heard_unsure" if transcript.uncertain else "voice_heard", text=text)
    return MarkedSink(sink, "> " + line.replace("\n", " "))
