"""Test speech: espeak-ng sentences, silence, noise and a tone, as OGG/Opus voice notes like Telegram sends."""
from __future__ import annotations

import io
import math
import subprocess
from typing import TYPE_CHECKING, BinaryIO, cast

from router.providers._opus import encode_ogg_opus
from router.providers.espeak_tts import wav_pcm
from router.types import Audio

if TYPE_CHECKING:
    import numpy as np
    from av.audio.stream import AudioStream

RATE = 16_000  # the rate of the generated silence, noise and tone (Whisper's own)


def spoken_wav(text: str, voice: str = "en-us") -> bytes:
    """`text` spoken by espeak-ng's `voice` as a WAV file (22.05 kHz mono, 16-bit)."""
    # Text on stdin, not argv: a sentence starting with "-" must not become an option.
    done = subprocess.run(["espeak-ng", "-v", voice, "--stdout"], input=text.encode(), capture_output=True,
                          check=True, timeout=60)
    return done.stdout


def spoken_ogg(text: str, voice: str = "en-us") -> Audio:
    """`text` spoken by espeak-ng as an OGG/Opus voice note."""
    samples, rate = wav_pcm(spoken_wav(text, voice))
    return _ogg(samples, rate)


def silence_ogg(seconds: float) -> Audio:
    """A voice note of digital silence."""
    import numpy as np

    return _ogg(np.zeros(int(seconds * RATE), dtype=np.int16), RATE)


def noise_ogg(seconds: float, *, seed: int = 15) -> Audio:
    """A voice note of loud white noise (seeded: the same bytes every run)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return _ogg((rng.uniform(-0.5, 0.5, int(seconds * RATE)) * 32767).astype(np.int16), RATE)


def tone_ogg(seconds: float, hz: float = 440.0) -> Audio:
    """A voice note of one steady sine tone."""
    import numpy as np

    t = np.arange(int(seconds * RATE)) / RATE
    return _ogg((np.sin(2 * math.pi * hz * t) * 0.3 * 32767).astype(np.int16), RATE)


def _ogg(samples: np.ndarray, rate: int) -> Audio:
    data, seconds = encode_ogg_opus(samples, rate)
    return Audio(data, "ogg", seconds)


def long_silence(seconds: float, fmt: str = "ogg", out: BinaryIO | None = None) -> bytes:
    """A real `seconds`-long Opus recording of silence made in a blink (a 2-hour note for limit tests): one 120 ms
    packet muxed over and over. `out`: a file to write into instead (e.g. one that cannot seek); b"" is returned."""
    import av
    import numpy as np

    buffer = io.BytesIO() if out is None else out
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream("libopus", rate=48_000, layout="mono")
        stream.bit_rate = 6_000
        stream.options = {"frame_duration": "120"}
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 48_000), np.int16), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48_000, 0
        packets = [*stream.encode(frame), *stream.encode(None)]
        step, template = 5760, packets[1]  # 120 ms at 48 kHz; the second packet is a plain steady one
        for n in range(int(seconds * 48_000 / step)):
            packet = av.Packet(bytes(template))
            packet.pts = packet.dts = n * step
            packet.duration, packet.time_base, packet.stream = step, template.time_base, stream
            container.mux(packet)
    return buffer.getvalue() if isinstance(buffer, io.BytesIO) else b""


def tone_file(fmt: str, codec: str, seconds: float = 2.0, *, rate: int = 16_000, video: bool = False,
              out: BinaryIO | None = None) -> bytes:
    """`seconds` of a tone as FFmpeg's `fmt` muxer writes it with `codec` (with a small video track if asked, like a
    round video note). `out`: a file to write into instead (e.g. one that cannot seek); b"" is returned."""
    import av
    import numpy as np

    buffer = io.BytesIO() if out is None else out
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = cast("AudioStream", container.add_stream(codec, rate=rate, layout="mono"))  # an audio codec
        picture = None
        if video:  # every stream exists before the first mux
            picture = container.add_stream("mpeg4", rate=25)
            picture.width = picture.height = 64
            picture.pix_fmt = "yuv420p"
        t = np.arange(int(seconds * rate)) / rate
        samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        target = stream.codec_context.format.name if stream.codec_context.format else "s16"
        resampler = av.AudioResampler(format=target, layout="mono", rate=rate)
        for piece in (*resampler.resample(frame), *resampler.resample(None)):
            container.mux(stream.encode(piece))
        container.mux(stream.encode(None))
        if picture is not None:
            for i in range(int(seconds * 25)):
                still = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
                still.pts = i
                container.mux(picture.encode(still))
            container.mux(picture.encode(None))
    return buffer.getvalue() if isinstance(buffer, io.BytesIO) else b""


def png_as_ogg() -> Audio:
    """A PNG image that claims to be a voice note (what a careless client might upload)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, "PNG")
    return Audio(out.getvalue(), "ogg", 1.0)


def corrupt_ogg() -> Audio:
    """An OGG page header followed by bytes no decoder makes sense of."""
    return Audio(b"OggS\x00\x02" + bytes(range(256)) * 16, "ogg", 1.0)


def voice_note_info(data: bytes) -> tuple[str, str, float]:
    """(container, codec, seconds) of an audio file as a decoder sees it: ("ogg", "opus", …) for a voice note."""
    import io

    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        seconds = container.duration / av.time_base if container.duration else 0.0
        return container.format.name, stream.codec_context.name, seconds
