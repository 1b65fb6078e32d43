"""Any OpenAI-compatible API: OpenAI, Ollama, vLLM, LM Studio, OpenRouter, local Whisper servers.

Wire format:

- `POST {base_url}/chat/completions` with `messages`, `temperature: 0` and a `response_format`
  (`json_object` by default; `json_schema` for servers that only enforce schemas, such as LM
  Studio; `none` for servers that reject the field). The reply's
  `choices[0].message.content` is the JSON text.
- `POST {base_url}/audio/transcriptions`, multipart: `file`, `model`, `response_format=json`
  and `language` when known; the reply is `{"text": …}`.

The key goes in `Authorization: Bearer …`; local servers that need none get no header.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import SecretStr

from switchboard.ai.chat_classifier import ChatModelClassifier
from switchboard.ai.classification import InvalidReply
from switchboard.ai.prompts import Prompt
from switchboard.ai.remote_http import post_json
from switchboard.ai.transcription import (
    PIECE_SECONDS,
    Transcript,
    file_name_for,
    transcribe_in_pieces,
)

OPENAI_BASE_URL = "https://api.openai.com/v1"
# OpenAI's documented upload limit for /audio/transcriptions.
OPENAI_MAX_UPLOAD = 25 * 1024 * 1024

ResponseFormat = Literal["json_object", "json_schema", "none"]


class OpenAICompatibleAPI:
    """The HTTP side shared by chat and transcription: base URL, key, client."""

    def __init__(
        self,
        *,
        base_url: str = OPENAI_BASE_URL,
        api_key: SecretStr | None = None,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(timeout=timeout)

    def headers(self) -> dict[str, str]:
        key = self._api_key.get_secret_value() if self._api_key else ""
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()


class OpenAICompatibleClassifier(ChatModelClassifier):
    """Classification and rendering through `/chat/completions`."""

    name = "openai"

    def __init__(
        self,
        api: OpenAICompatibleAPI,
        *,
        model: str,
        response_format: ResponseFormat = "json_object",
    ) -> None:
        self.api = api
        self.model = model
        self.response_format = response_format

    def _body(self, prompt: Prompt) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "temperature": 0,
        }
        if self.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        elif self.response_format == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": prompt.name, "schema": prompt.schema, "strict": True},
            }
        return body

    async def complete(self, prompt: Prompt) -> str:
        reply = await post_json(
            self.api.client,
            f"{self.api.base_url}/chat/completions",
            provider=self.name,
            headers=self.api.headers(),
            json=self._body(prompt),
            request_timeout=self.api.timeout,
        )
        try:
            content = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise InvalidReply(f"{self.name}: no choices[0].message.content") from None
        if not isinstance(content, str):
            raise InvalidReply(f"{self.name}: the message content is not text")
        return content

    async def aclose(self) -> None:
        await self.api.aclose()


class OpenAICompatibleTranscriber:
    """Speech to text through `/audio/transcriptions` (Whisper and its local servers)."""

    name = "openai"

    def __init__(
        self,
        api: OpenAICompatibleAPI,
        *,
        model: str = "whisper-1",
        max_upload: int = OPENAI_MAX_UPLOAD,
        piece_seconds: float = PIECE_SECONDS,
    ) -> None:
        self.api = api
        self.model = model
        self.max_upload = max_upload
        self.piece_seconds = piece_seconds

    async def _send(self, audio: bytes, mime: str, language: str | None) -> str:
        fields = {"model": self.model, "response_format": "json"}
        if language:
            fields["language"] = language
        reply = await post_json(
            self.api.client,
            f"{self.api.base_url}/audio/transcriptions",
            provider=self.name,
            headers=self.api.headers(),
            data=fields,
            files={"file": (file_name_for(mime), audio, mime)},
            request_timeout=self.api.timeout,
        )
        text = reply.get("text") if isinstance(reply, dict) else None
        if not isinstance(text, str):
            raise InvalidReply(f"{self.name}: the transcription reply has no text")
        return text

    async def transcribe(self, audio: bytes, mime: str, language: str | None = None) -> Transcript:
        return await transcribe_in_pieces(
            audio,
            mime,
            language,
            provider=self.name,
            send=self._send,
            max_bytes=self.max_upload,
            piece_seconds=self.piece_seconds,
        )

    async def aclose(self) -> None:
        await self.api.aclose()
