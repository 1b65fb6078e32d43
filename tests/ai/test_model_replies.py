from __future__ import annotations

import pytest

from switchboard.ai import InvalidReply, TopicCandidate
from switchboard.ai.model_replies import parse_ranking, parse_rendered


def test_a_fenced_reply_with_chatter_is_read(topics: list[TopicCandidate]) -> None:
    content = 'Sure!\n```json\n{"topics": [{"id": 12, "confidence": 0.9}], "new_topic": null}\n```'
    ranking = parse_ranking(content, topics, "openai")
    assert ranking.topics == ((12, 0.9),) and ranking.provider == "openai"


def test_only_existing_topics_survive_each_once_clamped(topics: list[TopicCandidate]) -> None:
    content = """{"topics": [
        {"id": 999, "confidence": 0.99}, {"id": "13", "confidence": 7},
        {"id": 13, "confidence": 0.1}, {"id": "Finance / Финансы", "confidence": -1},
        "nonsense", {"id": 11}
    ]}"""
    ranking = parse_ranking(content, topics, "openai")
    assert ranking.topics == ((13, 1.0), (11, 0.5), (14, 0.0))


def test_a_new_topic_may_be_proposed(topics: list[TopicCandidate]) -> None:
    ranking = parse_ranking('{"topics": [], "new_topic": "  Garden  "}', topics, "gemini")
    assert ranking.topics == () and ranking.proposed_new_topic == "Garden"


def test_proposing_an_existing_topic_ranks_it(topics: list[TopicCandidate]) -> None:
    ranking = parse_ranking('{"topics": [], "new_topic": "travel / путешествия"}', topics, "x")
    assert ranking.proposed_new_topic is None and ranking.top(1) == [13]


@pytest.mark.parametrize(
    "content",
    [
        "I think it's about health",
        "[1, 2, 3]",
        '{"topics": [{"id": 999, "confidence": 1}]}',
        '{"topics": [], "new_topic": "  "}',
        '{"topics": [{"id": 11, "confidence": "very"}]}',
        "{not json}",
    ],
)
def test_replies_without_anything_usable_are_invalid(
    topics: list[TopicCandidate], content: str
) -> None:
    with pytest.raises(InvalidReply):
        parse_ranking(content, topics, "openai")


def test_rendered_reply_is_read_as_it_stands() -> None:
    note = parse_rendered('{"title": "T", "tags": ["a", "b"], "text": "x", "extra": 1}')
    assert (note.title, note.tags, note.text) == ("T", ("a", "b"), "x")
    with pytest.raises(InvalidReply):
        parse_rendered('{"title": ["not", "text"]}')
