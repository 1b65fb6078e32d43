"""faster-whisper is optional: without it, or without a model, the answer is a clear no."""

from __future__ import annotations

import sys

import pytest

from switchboard.ai import FasterWhisperTranscriber, TranscriberUnavailable


async def test_without_the_extra_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # as if the extra were absent
    with pytest.raises(TranscriberUnavailable, match="local-stt"):
        await FasterWhisperTranscriber().transcribe(b"audio", "audio/ogg")


async def test_without_a_model_it_says_so_and_downloads_nothing(tmp_path: object) -> None:
    pytest.importorskip("faster_whisper", reason="the local-stt extra is not installed")
    transcriber = FasterWhisperTranscriber(model=f"{tmp_path}/no-such-model")
    with pytest.raises(TranscriberUnavailable, match="no faster-whisper model"):
        await transcriber.transcribe(b"audio", "audio/ogg")
