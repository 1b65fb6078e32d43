"""The OpenAI-compatible provider against a local stand-in speaking the same wire format."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from switchboard.ai import (
    Example,
    OpenAICompatibleAPI,
    OpenAICompatibleClassifier,
    OpenAICompatibleTranscriber,
    ProviderError,
    TopicCandidate,
)

from .audio import as_ogg_opus, as_wav, duration_of, tone_with_gaps
from .standins import OpenAIStandIn, Recorded


def api(server: OpenAIStandIn, key: str | None = "sk-test") -> OpenAICompatibleAPI:
    return OpenAICompatibleAPI(
        base_url=server.base_url, api_key=SecretStr(key) if key else None, timeout=5
    )


async def test_classify_speaks_chat_completions_in_json_mode(
    openai_standin: OpenAIStandIn, topics: list[TopicCandidate]
) -> None:
    openai_standin.behaviour.reply = lambda _: json.dumps(
        {"topics": [{"id": 13, "confidence": 0.8}, {"id": 14, "confidence": 0.1}]}
    )
    classifier = OpenAICompatibleClassifier(api(openai_standin), model="gpt-4o-mini")
    examples = [Example("train to Kazan at 23:55", 13)]
    ranking = await classifier.classify("flights to Tbilisi", topics, examples)
    await classifier.aclose()

    assert ranking.topics == ((13, 0.8), (14, 0.1)) and ranking.provider == "openai"
    request = openai_standin.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.json["model"] == "gpt-4o-mini"
    assert request.json["response_format"] == {"type": "json_object"}
    assert request.json["temperature"] == 0
    system, user = request.json["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    assert "JSON" in system["content"]
    assert "- id 13, Travel / Путешествия" in user["content"]
    assert "train to Kazan" in user["content"]
    assert "<note>\nflights to Tbilisi\n</note>" in user["content"]


async def test_json_schema_mode_sends_the_schema(
    openai_standin: OpenAIStandIn, topics: list[TopicCandidate]
) -> None:
    openai_standin.behaviour.reply = lambda _: '{"topics": [], "new_topic": "Garden"}'
    classifier = OpenAICompatibleClassifier(
        api(openai_standin), model="local-model", response_format="json_schema"
    )
    ranking = await classifier.classify("tomato seedlings", topics)
    assert ranking.proposed_new_topic == "Garden"
    response_format = openai_standin.requests[0].json["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "ranking"
    assert response_format["json_schema"]["schema"]["required"] == ["topics", "new_topic"]


async def test_servers_without_keys_get_no_authorization_header(
    topics: list[TopicCandidate],
) -> None:
    with OpenAIStandIn(api_key=None) as server:  # like Ollama or LM Studio
        server.behaviour.reply = lambda _: '{"topics": [{"id": 11, "confidence": 0.7}]}'
        classifier = OpenAICompatibleClassifier(api(server, key=None), model="llama3.2")
        assert (await classifier.classify("headache", topics)).top(1) == [11]
        assert "authorization" not in server.requests[0].headers


async def test_a_wrong_key_is_an_error_that_retrying_will_not_fix(
    openai_standin: OpenAIStandIn, topics: list[TopicCandidate]
) -> None:
    classifier = OpenAICompatibleClassifier(api(openai_standin, key="sk-wrong"), model="m")
    with pytest.raises(ProviderError) as caught:
        await classifier.classify("headache", topics)
    assert "401" in str(caught.value) and "invalid_api_key" in str(caught.value)
    assert "sk-wrong" not in str(caught.value)
    assert caught.value.retryable is False


async def test_server_errors_are_retryable(
    openai_standin: OpenAIStandIn, topics: list[TopicCandidate]
) -> None:
    openai_standin.behaviour.status = 503
    classifier = OpenAICompatibleClassifier(api(openai_standin), model="m")
    with pytest.raises(ProviderError) as caught:
        await classifier.classify("headache", topics)
    assert caught.value.retryable is True


async def test_render_uses_the_model_and_validates_it(openai_standin: OpenAIStandIn) -> None:
    openai_standin.behaviour.reply = lambda _: json.dumps(
        {"title": "Porto hotel", "tags": ["Travel", "porto", "#hotel"], "text": "Hotel in Porto."}
    )
    classifier = OpenAICompatibleClassifier(api(openai_standin), model="m")
    note = await classifier.render("hotel in Porto", ["travel"])
    assert note.title == "Porto hotel"
    assert note.tags == ("travel", "porto", "hotel")
    assert note.text == "Hotel in Porto."
    assert "Existing tags: travel" in openai_standin.requests[0].json["messages"][1]["content"]


async def test_transcription_speaks_the_multipart_wire_format(
    openai_standin: OpenAIStandIn,
) -> None:
    openai_standin.behaviour.reply = lambda _: "купить молоко"
    voice = as_ogg_opus(tone_with_gaps(3))
    transcriber = OpenAICompatibleTranscriber(api(openai_standin), model="whisper-1")
    transcript = await transcriber.transcribe(voice, "audio/ogg", language="ru")
    await transcriber.aclose()

    assert transcript.text == "купить молоко" and transcript.pieces == 1
    request = openai_standin.requests[0]
    assert request.path == "/v1/audio/transcriptions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.form == {"model": "whisper-1", "response_format": "json", "language": "ru"}
    name, content_type, data = request.files["file"]
    assert (name, content_type, data) == ("audio.ogg", "audio/ogg", voice)


async def test_long_recordings_are_sent_in_pieces_and_joined_in_order(
    openai_standin: OpenAIStandIn,
) -> None:
    def numbered(recorded: Recorded) -> str:
        return f"part {len(openai_standin.requests)}"

    openai_standin.behaviour.reply = numbered
    recording = as_ogg_opus(tone_with_gaps(25))
    transcriber = OpenAICompatibleTranscriber(api(openai_standin), piece_seconds=10)
    transcript = await transcriber.transcribe(recording, "audio/ogg")

    assert transcript.text == "part 1 part 2 part 3"
    assert transcript.pieces == 3
    assert transcript.duration == pytest.approx(25, abs=0.2)
    pieces = [request.files["file"] for request in openai_standin.requests]
    assert all(name == "audio.ogg" and kind == "audio/ogg" for name, kind, _ in pieces)
    assert all(duration_of(data) <= 10.1 for _, _, data in pieces)


async def test_a_recording_too_big_to_send_or_cut_is_refused_clearly(
    openai_standin: OpenAIStandIn,
) -> None:
    transcriber = OpenAICompatibleTranscriber(api(openai_standin), max_upload=1000)
    with pytest.raises(ProviderError, match="cannot be cut"):
        await transcriber.transcribe(b"\x00" * 5000, "audio/ogg")
    assert openai_standin.requests == []


async def test_wav_is_sent_with_a_wav_name(openai_standin: OpenAIStandIn) -> None:
    openai_standin.behaviour.reply = lambda _: "hello"
    transcriber = OpenAICompatibleTranscriber(api(openai_standin))
    await transcriber.transcribe(as_wav(tone_with_gaps(1)), "audio/x-wav")
    assert openai_standin.requests[0].files["file"][0] == "audio.wav"
