from __future__ import annotations

import pytest
from pydantic import SecretStr

from switchboard.ai import (
    AIConfigurationError,
    FallbackClassifier,
    FasterWhisperTranscriber,
    GeminiClassifier,
    GeminiTranscriber,
    LocalClassifier,
    NoteClassifier,
    OpenAICompatibleClassifier,
    OpenAICompatibleTranscriber,
    TopicCandidate,
    Transcriber,
    build_classifier,
    build_transcriber,
)

from .standins import OpenAIStandIn


def test_local_is_the_default() -> None:
    assert isinstance(build_classifier(), LocalClassifier)


def test_remote_classifiers_come_with_the_local_fallback() -> None:
    openai = build_classifier("openai", api_key=SecretStr("sk"), model="gpt-4o-mini", timeout=3)
    assert isinstance(openai, FallbackClassifier) and openai.timeout == 3
    assert isinstance(openai.primary, OpenAICompatibleClassifier)
    assert openai.primary.model == "gpt-4o-mini"
    gemini = build_classifier("Gemini", api_key="key")
    assert isinstance(gemini, FallbackClassifier)
    assert isinstance(gemini.primary, GeminiClassifier)
    assert isinstance(openai, NoteClassifier)


def test_a_local_server_needs_no_key() -> None:
    ollama = build_classifier("openai", base_url="http://127.0.0.1:11434/v1", model="qwen2.5")
    assert isinstance(ollama, FallbackClassifier)


@pytest.mark.parametrize(
    ("provider", "options", "message"),
    [
        ("openai", {}, "needs an API key"),
        ("gemini", {"api_key": ""}, "needs an API key"),
        ("claude", {"api_key": "k"}, "unknown classifier provider 'claude'"),
    ],
)
def test_wrong_settings_say_what_is_wrong(provider: str, options: dict, message: str) -> None:
    with pytest.raises(AIConfigurationError, match=message):
        build_classifier(provider, **options)


def test_transcribers() -> None:
    assert build_transcriber(None) is None and build_transcriber("none") is None
    openai = build_transcriber("openai", api_key="sk")
    assert isinstance(openai, OpenAICompatibleTranscriber) and openai.model == "whisper-1"
    assert isinstance(build_transcriber("gemini", api_key="k"), GeminiTranscriber)
    local = build_transcriber("local", model="/models/whisper-small")
    assert isinstance(local, FasterWhisperTranscriber) and isinstance(local, Transcriber)
    with pytest.raises(AIConfigurationError, match="unknown transcription provider"):
        build_transcriber("siri")


async def test_a_built_classifier_works_end_to_end(topics: list[TopicCandidate]) -> None:
    with OpenAIStandIn() as server:
        server.behaviour.reply = lambda _: '{"topics": [{"id": 14, "confidence": 0.6}]}'
        classifier = build_classifier("openai", api_key="sk-test", base_url=server.base_url)
        ranking = await classifier.classify("electricity bill", topics)
        await classifier.aclose()
    assert ranking.provider == "openai" and ranking.top(1) == [14]
