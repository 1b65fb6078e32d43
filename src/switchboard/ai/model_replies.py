"""Checking what a model answered before anything acts on it.

A ranking may name only topics that exist; ids are matched on our side, unknown ones dropped,
confidences clamped into [0, 1]. A proposed new topic is a short name that is not an existing
topic (a model that "proposes" an existing name gets that topic ranked instead). A reply that
leaves nothing usable raises `InvalidReply`, and the fallback answers locally.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator

from switchboard.ai.classification import (
    InvalidReply,
    Ranking,
    RenderedNote,
    TopicCandidate,
    TopicId,
)

MAX_NEW_TOPIC_LENGTH = 64
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


class _RankedTopic(BaseModel):
    id: int | str
    confidence: float | None = None


class _RankingReply(BaseModel):
    topics: list[_RankedTopic] = []
    new_topic: str | None = None

    @field_validator("topics", mode="before")
    @classmethod
    def _drop_malformed(cls, value: Any) -> Any:
        # One bad entry should not cost the good ones.
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class _RenderReply(BaseModel):
    title: str = ""
    tags: list[str] = []
    text: str = ""


def json_object(content: str) -> dict[str, Any]:
    """The JSON object in a model's text, tolerating code fences and chatter around it."""
    text = _FENCE.sub("", content.strip())
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise InvalidReply("the reply holds no JSON object") from None
        try:
            value = json.loads(text[start : end + 1])
        except json.JSONDecodeError as error:
            raise InvalidReply(f"the reply is not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise InvalidReply("the reply is JSON but not an object")
    return value


def _clamp(value: float | None) -> float:
    if value is None or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def _topic_id(raw: int | str, topics: Sequence[TopicCandidate]) -> TopicId | None:
    ids = {topic.id for topic in topics}
    if isinstance(raw, int):
        return raw if raw in ids else None
    cleaned = raw.strip()
    if cleaned.lstrip("-").isdigit() and int(cleaned) in ids:
        return int(cleaned)
    by_name = {topic.name.casefold(): topic.id for topic in topics}
    return by_name.get(cleaned.casefold())


def parse_ranking(content: str, topics: Sequence[TopicCandidate], provider: str) -> Ranking:
    """A model's ranking reply, validated against the user's topics."""
    try:
        reply = _RankingReply.model_validate(json_object(content))
    except ValidationError as error:
        raise InvalidReply(f"the ranking does not match the contract: {error}") from None
    ranked: dict[TopicId, float] = {}
    for item in reply.topics:
        topic_id = _topic_id(item.id, topics)
        if topic_id is not None and topic_id not in ranked:
            ranked[topic_id] = _clamp(item.confidence if item.confidence is not None else 0.5)
    cleaned = " ".join((reply.new_topic or "").split()).strip(" #\"'«»")
    proposed: str | None = cleaned[:MAX_NEW_TOPIC_LENGTH] or None
    if proposed is not None and re.search(r"[^\W_]", proposed) is None:
        proposed = None
    if proposed is not None:
        existing = _topic_id(proposed, topics)
        if existing is not None:
            ranked.setdefault(existing, 0.5)
            proposed = None
    if not ranked and proposed is None:
        raise InvalidReply("the ranking names no existing topic and proposes none")
    order = sorted(ranked.items(), key=lambda item: item[1], reverse=True)
    return Ranking(topics=tuple(order), proposed_new_topic=proposed, provider=provider)


def parse_rendered(content: str) -> RenderedNote:
    """A model's render reply as it stands; `render.accept_rendered` then checks each part."""
    try:
        reply = _RenderReply.model_validate(json_object(content))
    except ValidationError as error:
        raise InvalidReply(f"the rendered note does not match the contract: {error}") from None
    return RenderedNote(title=reply.title, tags=tuple(reply.tags), text=reply.text)
