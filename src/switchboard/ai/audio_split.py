"""Cutting a long recording into pieces a transcription API accepts, at quiet moments.

With PyAV (the `audio` extra, also pulled in by `local-stt`) any format FFmpeg reads is decoded
to 16 kHz mono, cut, and each piece re-encoded as Ogg/Opus (WAV if this FFmpeg build lacks an
Opus encoder). Without PyAV only WAV can be cut, with the standard library's `wave`; any other
format raises `AudioSplitUnavailable`, and the caller sends the recording whole if it can.

Each cut is made at the quietest 100 ms in the last stretch before the limit, so words are
rarely split. Decoded audio is held in memory: about 115 MB per hour of recording.
"""

from __future__ import annotations

import io
import sys
import wave
from array import array
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

PCM_RATE = 16_000
_WINDOW = PCM_RATE // 10  # 100 ms
_WAV_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"})


class AudioSplitUnavailable(Exception):
    """This recording cannot be cut here (no PyAV for its format, or it does not decode)."""


@dataclass(frozen=True, slots=True)
class AudioPiece:
    audio: bytes
    mime: str
    start: float
    duration: float


def pyav_installed() -> bool:
    return find_spec("av") is not None


def _search_seconds(max_seconds: float) -> float:
    return min(15.0, max_seconds / 5)


def _samples(pcm: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def cut_points(samples: array[int], rate: int, channels: int, max_seconds: float) -> list[int]:
    """Frame offsets to cut at: no piece longer than `max_seconds`, cuts at quiet moments."""
    frames = len(samples) // channels
    longest = int(max_seconds * rate)
    search = int(_search_seconds(max_seconds) * rate)
    window = max(1, rate // 10)
    cuts, start = [], 0
    while frames - start > longest:
        best, best_energy = start + longest, None
        for offset in range(start + longest - search, start + longest - window + 1, window):
            chunk = samples[offset * channels : (offset + window) * channels : 4 * channels]
            energy = sum(abs(value) for value in chunk)
            if best_energy is None or energy < best_energy:
                best, best_energy = offset + window // 2, energy
        cuts.append(best)
        start = best
    return cuts


def split_wav(audio: bytes, max_seconds: float) -> list[AudioPiece]:
    try:
        with wave.open(io.BytesIO(audio)) as source:
            params = source.getparams()
            raw = source.readframes(params.nframes)
    except (wave.Error, EOFError) as error:
        raise AudioSplitUnavailable(f"the WAV file does not read: {error}") from None
    frame_bytes = params.sampwidth * params.nchannels
    frames = len(raw) // frame_bytes
    if params.sampwidth == 2:
        cuts = cut_points(_samples(raw), params.framerate, params.nchannels, max_seconds)
    else:  # no level to search for quiet in other sample widths: cut at the limit
        step = int(max_seconds * params.framerate)
        cuts = list(range(step, frames, step))
    pieces = []
    for start, end in zip([0, *cuts], [*cuts, frames], strict=True):
        out = io.BytesIO()
        with wave.open(out, "wb") as target:
            target.setparams(params)
            target.writeframes(raw[start * frame_bytes : end * frame_bytes])
        rate = params.framerate
        pieces.append(AudioPiece(out.getvalue(), "audio/wav", start / rate, (end - start) / rate))
    return pieces


def _decode(audio: bytes) -> bytes:
    import av

    pcm = bytearray()
    try:
        with av.open(io.BytesIO(audio), mode="r") as container:
            if not container.streams.audio:
                raise AudioSplitUnavailable("the file has no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=PCM_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pcm += bytes(out.planes[0])[: out.samples * 2]
            for out in resampler.resample(None):
                pcm += bytes(out.planes[0])[: out.samples * 2]
    except av.FFmpegError as error:
        raise AudioSplitUnavailable(f"the audio does not decode: {error}") from None
    return bytes(pcm)


def _encode(pcm: bytes, container_format: str, codec: str) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        stream: Any = container.add_stream(codec, rate=PCM_RATE, layout="mono")
        for offset in range(0, len(pcm) // 2, PCM_RATE):
            chunk = pcm[offset * 2 : (offset + PCM_RATE) * 2]
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
            frame.planes[0].update(chunk)
            frame.sample_rate = PCM_RATE
            frame.pts = offset
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _encode_piece(pcm: bytes) -> tuple[bytes, str]:
    import av

    try:
        return _encode(pcm, "ogg", "libopus"), "audio/ogg"
    except (av.FFmpegError, ValueError):  # an FFmpeg build without libopus
        return _encode(pcm, "wav", "pcm_s16le"), "audio/wav"


def split_audio(audio: bytes, mime: str, max_seconds: float) -> list[AudioPiece]:
    """`audio` as pieces of at most `max_seconds`; one untouched piece when it is short."""
    if not pyav_installed():
        if mime.split(";")[0].strip().lower() in _WAV_TYPES:
            return split_wav(audio, max_seconds)
        raise AudioSplitUnavailable(
            f"cutting {mime} needs PyAV: install switchboard[audio] (or the local-stt extra)"
        )
    pcm = _decode(audio)
    duration = len(pcm) / 2 / PCM_RATE
    if duration <= max_seconds:
        return [AudioPiece(audio, mime, 0.0, duration)]
    cuts = cut_points(_samples(pcm), PCM_RATE, 1, max_seconds)
    pieces = []
    for start, end in zip([0, *cuts], [*cuts, len(pcm) // 2], strict=True):
        encoded, piece_mime = _encode_piece(pcm[start * 2 : end * 2])
        pieces.append(AudioPiece(encoded, piece_mime, start / PCM_RATE, (end - start) / PCM_RATE))
    return pieces
