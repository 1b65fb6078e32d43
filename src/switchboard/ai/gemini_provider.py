"""Google's Gemini API (generativelanguage.googleapis.com), for notes and for speech.

Wire format: `POST {base_url}/v1beta/models/{model}:generateContent` with `systemInstruction`,
`contents` (text parts, or an `inline_data` part holding base64 audio) and `generationConfig`
(`responseMimeType: application/json` for JSON replies). The reply's text is the concatenation of
`candidates[0].content.parts[].text`.

The key travels in the `x-goog-api-key` header, which the API accepts like `?key=`: URLs end up
in logs (httpx logs every request URL), headers do not.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pydantic import SecretStr

from switchboard.ai.chat_classifier import ChatModelClassifier
from switchboard.ai.classification import InvalidReply
from switchboard.ai.prompts import TRANSCRIBE_INSTRUCTIONS, Prompt
from switchboard.ai.remote_http import post_json
from switchboard.ai.transcription import PIECE_SECONDS, Transcript, transcribe_in_pieces

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"
# A request with inline data may be 20 MB; base64 grows audio by a third.
GEMINI_MAX_INLINE_AUDIO = 14 * 1024 * 1024


class GeminiAPI:
    """`generateContent` for one model, with the key in a header."""

    name = "gemini"

    def __init__(
        self,
        *,
        api_key: SecretStr,
        model: str = DEFAULT_GEMINI_MODEL,
        base_url: str = GEMINI_BASE_URL,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(timeout=timeout)

    async def generate(
        self, parts: list[dict[str, Any]], *, system: str | None = None, json_reply: bool
    ) -> str:
        body: dict[str, Any] = {
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {"temperature": 0},
        }
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        if json_reply:
            body["generationConfig"]["responseMimeType"] = "application/json"
        reply = await post_json(
            self.client,
            f"{self.base_url}/v1beta/models/{self.model}:generateContent",
            provider=self.name,
            headers={"x-goog-api-key": self._api_key.get_secret_value()},
            json=body,
            request_timeout=self.timeout,
        )
        return _reply_text(reply)

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()


def _reply_text(reply: Any) -> str:
    try:
        candidate = reply["candidates"][0]
        parts = candidate["content"]["parts"]
    except (KeyError, IndexError, TypeError):
        reason = (
            reply.get("promptFeedback", {}).get("blockReason") if isinstance(reply, dict) else None
        )
        raise InvalidReply(f"gemini: no candidate in the reply (block reason: {reason})") from None
    texts = [part["text"] for part in parts if isinstance(part, dict) and "text" in part]
    if not texts or not all(isinstance(text, str) for text in texts):
        raise InvalidReply("gemini: the candidate has no text")
    return "".join(texts)


class GeminiClassifier(ChatModelClassifier):
    name = "gemini"

    def __init__(self, api: GeminiAPI) -> None:
        self.api = api

    async def complete(self, prompt: Prompt) -> str:
        return await self.api.generate(
            [{"text": prompt.user}], system=prompt.system, json_reply=True
        )

    async def aclose(self) -> None:
        await self.api.aclose()


class GeminiTranscriber:
    """Speech to text by sending the audio inline with a transcription instruction."""

    name = "gemini"

    def __init__(
        self,
        api: GeminiAPI,
        *,
        max_inline: int = GEMINI_MAX_INLINE_AUDIO,
        piece_seconds: float = PIECE_SECONDS,
    ) -> None:
        self.api = api
        self.max_inline = max_inline
        self.piece_seconds = piece_seconds

    async def _send(self, audio: bytes, mime: str, language: str | None) -> str:
        instruction = TRANSCRIBE_INSTRUCTIONS
        if language:
            instruction += f"\nThe speaker's language is most likely '{language}'."
        parts: list[dict[str, Any]] = [
            {"inline_data": {"mime_type": mime, "data": base64.b64encode(audio).decode("ascii")}},
            {"text": instruction},
        ]
        return await self.api.generate(parts, json_reply=False)

    async def transcribe(self, audio: bytes, mime: str, language: str | None = None) -> Transcript:
        return await transcribe_in_pieces(
            audio,
            mime,
            language,
            provider=self.name,
            send=self._send,
            max_bytes=self.max_inline,
            piece_seconds=self.piece_seconds,
        )

    async def aclose(self) -> None:
        await self.api.aclose()
