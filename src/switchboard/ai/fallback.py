"""A remote provider with the local one behind it: the note is always classified and rendered.

The remote call gets `timeout` seconds. On a timeout, an HTTP or transport error, a reply that
fails validation, or any other exception, the local provider answers instead, the switch is
logged and counted (`switchboard_ai_fallbacks_total`), and the ranking says `provider="local"`.

A remote ranking is checked once more here, whoever implemented the provider: only the user's
topic ids, each once, confidences in [0, 1]. Topics the model left out follow in the local
order, below the model's picks, so the app can always offer alternatives.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import structlog
from prometheus_client import Counter

from switchboard.ai.classification import (
    Example,
    NoteClassifier,
    Ranking,
    RenderedNote,
    TopicCandidate,
    TopicId,
)
from switchboard.ai.local_classifier import LocalClassifier

log = structlog.get_logger("switchboard.ai")

FALLBACKS = Counter(
    "switchboard_ai_fallbacks_total",
    "Remote classification or rendering answered by the local provider instead",
    ["provider", "operation", "reason"],
)


def _reason(error: BaseException) -> str:
    return "timeout" if isinstance(error, TimeoutError) else type(error).__name__


def _clamp(value: float) -> float:
    return 0.0 if math.isnan(value) else min(1.0, max(0.0, value))


def merge_rankings(
    remote: Ranking, local: Ranking, topics: Sequence[TopicCandidate]
) -> Ranking | None:
    """The remote ranking restricted to real topics, then the rest in local order, below it.

    None when the remote ranking names no real topic and proposes none.
    """
    known = {topic.id for topic in topics}
    picked: dict[TopicId, float] = {}
    for topic_id, confidence in remote.topics:
        if topic_id in known and topic_id not in picked:
            picked[topic_id] = _clamp(confidence)
    if not picked and not remote.proposed_new_topic:
        return None
    ordered = sorted(picked.items(), key=lambda item: item[1], reverse=True)
    ceiling = min(picked.values(), default=0.5)
    rest = [
        (topic_id, round(min(confidence, ceiling) * 0.5, 3))
        for topic_id, confidence in local.topics
        if topic_id not in picked and topic_id in known
    ]
    return Ranking(
        topics=tuple(ordered + rest),
        proposed_new_topic=remote.proposed_new_topic,
        provider=remote.provider,
    )


class FallbackClassifier:
    """`primary` within `timeout` seconds, else `local`."""

    def __init__(
        self,
        primary: NoteClassifier,
        local: LocalClassifier | None = None,
        *,
        timeout: float = 15.0,
    ) -> None:
        self.primary = primary
        self.local = local or LocalClassifier()
        self.timeout = timeout
        self.name = primary.name

    def _fell_back(self, operation: str, error: BaseException) -> None:
        reason = _reason(error)
        FALLBACKS.labels(self.primary.name, operation, reason).inc()
        log.warning(
            "ai provider failed, answering locally",
            provider=self.primary.name,
            operation=operation,
            reason=reason,
            error=str(error)[:300],
        )

    async def classify(
        self,
        text: str,
        topics: Sequence[TopicCandidate],
        examples: Sequence[Example] = (),
    ) -> Ranking:
        local = await self.local.classify(text, topics, examples)
        try:
            async with asyncio.timeout(self.timeout):
                remote = await self.primary.classify(text, topics, examples)
        except Exception as error:  # any failure of the remote side: the local answer stands
            self._fell_back("classify", error)
            return local
        merged = merge_rankings(remote, local, topics)
        if merged is None:
            self._fell_back("classify", ValueError("no existing topic and no proposal"))
            return local
        return merged

    async def render(
        self,
        text: str,
        vocabulary: Sequence[str] = (),
        topic: TopicCandidate | None = None,
    ) -> RenderedNote:
        try:
            async with asyncio.timeout(self.timeout):
                return await self.primary.render(text, vocabulary, topic)
        except Exception as error:  # any failure of the remote side: render locally
            self._fell_back("render", error)
            return await self.local.render(text, vocabulary, topic)

    async def aclose(self) -> None:
        await self.primary.aclose()
        await self.local.aclose()
