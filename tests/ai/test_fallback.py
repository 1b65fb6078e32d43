"""Remote first, local on failure: against the OpenAI stand-in failing in every way."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from switchboard.ai import (
    FallbackClassifier,
    OpenAICompatibleAPI,
    OpenAICompatibleClassifier,
    Ranking,
    TopicCandidate,
)
from switchboard.ai.fallback import FALLBACKS, merge_rankings

from .standins import OpenAIStandIn

NOTE = "dentist on Friday at 10, bring the x-ray"


def fallback(server: OpenAIStandIn, timeout: float = 5.0) -> FallbackClassifier:
    api = OpenAICompatibleAPI(base_url=server.base_url, api_key=SecretStr("sk-test"))
    return FallbackClassifier(OpenAICompatibleClassifier(api, model="m"), timeout=timeout)


def fallbacks(reason: str, operation: str = "classify") -> float:
    return FALLBACKS.labels("openai", operation, reason)._value.get()


async def test_a_good_reply_is_used_and_completed_locally(
    openai_standin: OpenAIStandIn, topics: list[TopicCandidate]
) -> None:
    openai_standin.behaviour.reply = lambda _: '{"topics": [{"id": 11, "confidence": 0.9}]}'
    ranking = await fallback(openai_standin).classify(NOTE, topics)
    assert ranking.provider == "openai"
    assert ranking.top(1) == [11] and sorted(ranking.top(4)) == [11, 12, 13, 14]
    assert all(confidence <= 0.45 for _, confidence in ranking.topics[1:])


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({"status": 500}, "ProviderError"),
        ({"status": 429}, "ProviderError"),
        ({"delay": 1.0}, "timeout"),
        ({"reply": lambda _: "I would say the Health topic."}, "InvalidReply"),
        ({"reply": lambda _: '{"topics": [{"id": 4242, "confidence": 1}]}'}, "InvalidReply"),
        ({"reply": lambda _: '{"topics": "all of them"}'}, "InvalidReply"),
    ],
)
async def test_any_failure_is_answered_locally(
    openai_standin: OpenAIStandIn, topics: list[TopicCandidate], setup: dict, reason: str
) -> None:
    for name, value in setup.items():
        setattr(openai_standin.behaviour, name, value)
    counted = fallbacks(reason)
    # Short only where the case is the timeout: a busy machine (two test workers starting)
    # can take more than 0.3 s to answer, and a bad reply counted as a timeout is not the case.
    timeout = 0.3 if reason == "timeout" else 10.0
    ranking = await fallback(openai_standin, timeout=timeout).classify(NOTE, topics)
    assert ranking.provider == "local"
    assert ranking.top(1) == [11]
    assert fallbacks(reason) == counted + 1


async def test_an_unreachable_server_is_answered_locally(topics: list[TopicCandidate]) -> None:
    with OpenAIStandIn() as server:
        classifier = fallback(server)
    ranking = await classifier.classify(NOTE, topics)  # the server is gone now
    assert ranking.provider == "local" and ranking.top(1) == [11]


async def test_render_falls_back_to_local(openai_standin: OpenAIStandIn) -> None:
    openai_standin.behaviour.status = 500
    note = await fallback(openai_standin).render("milk, eggs, sourdough", ["groceries"])
    assert note.title == "Milk, eggs, sourdough" and 3 <= len(note.tags) <= 8


async def test_a_new_topic_proposal_passes_through(
    openai_standin: OpenAIStandIn, topics: list[TopicCandidate]
) -> None:
    openai_standin.behaviour.reply = lambda _: json.dumps({"topics": [], "new_topic": "Garden"})
    ranking = await fallback(openai_standin).classify("tomato seedlings", topics)
    assert ranking.provider == "openai" and ranking.proposed_new_topic == "Garden"
    assert sorted(ranking.top(4)) == [11, 12, 13, 14]


def test_merge_rechecks_rankings_from_any_provider(topics: list[TopicCandidate]) -> None:
    remote = Ranking(((99, 0.9), (12, 1.7), (12, 0.2), (13, float("nan"))), provider="custom")
    local = Ranking(((11, 0.7), (12, 0.2), (13, 0.05), (14, 0.05)))
    merged = merge_rankings(remote, local, topics)
    assert merged is not None
    assert merged.topics[:2] == ((12, 1.0), (13, 0.0))
    assert [topic_id for topic_id, _ in merged.topics[2:]] == [11, 14]
    assert merge_rankings(Ranking(((99, 1.0),)), local, topics) is None
