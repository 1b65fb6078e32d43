"""Recordings made for the tests: tones with silent gaps, as Ogg/Opus (PyAV) or WAV."""

from __future__ import annotations

import io
import math
import wave
from array import array

import av

RATE = 16_000


def tone_with_gaps(seconds: float, *, gap_every: float = 5.0, gap: float = 1.0) -> array[int]:
    """16-bit mono samples: a 440 Hz tone, silent for `gap` s at the end of every `gap_every`."""
    samples = array("h")
    for index in range(int(seconds * RATE)):
        moment = index / RATE
        silent = moment % gap_every >= gap_every - gap
        samples.append(0 if silent else int(8000 * math.sin(2 * math.pi * 440 * moment)))
    return samples


def as_wav(samples: array[int], rate: int = RATE) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(samples.tobytes())
    return out.getvalue()


def as_ogg_opus(samples: array[int], rate: int = RATE) -> bytes:
    """What Telegram sends for a voice message: Opus in an Ogg container."""
    out = io.BytesIO()
    pcm = samples.tobytes()
    with av.open(out, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=rate, layout="mono")
        for offset in range(0, len(samples), rate):
            chunk = pcm[offset * 2 : (offset + rate) * 2]
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
            frame.planes[0].update(chunk)
            frame.sample_rate = rate
            frame.pts = offset
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def duration_of(audio: bytes) -> float:
    with av.open(io.BytesIO(audio)) as container:
        return float(container.duration or 0) / 1_000_000
