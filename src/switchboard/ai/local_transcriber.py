"""Speech to text on this machine with faster-whisper (the `local-stt` extra), no network.

The model is a CTranslate2 Whisper model: a directory path, or a size name ("small",
"large-v3") already in the Hugging Face cache. Nothing is downloaded unless `allow_download` is
set, so a missing model is a clear `TranscriberUnavailable`, not a hang on a network call.
faster-whisper walks long recordings in 30-second windows itself, so nothing is cut here; it is
loaded once, on first use, in a worker thread, and runs one recording at a time.
"""

from __future__ import annotations

import asyncio
import importlib
import io
from typing import Any

from switchboard.ai.transcription import TranscriberUnavailable, Transcript

INSTALL_HINT = "install the local-stt extra: uv sync --extra local-stt"


class FasterWhisperTranscriber:
    name = "local"

    def __init__(
        self,
        *,
        model: str = "small",
        device: str = "cpu",
        compute_type: str = "int8",
        allow_download: bool = False,
    ) -> None:
        self.model_name = model
        self.device = device
        self.compute_type = compute_type
        self.allow_download = allow_download
        self._model: Any = None
        self._lock = asyncio.Lock()

    def _load(self) -> Any:
        try:
            # Imported by name: the extra is optional, and faster-whisper ships no types.
            whisper = importlib.import_module("faster_whisper")
        except ImportError:
            raise TranscriberUnavailable(f"local transcription: {INSTALL_HINT}") from None
        try:
            return whisper.WhisperModel(
                self.model_name,
                device=self.device,
                compute_type=self.compute_type,
                local_files_only=not self.allow_download,
            )
        except Exception as error:  # huggingface_hub, CTranslate2 and OS errors alike
            raise TranscriberUnavailable(
                f"local transcription: no faster-whisper model {self.model_name!r} here "
                f"({type(error).__name__}); give a model directory's path, or allow downloads"
            ) from None

    def _run(self, model: Any, audio: bytes, language: str | None) -> Transcript:
        segments, info = model.transcribe(io.BytesIO(audio), language=language, vad_filter=True)
        text = " ".join(segment.text.strip() for segment in segments).strip()
        return Transcript(text, self.name, info.language, info.duration)

    async def transcribe(self, audio: bytes, mime: str, language: str | None = None) -> Transcript:
        async with self._lock:
            if self._model is None:
                self._model = await asyncio.to_thread(self._load)
            return await asyncio.to_thread(self._run, self._model, audio, language)

    async def aclose(self) -> None:
        self._model = None
