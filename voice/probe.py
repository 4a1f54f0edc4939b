"""Check untrusted audio bytes (a voice note, an audio file, a video note) before any model hears them.

`probe` is blocking (FFmpeg through PyAV): callers run it in `asyncio.to_thread`, never on the event loop.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

from router.types import Audio

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.container import InputContainer
    from av.packet import Packet

__all__ = ["REASONS", "AudioRejected", "probe"]

REASONS = frozenset({"too_large", "empty", "not_audio", "unsupported", "too_long"})
# Demuxer (first name FFmpeg gives it) → the file extension OpenAI-style /v1/audio/transcriptions accepts.
# mov covers mp4 and m4a; matroska covers webm (FFmpeg cannot tell them apart and both APIs take "webm").
UPLOAD_FORMATS = {"ogg": "ogg", "mp3": "mp3", "wav": "wav", "flac": "flac", "matroska": "webm", "mov": "mp4"}
# Audio containers that open but that no speech API takes by name: a clear "unsupported", not "not audio".
_OTHER_AUDIO = ("aac", "amr", "asf", "aiff", "caf", "wv", "w64", "ape", "au", "mpc", "tta")
# Only these demuxers may parse user bytes: playlists (hls, concat) that open other files or URLs, and the
# rarely-fuzzed rest, are never tried.
_WHITELIST = ",".join((*UPLOAD_FORMATS, *_OTHER_AUDIO))
_DECODE_TRIES = 8  # packets to decode before deciding the codec cannot be decoded
_SLACK = 0.5  # Telegram shows whole seconds: a "5:00" note may measure 300.02 s


class AudioRejected(Exception):
    """Why audio cannot be used; `reason` is one of REASONS; `seconds` is the length found (for too_long)."""

    def __init__(self, reason: str, detail: str = "", *, seconds: float = 0.0) -> None:
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.seconds = seconds


def probe(data: bytes, *, max_seconds: float, max_bytes: int) -> Audio:
    """The recording with its upload format and length, or AudioRejected; nothing else escapes, whatever the bytes.

    `max_bytes` is the deployment's cap (what its Bot API server serves, or lower): over it is too_large, unopened.
    Blocking: run it in `asyncio.to_thread`. Work is bounded: a container that states its length is refused
    from the header; otherwise packets are read (not decoded) only until `max_seconds` is passed.
    """
    if not data:
        raise AudioRejected("empty", "0 bytes")
    if len(data) > max_bytes:
        raise AudioRejected("too_large", f"{len(data)} bytes > {max_bytes}")
    import av  # lazy: FFmpeg loads with the first voice note, not at start

    try:
        container = av.open(io.BytesIO(data), mode="r", options={"format_whitelist": _WHITELIST})
    except Exception as e:  # noqa: BLE001  # untrusted bytes: whatever FFmpeg's probing raises means "not audio"
        raise AudioRejected("not_audio", f"{type(e).__name__}: {e}") from None
    try:
        with container:
            return _inspect(container, data, max_seconds)
    except AudioRejected:
        raise
    except Exception as e:  # noqa: BLE001  # it opened, then a parser or decoder gave up: no usable audio
        raise AudioRejected("unsupported", f"{type(e).__name__}: {e}") from None


def _inspect(container: InputContainer, data: bytes, max_seconds: float) -> Audio:
    """Format, codec and length of an opened container."""
    if not container.streams.audio:
        raise AudioRejected("not_audio", f"{container.format.name}: no audio stream")
    stream = container.streams.audio[0]
    demuxer = container.format.name.split(",")[0]
    if demuxer not in UPLOAD_FORMATS:
        raise AudioRejected("unsupported", f"container {container.format.name}")
    if stream.codec_context is None:  # FFmpeg knows the container but has no decoder for what is inside
        raise AudioRejected("unsupported", f"{container.format.name}: no decoder for its audio codec")
    stated = _stated_seconds(container, stream)
    if stated > max_seconds + _SLACK:
        raise AudioRejected("too_long", f"{stated:.1f} s stated > {max_seconds:g}", seconds=stated)
    measured = _Meter(stream, max_seconds).run(container)
    return Audio(data, _upload_format(container, demuxer), max(stated, measured))


def _stated_seconds(container: InputContainer, stream: AudioStream) -> float:
    """The length the container states (OGG's last granule, a WAV's data size, an MP3's Xing header); 0 if none."""
    if container.duration and container.duration > 0:
        return float(container.duration) / 1_000_000  # AV_TIME_BASE
    if stream.duration and stream.duration > 0 and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _upload_format(container: InputContainer, demuxer: str) -> str:
    """"m4a" for an audio-only MPEG-4 file (iPhone recordings), "mp4" for video notes and the rest."""
    if demuxer == "mov" and container.metadata.get("major_brand", "").strip().lower() in {"m4a", "m4b"}:
        return "m4a"
    return UPLOAD_FORMATS[demuxer]


class _Meter:
    """Reads packets to prove the first ones decode and to measure the length, stopping past the cap."""

    def __init__(self, stream: AudioStream, max_seconds: float) -> None:
        self.stream = stream
        self.limit = max_seconds + _SLACK
        self.tb = float(stream.time_base) if stream.time_base else 0.0
        self.start: int | None = None  # first timestamp, in stream time base
        self.end = 0  # last timestamp + duration
        self.untimed = 0.0  # seconds of packets without timestamps, measured by decoding them
        self.frames = 0  # decoded frames that had samples
        self.tries = 0  # packets decoded while no frame had come out yet
        self.error = ""

    def seconds(self) -> float:
        """Length so far."""
        timed = (self.end - self.start) * self.tb if self.start is not None else 0.0
        return timed + self.untimed

    def run(self, container: InputContainer) -> float:
        """The measured length; AudioRejected when nothing decodes, nothing is there, or the cap is passed."""
        import av

        try:
            for packet in container.demux(self.stream):
                if packet.size:
                    self._packet(packet)
                if self.frames and self.seconds() > self.limit:  # only audio that decodes is "too long"
                    raise AudioRejected("too_long", f"over {self.limit - _SLACK:g} s", seconds=self.seconds())
                if not self.frames and self.tries >= _DECODE_TRIES:
                    raise AudioRejected("unsupported", f"{self.stream.codec_context.name}: {self.error}")
        except av.FFmpegError as e:
            if not self.frames:  # a damaged tail after good audio ends the audio; damage from the start does not
                raise AudioRejected("unsupported", f"{type(e).__name__}: {e}") from None
        if not self.frames:
            self._flush()
        if not self.frames:
            if self.error:
                raise AudioRejected("unsupported", f"{self.stream.codec_context.name}: {self.error}")
            raise AudioRejected("empty", "no audio frames")
        return self.seconds()

    def _packet(self, packet: Packet[AudioStream]) -> None:
        at = packet.pts if packet.pts is not None else packet.dts
        timed = bool(packet.duration) and at is not None
        if at is not None and packet.duration:
            self.start = at if self.start is None else min(self.start, at)
            self.end = max(self.end, at + packet.duration)
        if self.frames and timed:
            return  # its codec is proven and its timestamps give its length: no need to decode it
        seconds = self._decode(packet)
        if not timed:
            self.untimed += seconds

    def _decode(self, packet: Packet[AudioStream] | None) -> float:
        """Seconds of sound in the frames this packet decodes to (None flushes the decoder)."""
        import av

        if not self.frames:
            self.tries += 1
        try:
            frames = self.stream.codec_context.decode(packet)
        except av.FFmpegError as e:
            self.error = f"{type(e).__name__}: {e}"
            return 0.0
        heard = [f for f in frames if f.samples and f.sample_rate]
        self.frames += len(heard)
        return sum(f.samples / f.sample_rate for f in heard)

    def _flush(self) -> None:
        """Decoders that hold frames back (AAC priming) give them up at the end of the stream."""
        seconds = self._decode(None)
        if self.start is None:
            self.untimed += seconds
