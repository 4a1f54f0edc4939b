"""OGG/Opus in and out with PyAV (FFmpeg's libopus): what Telegram's voice messages are made of."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

OPUS_RATE = 48_000  # libopus encodes at 48 kHz; PyAV's resampler converts whatever a voice model gives
_BITRATE = 32_000  # speech at 32 kbit/s: Telegram's own voice notes use about this


def encode_ogg_opus(samples: np.ndarray, rate: int) -> tuple[bytes, float]:
    """Mono 16-bit PCM (`int16` samples at `rate` Hz) as an OGG/Opus file, and its length in seconds."""
    import av  # lazy: only speech needs FFmpeg
    import numpy as np

    pcm = np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1)
    out = io.BytesIO()
    with av.open(out, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = _BITRATE
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
        for resampled in (*resampler.resample(frame), *resampler.resample(None)):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue(), pcm.shape[1] / rate


def ogg_seconds(data: bytes) -> float:
    """Length in seconds of an OGG/Opus (or any audio) file PyAV can open; 0.0 when it cannot tell."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if container.duration:
                return container.duration / av.time_base
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except (av.FFmpegError, IndexError):
        return 0.0
    return 0.0
