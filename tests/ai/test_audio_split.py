from __future__ import annotations

import io
import wave

import pytest

from switchboard.ai import AudioSplitUnavailable, split_audio
from switchboard.ai.audio_split import split_wav

from .audio import as_ogg_opus, as_wav, duration_of, tone_with_gaps


def test_a_voice_message_is_cut_at_its_silences() -> None:
    # 4 s of tone, 1 s of silence, repeated: the quiet seconds are 4–5, 9–10, 14–15, …
    recording = as_ogg_opus(tone_with_gaps(25))
    pieces = split_audio(recording, "audio/ogg", max_seconds=10)
    assert len(pieces) == 3
    for piece in pieces[1:]:
        assert piece.start % 5 >= 4 - 0.05, piece.start
    assert all(piece.duration <= 10 for piece in pieces)
    assert sum(piece.duration for piece in pieces) == pytest.approx(25, abs=0.1)
    assert all(piece.mime == "audio/ogg" for piece in pieces)
    for piece in pieces:  # each piece is a real, playable recording of its length
        assert duration_of(piece.audio) == pytest.approx(piece.duration, abs=0.1)


def test_a_short_recording_is_sent_untouched() -> None:
    recording = as_ogg_opus(tone_with_gaps(3))
    (piece,) = split_audio(recording, "audio/ogg", max_seconds=10)
    assert piece.audio == recording and piece.duration == pytest.approx(3, abs=0.05)


def test_wav_is_cut_with_the_standard_library_alone() -> None:
    pieces = split_wav(as_wav(tone_with_gaps(22)), max_seconds=10)
    assert len(pieces) == 3
    frames = 0
    for piece in pieces:
        with wave.open(io.BytesIO(piece.audio)) as part:
            assert part.getframerate() == 16_000 and part.getnchannels() == 1
            assert part.getnframes() / 16_000 <= 10
            frames += part.getnframes()
    assert frames == 22 * 16_000
    assert all(piece.start % 5 >= 4 for piece in pieces[1:])


def test_what_does_not_decode_cannot_be_cut() -> None:
    with pytest.raises(AudioSplitUnavailable):
        split_audio(b"not audio at all", "audio/ogg", max_seconds=10)
