"""The default provider: offline, no key, no model files, English and Russian.

It ranks with a `TopicIndex` built from the user's topics and confirmed notes. Building costs
a few milliseconds per hundred notes, so the last few indexes are kept, keyed by exactly what
they were built from: a user who confirms a note gets a new index with it on the next call.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from collections.abc import Sequence

from switchboard.ai.classification import (
    Example,
    Ranking,
    RenderedNote,
    TopicCandidate,
    TopicId,
)
from switchboard.ai.render import render_locally
from switchboard.ai.topic_index import TopicIndex

# Raw scores differ by tenths between a right and a wrong topic; this spreads them into
# confidences a person reads sensibly (a clear winner near 0.8, a toss-up near 0.3).
TEMPERATURE = 0.2
# Building an index for this many notes takes long enough to leave the event loop for it.
BUILD_IN_THREAD_FROM = 300

_IndexKey = tuple[tuple[TopicCandidate, ...], tuple[Example, ...]]


def confidences(scores: Sequence[tuple[TopicId, float]]) -> tuple[tuple[TopicId, float], ...]:
    """Softmax of raw scores, rounded to 3 places, order kept."""
    if not scores:
        return ()
    top = max(score for _, score in scores)
    weights = [math.exp((score - top) / TEMPERATURE) for _, score in scores]
    total = sum(weights)
    return tuple(
        (topic_id, round(weight / total, 3))
        for (topic_id, _), weight in zip(scores, weights, strict=True)
    )


class LocalClassifier:
    """Ranks topics by similarity to their names, descriptions and confirmed notes."""

    name = "local"

    def __init__(self, *, cache_size: int = 32) -> None:
        self._cache: OrderedDict[_IndexKey, TopicIndex] = OrderedDict()
        self._cache_size = cache_size

    def _cached(self, key: _IndexKey) -> TopicIndex | None:
        index = self._cache.get(key)
        if index is not None:
            self._cache.move_to_end(key)
        return index

    def _store(self, key: _IndexKey, index: TopicIndex) -> None:
        self._cache[key] = index
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def rank(
        self,
        text: str,
        topics: Sequence[TopicCandidate],
        examples: Sequence[Example] = (),
    ) -> Ranking:
        """Every topic, best first, with confidences summing to about 1 (synchronous)."""
        key = (tuple(topics), tuple(examples))
        index = self._cached(key)
        if index is None:
            index = TopicIndex(topics, examples)
            self._store(key, index)
        return Ranking(topics=confidences(index.scores(text)), provider=self.name)

    async def classify(
        self,
        text: str,
        topics: Sequence[TopicCandidate],
        examples: Sequence[Example] = (),
    ) -> Ranking:
        key = (tuple(topics), tuple(examples))
        if self._cached(key) is None and len(examples) >= BUILD_IN_THREAD_FROM:
            self._store(key, await asyncio.to_thread(TopicIndex, topics, examples))
        return self.rank(text, topics, examples)

    async def render(
        self,
        text: str,
        vocabulary: Sequence[str] = (),
        topic: TopicCandidate | None = None,
    ) -> RenderedNote:
        return render_locally(text, vocabulary, topic)

    async def aclose(self) -> None:
        self._cache.clear()
