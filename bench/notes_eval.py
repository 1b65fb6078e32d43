"""Accuracy of the local note classifier against a keyword anchor, on the labelled notes.

The set is `tests/data/notes_labelled.jsonl` (240 notes, English and Russian, 10 topics described
in `tests/data/notes_topics.json`). Each split draws 5 notes per topic as the user's confirmed
examples and evaluates on all the others; figures are averaged over several random splits.
Each topic is named and described in both languages ("Health / Здоровье"), as a bilingual user
would.

The concept lexicon (`switchboard/ai/concept_lexicon.py`) and the weights were written and tuned
by the person who wrote this set, so its figures are optimistic. `notes_holdout.jsonl` (100
notes) was written after the lexicon and never used for tuning; the "holdout" line trains on 5
notes per topic from the main set and evaluates on all of it. "no lexicon" is the same
classifier without concept features, to show how much of the result the lexicon carries.

The anchor, measured in the same run on the same splits, is a keyword classifier: it counts the
note's word stems found in a topic's name and description and picks the topic with most hits
(ties broken at random). It cannot learn from examples, which is the point of comparison.

    uv run python bench/notes_eval.py            # 20 splits
    uv run python bench/notes_eval.py --quick    # 4 splits
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from switchboard.ai.classification import Example, TopicCandidate, TopicId
from switchboard.ai.text_features import content_words, stem
from switchboard.ai.topic_index import TopicIndex

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
EXAMPLES_PER_TOPIC = 5


@dataclass(frozen=True)
class LabelledNote:
    text: str
    topic_id: TopicId
    language: str


@dataclass(frozen=True)
class Accuracy:
    top1: float
    top3: float


def load_notes(name: str, ids: dict[str, TopicId]) -> list[LabelledNote]:
    notes = []
    with (DATA / name).open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            notes.append(LabelledNote(record["text"], ids[record["topic"]], record["lang"]))
    return notes


def load_set(
    name: str = "notes_labelled.jsonl",
) -> tuple[list[TopicCandidate], list[LabelledNote]]:
    raw_topics = json.loads((DATA / "notes_topics.json").read_text(encoding="utf-8"))
    ids = {topic["key"]: number for number, topic in enumerate(raw_topics, start=1)}
    topics = [
        TopicCandidate(
            id=ids[topic["key"]],
            name=f"{topic['name_en']} / {topic['name_ru']}",
            description=f"{topic['description_en']}. {topic['description_ru']}",
        )
        for topic in raw_topics
    ]
    return topics, load_notes(name, ids)


def split(
    notes: Sequence[LabelledNote], per_topic: int, seed: int
) -> tuple[list[LabelledNote], list[LabelledNote]]:
    """`per_topic` random notes of each topic as examples, the rest to evaluate on."""
    generator = random.Random(seed)
    shuffled = list(notes)
    generator.shuffle(shuffled)
    taken: Counter[TopicId] = Counter()
    train, test = [], []
    for note in shuffled:
        if taken[note.topic_id] < per_topic:
            taken[note.topic_id] += 1
            train.append(note)
        else:
            test.append(note)
    return train, test


Ranker = Callable[[str], list[TopicId]]


def local_ranker(
    topics: Sequence[TopicCandidate], train: Sequence[LabelledNote], *, with_concepts: bool = True
) -> Ranker:
    examples = [Example(note.text, note.topic_id) for note in train]
    index = TopicIndex(topics, examples, with_concepts=with_concepts)
    return lambda text: [topic_id for topic_id, _ in index.scores(text)]


def keyword_ranker(topics: Sequence[TopicCandidate], seed: int) -> Ranker:
    vocabulary = {
        topic.id: {stem(word) for word in content_words(f"{topic.name} {topic.description}")}
        for topic in topics
    }
    generator = random.Random(seed)

    def rank(text: str) -> list[TopicId]:
        stems = [stem(word) for word in content_words(text)]
        hits = {topic_id: sum(s in words for s in stems) for topic_id, words in vocabulary.items()}
        order = list(hits)
        generator.shuffle(order)
        return sorted(order, key=lambda topic_id: hits[topic_id], reverse=True)

    return rank


def accuracy(ranker: Ranker, test: Sequence[LabelledNote]) -> Accuracy:
    top1 = top3 = 0
    for note in test:
        ranked = ranker(note.text)
        top1 += ranked[0] == note.topic_id
        top3 += note.topic_id in ranked[:3]
    return Accuracy(top1 / len(test), top3 / len(test))


def mean(values: Sequence[Accuracy]) -> Accuracy:
    return Accuracy(
        sum(v.top1 for v in values) / len(values), sum(v.top3 for v in values) / len(values)
    )


def evaluate(splits: int, per_topic: int = EXAMPLES_PER_TOPIC) -> dict[str, Accuracy]:
    """Mean accuracy per system over `splits` random splits."""
    topics, notes = load_set()
    _, holdout = load_set("notes_holdout.jsonl")
    results: dict[str, list[Accuracy]] = {}
    for seed in range(splits):
        train, test = split(notes, per_topic, seed)
        systems = {
            "local": local_ranker(topics, train),
            "local, no examples": local_ranker(topics, []),
            "local, no lexicon": local_ranker(topics, train, with_concepts=False),
            "keyword anchor": keyword_ranker(topics, seed),
        }
        for name, ranker in systems.items():
            results.setdefault(name, []).append(accuracy(ranker, test))
        results.setdefault("local, holdout", []).append(accuracy(systems["local"], holdout))
        results.setdefault("keyword anchor, holdout", []).append(
            accuracy(systems["keyword anchor"], holdout)
        )
        for language in ("en", "ru"):
            subset = [note for note in test if note.language == language]
            results.setdefault(f"local, {language} notes", []).append(
                accuracy(systems["local"], subset)
            )
    return {name: mean(values) for name, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 splits instead of 20")
    parser.add_argument("--splits", type=int, default=None)
    args = parser.parse_args()
    splits = args.splits or (4 if args.quick else 20)

    started = time.perf_counter()
    results = evaluate(splits)
    elapsed = time.perf_counter() - started
    topics, notes = load_set()
    print(
        f"{len(notes)} notes, {len(topics)} topics, {EXAMPLES_PER_TOPIC} confirmed examples "
        f"per topic, {splits} random splits ({elapsed:.1f} s)"
    )
    for name, result in results.items():
        print(f"  {name:<24} top-1 {result.top1:6.1%}   top-3 {result.top3:6.1%}")
    local, anchor = results["local"], results["keyword anchor"]
    print(
        f"ratio local / keyword anchor: top-1 {local.top1 / anchor.top1:.2f}x, "
        f"top-3 {local.top3 / anchor.top3:.2f}x"
    )
    target = local.top1 >= 0.70 and local.top3 >= 0.90
    print(f"target top-1 >= 70 %, top-3 >= 90 %: {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()
