"""A small vector index of one user's topics that learns from the notes they confirm.

Each topic has a profile (its name and description) and the notes confirmed into it. A note is
scored against each topic by three cosine similarities over TF-IDF-weighted features (see
`text_features`): with the profile, with the centroid of the confirmed notes, and with the
nearest confirmed note. The centroid generalises; the nearest note catches the user's recurring
phrasings ("milk, eggs…"); the profile carries a topic before it has any notes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from switchboard.ai.classification import Example, TopicCandidate, TopicId
from switchboard.ai.text_features import weighted_features

Vector = dict[str, float]

PROFILE_WEIGHT = 1.2
CENTROID_WEIGHT = 1.0
NEAREST_WEIGHT = 0.3
# Topics the user files into more often win ties, gently.
USE_PRIOR_WEIGHT = 0.01


def _norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(value * value for value in vector.values()))


def _unit(vector: Mapping[str, float]) -> Vector:
    length = _norm(vector)
    return {key: value / length for key, value in vector.items()} if length else {}


def _dot(small: Mapping[str, float], large: Mapping[str, float]) -> float:
    if len(small) > len(large):
        small, large = large, small
    return sum(value * large.get(key, 0.0) for key, value in small.items())


def _add(total: Vector, vector: Mapping[str, float], scale: float = 1.0) -> None:
    for key, value in vector.items():
        total[key] = total.get(key, 0.0) + value * scale


class TopicIndex:
    """Ranks topics for a note; `learn` adds a confirmed note and takes effect at once."""

    def __init__(
        self,
        topics: Sequence[TopicCandidate],
        examples: Iterable[Example] = (),
        *,
        with_concepts: bool = True,
    ) -> None:
        self._with_concepts = with_concepts
        self._topics = list(topics)
        self._profiles: dict[TopicId, Vector] = {}
        for topic in self._topics:
            profile: Vector = {}
            _add(profile, self._features(topic.name), 2.0)
            _add(profile, self._features(topic.description))
            self._profiles[topic.id] = profile
        self._examples: dict[TopicId, list[Vector]] = defaultdict(list)
        self._document_frequency: dict[str, int] = defaultdict(int)
        self._documents = 0
        for profile in self._profiles.values():
            self._count_document(profile)
        self._fitted: dict[TopicId, tuple[Vector, Vector, list[Vector]]] | None = None
        for example in examples:
            self.learn(example)

    def _features(self, text: str) -> Vector:
        return weighted_features(text, with_concepts=self._with_concepts)

    def _count_document(self, vector: Mapping[str, float]) -> None:
        self._documents += 1
        for key in vector:
            self._document_frequency[key] += 1

    def learn(self, example: Example) -> None:
        """Remember a confirmed note; notes for topics not in the index are ignored."""
        if example.topic_id not in self._profiles:
            return
        vector = self._features(example.text)
        if not vector:
            return
        self._examples[example.topic_id].append(vector)
        self._count_document(vector)
        self._fitted = None

    def _idf(self, key: str) -> float:
        # Smoothed IDF; features never seen get the rarest weight.
        return math.log((self._documents + 1) / (self._document_frequency.get(key, 0) + 1)) + 1

    def _weigh(self, vector: Mapping[str, float]) -> Vector:
        return _unit({key: value * self._idf(key) for key, value in vector.items()})

    def _fit(self) -> dict[TopicId, tuple[Vector, Vector, list[Vector]]]:
        if self._fitted is None:
            fitted = {}
            for topic_id, profile in self._profiles.items():
                examples = [self._weigh(vector) for vector in self._examples.get(topic_id, [])]
                centroid: Vector = {}
                for vector in examples:
                    _add(centroid, vector)
                fitted[topic_id] = (self._weigh(profile), _unit(centroid), examples)
            self._fitted = fitted
        return self._fitted

    def scores(self, text: str) -> list[tuple[TopicId, float]]:
        """Every topic with its raw score, best first (ties keep the topics' order)."""
        query = self._weigh(self._features(text))
        fitted = self._fit()
        scored = []
        for topic in self._topics:
            profile, centroid, examples = fitted[topic.id]
            nearest = max((_dot(query, example) for example in examples), default=0.0)
            score = (
                PROFILE_WEIGHT * _dot(query, profile)
                + CENTROID_WEIGHT * _dot(query, centroid)
                + NEAREST_WEIGHT * nearest
                + USE_PRIOR_WEIGHT * math.log1p(len(examples))
            )
            scored.append((topic.id, score))
        scored.sort(key=lambda item: item[1], reverse=True)
        return scored
