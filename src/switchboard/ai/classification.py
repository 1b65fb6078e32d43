"""The classification contract: what a provider is given and what it must answer.

A provider ranks the user's existing topics for a note (`classify`) and turns the note into a
title, hashtags and cleaned text (`render`). Providers are stateless about users: the notes app
passes the user's topics, confirmed examples and tag vocabulary on every call, so the same
provider object serves every user and every bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

TopicId = int


@dataclass(frozen=True, slots=True)
class TopicCandidate:
    """A forum topic the note may go to: its id in the notes app, its name and what it holds."""

    id: TopicId
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Example:
    """A note the user confirmed into a topic; local ranking learns from these."""

    text: str
    topic_id: TopicId


@dataclass(frozen=True, slots=True)
class Ranking:
    """Existing topics best first, each with a confidence in [0, 1].

    `proposed_new_topic` is a name a model suggests when no topic fits; the user must confirm it
    before anything is created. `provider` names who answered, so the app can show and count
    fallbacks.
    """

    topics: tuple[tuple[TopicId, float], ...] = ()
    proposed_new_topic: str | None = None
    provider: str = "local"

    @property
    def best(self) -> tuple[TopicId, float] | None:
        return self.topics[0] if self.topics else None

    def top(self, count: int) -> list[TopicId]:
        return [topic_id for topic_id, _ in self.topics[:count]]


@dataclass(frozen=True, slots=True)
class RenderedNote:
    """What is posted into the topic: a title, hashtags (without `#`) and the note's text."""

    title: str
    tags: tuple[str, ...] = field(default_factory=tuple)
    text: str = ""

    @property
    def hashtags(self) -> str:
        return " ".join(f"#{tag}" for tag in self.tags)


@runtime_checkable
class NoteClassifier(Protocol):
    """Ranks topics for a note and renders it. Implemented by every provider."""

    name: str

    async def classify(
        self,
        text: str,
        topics: Sequence[TopicCandidate],
        examples: Sequence[Example] = (),
    ) -> Ranking:
        """Rank `topics` for `text`; `examples` are the user's confirmed notes."""
        ...

    async def render(
        self,
        text: str,
        vocabulary: Sequence[str] = (),
        topic: TopicCandidate | None = None,
    ) -> RenderedNote:
        """Title, 3–8 tags (from `vocabulary`, most used first, before new ones) and text."""
        ...

    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""
        ...


class ProviderError(Exception):
    """A remote provider failed: HTTP error, timeout, or a reply we cannot use.

    `retryable` tells a job whether trying again later may help (timeouts, 429, 5xx) or not
    (a wrong key, a rejected request).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class InvalidReply(ProviderError):
    """A remote provider answered, but not with what the contract asks for."""
