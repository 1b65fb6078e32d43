"""The Gemini provider against a local stand-in of generateContent."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from pydantic import SecretStr

from switchboard.ai import (
    GeminiAPI,
    GeminiClassifier,
    GeminiTranscriber,
    InvalidReply,
    ProviderError,
    TopicCandidate,
)

from .audio import as_ogg_opus, tone_with_gaps
from .standins import GeminiStandIn


def api(server: GeminiStandIn, key: str = "gem-test") -> GeminiAPI:
    return GeminiAPI(api_key=SecretStr(key), model="gemini-2.5-flash", base_url=server.url)


async def test_classify_speaks_generate_content_with_json_replies(
    gemini_standin: GeminiStandIn, topics: list[TopicCandidate]
) -> None:
    gemini_standin.behaviour.reply = lambda _: json.dumps(
        {"topics": [{"id": 12, "confidence": 0.95}], "new_topic": None}
    )
    classifier = GeminiClassifier(api(gemini_standin))
    ranking = await classifier.classify("борщ: свёклу тушить отдельно", topics)
    await classifier.aclose()

    assert ranking.topics == ((12, 0.95),) and ranking.provider == "gemini"
    request = gemini_standin.requests[0]
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.headers["x-goog-api-key"] == "gem-test"
    assert "key" not in request.query  # keys stay out of URLs, which get logged
    assert request.json["generationConfig"]["responseMimeType"] == "application/json"
    assert "JSON" in request.json["systemInstruction"]["parts"][0]["text"]
    (content,) = request.json["contents"]
    assert content["role"] == "user"
    assert "- id 12, Recipes / Рецепты" in content["parts"][0]["text"]


async def test_the_standin_takes_the_key_in_the_query_like_google(
    gemini_standin: GeminiStandIn,
) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    url = f"{gemini_standin.url}/v1beta/models/gemini-2.5-flash:generateContent"
    async with httpx.AsyncClient() as client:
        assert (await client.post(url, params={"key": "gem-test"}, json=body)).status_code == 200
        refused = await client.post(url, json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_a_wrong_key_is_a_provider_error(
    gemini_standin: GeminiStandIn, topics: list[TopicCandidate]
) -> None:
    classifier = GeminiClassifier(api(gemini_standin, key="nope"))
    with pytest.raises(ProviderError, match="API key not valid") as caught:
        await classifier.classify("x", topics)
    assert caught.value.retryable is False


async def test_a_blocked_prompt_is_an_invalid_reply(
    gemini_standin: GeminiStandIn, topics: list[TopicCandidate]
) -> None:
    gemini_standin.behaviour.body = {"promptFeedback": {"blockReason": "SAFETY"}}
    with pytest.raises(InvalidReply, match="SAFETY"):
        await GeminiClassifier(api(gemini_standin)).classify("x", topics)


async def test_render_reads_the_json_reply(gemini_standin: GeminiStandIn) -> None:
    gemini_standin.behaviour.reply = lambda _: json.dumps(
        {
            "title": "Борщ",
            "tags": ["рецепт", "борщ", "суп"],
            "text": "Борщ: свёклу тушить отдельно.",
        }
    )
    note = await GeminiClassifier(api(gemini_standin)).render("борщ: свёклу тушить отдельно")
    assert (note.title, note.tags) == ("Борщ", ("рецепт", "борщ", "суп"))


async def test_transcription_sends_the_audio_inline(gemini_standin: GeminiStandIn) -> None:
    gemini_standin.behaviour.reply = lambda _: "Позвонить маме\n"
    voice = as_ogg_opus(tone_with_gaps(2))
    transcriber = GeminiTranscriber(api(gemini_standin))
    transcript = await transcriber.transcribe(voice, "audio/ogg", language="ru")

    assert transcript.text == "Позвонить маме" and transcript.provider == "gemini"
    audio_part, instruction = gemini_standin.requests[0].json["contents"][0]["parts"]
    assert audio_part["inline_data"]["mime_type"] == "audio/ogg"
    assert base64.b64decode(audio_part["inline_data"]["data"]) == voice
    assert "Transcribe" in instruction["text"] and "'ru'" in instruction["text"]
    assert "responseMimeType" not in gemini_standin.requests[0].json["generationConfig"]


async def test_long_recordings_go_in_pieces(gemini_standin: GeminiStandIn) -> None:
    gemini_standin.behaviour.reply = lambda _: f"kusok {len(gemini_standin.requests)}"
    transcriber = GeminiTranscriber(api(gemini_standin), piece_seconds=8)
    transcript = await transcriber.transcribe(as_ogg_opus(tone_with_gaps(20)), "audio/ogg")
    assert transcript.text == "kusok 1 kusok 2 kusok 3" and transcript.pieces == 3
