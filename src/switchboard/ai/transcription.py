"""Speech to text: the contract every provider meets, and long recordings in pieces.

`Transcriber.transcribe(audio, mime, language)` returns a `Transcript` or raises:

- `TranscriberUnavailable`: this provider cannot work here at all (no key configured, the
  `local-stt` extra or its model missing). The notes app files the note marked "not
  transcribed" and offers to transcribe it later; retrying will not help.
- `ProviderError`: this attempt failed; `retryable` says whether the job should try again.

Remote providers send a recording whole when it is short and small enough, otherwise in pieces
cut by `audio_split` and joined in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from switchboard.ai.audio_split import AudioSplitUnavailable, split_audio
from switchboard.ai.classification import ProviderError

# Ten minutes keeps each piece within every API's limits on size, length and output tokens.
PIECE_SECONDS = 600.0


class TranscriberUnavailable(Exception):
    """The provider cannot run here; the message says what to install or configure."""


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    provider: str
    language: str | None = None
    duration: float | None = None
    pieces: int = 1


@runtime_checkable
class Transcriber(Protocol):
    name: str

    async def transcribe(
        self, audio: bytes, mime: str, language: str | None = None
    ) -> Transcript: ...

    async def aclose(self) -> None: ...


SendPiece = Callable[[bytes, str, str | None], Awaitable[str]]


async def transcribe_in_pieces(
    audio: bytes,
    mime: str,
    language: str | None,
    *,
    provider: str,
    send: SendPiece,
    max_bytes: int,
    piece_seconds: float = PIECE_SECONDS,
) -> Transcript:
    """Send `audio` whole or in pieces through `send(audio, mime, language)`; join the texts."""
    try:
        pieces = await asyncio.to_thread(split_audio, audio, mime, piece_seconds)
    except AudioSplitUnavailable as error:
        if len(audio) > max_bytes:
            raise ProviderError(
                f"{provider}: the recording is {len(audio) // 1_000_000} MB, over the "
                f"{max_bytes // 1_000_000} MB one request takes, and cannot be cut here: {error}"
            ) from None
        text = await send(audio, mime, language)
        return Transcript(text.strip(), provider, language)
    texts = []
    for piece in pieces:
        if len(piece.audio) > max_bytes:
            raise ProviderError(
                f"{provider}: a {piece.duration:.0f} s piece is still over "
                f"{max_bytes // 1_000_000} MB; lower the piece length"
            )
        texts.append((await send(piece.audio, piece.mime, language)).strip())
    duration = sum(piece.duration for piece in pieces)
    return Transcript(
        " ".join(text for text in texts if text), provider, language, duration, len(pieces)
    )


_EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/m4a": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "m4a",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/webm": "webm",
    "video/webm": "webm",
    "video/mp4": "mp4",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
}


def file_name_for(mime: str) -> str:
    """A file name whose extension tells an API the format (OpenAI's endpoint reads it)."""
    return f"audio.{_EXTENSIONS.get(mime.split(';')[0].strip().lower(), 'ogg')}"
