"""Providers from settings: a provider name, a key, a base URL, a model and a timeout.

    classifier = build_classifier("openai", api_key=SecretStr("sk-…"), model="gpt-4o-mini")
    classifier = build_classifier("openai", base_url="http://127.0.0.1:11434/v1", model="qwen2.5")
    transcriber = build_transcriber("gemini", api_key=SecretStr("…"))

Remote classifiers come wrapped in `FallbackClassifier`, so the local provider answers whenever
the remote one cannot. `build_transcriber(None)` is None: no transcription configured, and the
notes app files voice notes marked for later. A wrong combination raises `AIConfigurationError`
with one line fit to print at start-up.
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from switchboard.ai.classification import NoteClassifier
from switchboard.ai.fallback import FallbackClassifier
from switchboard.ai.gemini_provider import (
    DEFAULT_GEMINI_MODEL,
    GEMINI_BASE_URL,
    GeminiAPI,
    GeminiClassifier,
    GeminiTranscriber,
)
from switchboard.ai.local_classifier import LocalClassifier
from switchboard.ai.local_transcriber import FasterWhisperTranscriber
from switchboard.ai.openai_provider import (
    OPENAI_BASE_URL,
    OpenAICompatibleAPI,
    OpenAICompatibleClassifier,
    OpenAICompatibleTranscriber,
    ResponseFormat,
)
from switchboard.ai.transcription import Transcriber

CLASSIFIER_PROVIDERS = ("local", "openai", "gemini")
TRANSCRIBER_PROVIDERS = ("openai", "gemini", "local")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_OPENAI_TRANSCRIPTION_MODEL = "whisper-1"
DEFAULT_WHISPER_MODEL = "small"


class AIConfigurationError(ValueError):
    """The provider settings do not make a working provider."""


def _key(api_key: SecretStr | str | None) -> SecretStr | None:
    if isinstance(api_key, str):
        api_key = SecretStr(api_key)
    return api_key if api_key is not None and api_key.get_secret_value() else None


def _openai_api(
    api_key: SecretStr | None,
    base_url: str | None,
    timeout: float,
    client: httpx.AsyncClient | None,
) -> OpenAICompatibleAPI:
    if api_key is None and base_url in (None, OPENAI_BASE_URL):
        raise AIConfigurationError(
            "the openai provider needs an API key, or a base URL of a server that needs none"
        )
    return OpenAICompatibleAPI(
        base_url=base_url or OPENAI_BASE_URL, api_key=api_key, timeout=timeout, client=client
    )


def _gemini_api(
    api_key: SecretStr | None,
    base_url: str | None,
    model: str | None,
    timeout: float,
    client: httpx.AsyncClient | None,
) -> GeminiAPI:
    if api_key is None:
        raise AIConfigurationError("the gemini provider needs an API key")
    return GeminiAPI(
        api_key=api_key,
        model=model or DEFAULT_GEMINI_MODEL,
        base_url=base_url or GEMINI_BASE_URL,
        timeout=timeout,
        client=client,
    )


def build_classifier(
    provider: str = "local",
    *,
    api_key: SecretStr | str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    timeout: float = 15.0,
    response_format: ResponseFormat = "json_object",
    client: httpx.AsyncClient | None = None,
) -> NoteClassifier:
    """The classifier for `provider` (local, openai or gemini)."""
    name = provider.strip().lower()
    key = _key(api_key)
    if name == "local":
        return LocalClassifier()
    if name == "openai":
        api = _openai_api(key, base_url, timeout, client)
        remote: NoteClassifier = OpenAICompatibleClassifier(
            api, model=model or DEFAULT_OPENAI_MODEL, response_format=response_format
        )
    elif name == "gemini":
        remote = GeminiClassifier(_gemini_api(key, base_url, model, timeout, client))
    else:
        expected = ", ".join(CLASSIFIER_PROVIDERS)
        raise AIConfigurationError(f"unknown classifier provider {provider!r}: use {expected}")
    return FallbackClassifier(remote, timeout=timeout)


def build_transcriber(
    provider: str | None,
    *,
    api_key: SecretStr | str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    timeout: float = 120.0,
    client: httpx.AsyncClient | None = None,
) -> Transcriber | None:
    """The transcriber for `provider` (openai, gemini or local), or None when it is unset."""
    name = (provider or "").strip().lower()
    key = _key(api_key)
    if name in ("", "none", "off"):
        return None
    if name == "openai":
        api = _openai_api(key, base_url, timeout, client)
        return OpenAICompatibleTranscriber(api, model=model or DEFAULT_OPENAI_TRANSCRIPTION_MODEL)
    if name == "gemini":
        return GeminiTranscriber(_gemini_api(key, base_url, model, timeout, client))
    if name == "local":
        return FasterWhisperTranscriber(model=model or DEFAULT_WHISPER_MODEL)
    expected = ", ".join(TRANSCRIBER_PROVIDERS)
    raise AIConfigurationError(f"unknown transcription provider {provider!r}: use {expected}")
