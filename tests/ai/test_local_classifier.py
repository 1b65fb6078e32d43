from __future__ import annotations

import pytest

from switchboard.ai import Example, LocalClassifier, TopicCandidate, TopicIndex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dentist on Friday at 10, bring the x-ray", 11),
        ("Запись к терапевту на вторник, сдать кровь натощак", 11),
        ("Сырники: творог, яйцо, две ложки муки", 12),
        ("bake the banana bread at 180 for 50 minutes", 12),
        ("train to Vienna leaves at 7:42, platform 9", 13),
        ("Забронировать гостиницу в Казани", 13),
        ("electricity bill 84.20, pay by the 15th", 14),
        ("Квартплата за май 7 850 ₽", 14),
    ],
)
async def test_ranks_the_topic_a_person_would_pick(
    topics: list[TopicCandidate], text: str, expected: int
) -> None:
    ranking = await LocalClassifier().classify(text, topics)
    assert ranking.top(1) == [expected]


async def test_ranking_covers_every_topic_with_confidences(topics: list[TopicCandidate]) -> None:
    ranking = await LocalClassifier().classify("ibuprofen for the knee", topics)
    assert sorted(ranking.top(10)) == [11, 12, 13, 14]
    confidences = [confidence for _, confidence in ranking.topics]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0, abs=0.01)
    assert ranking.provider == "local"
    assert ranking.proposed_new_topic is None


async def test_confirmed_notes_teach_words_the_topics_never_mention() -> None:
    topics = [TopicCandidate(1, "Band"), TopicCandidate(2, "Garden")]
    note = "move the rehearsal with Kostya to the basement studio"
    before = TopicIndex(topics).scores(note)
    index = TopicIndex(topics)
    index.learn(Example("rehearsal on Thursday, Kostya brings the bass amp", 1))
    index.learn(Example("tomatoes in the greenhouse need tying up", 2))
    after = index.scores(note)
    assert after[0][0] == 1
    assert dict(after)[1] - dict(after)[2] > dict(before)[1] - dict(before)[2]


async def test_confirmed_notes_take_effect_at_once_and_keep_it() -> None:
    topics = [TopicCandidate(1, "Дом"), TopicCandidate(2, "Машина")]
    index = TopicIndex(topics)
    before = dict(index.scores("кофемашина сломалась"))
    for text in ["кофемашина опять течёт", "кофемашина: поменять фильтр", "кофемашину почистить"]:
        index.learn(Example(text, 1))
        assert index.scores("кофемашина сломалась")[0][0] == 1
    after = dict(index.scores("кофемашина сломалась"))
    assert after[1] - after[2] > before[1] - before[2]


async def test_examples_for_unknown_topics_are_ignored(topics: list[TopicCandidate]) -> None:
    examples = [Example("whatever text", 999)]
    ranking = await LocalClassifier().classify("whatever text", topics, examples)
    assert sorted(ranking.top(10)) == [11, 12, 13, 14]


async def test_empty_inputs_do_not_fail(topics: list[TopicCandidate]) -> None:
    classifier = LocalClassifier()
    assert (await classifier.classify("", topics)).top(10) != []
    assert (await classifier.classify("🙂👍", topics)).top(10) != []
    assert (await classifier.classify("anything", [])).topics == ()


async def test_a_large_history_is_indexed_off_the_event_loop(
    topics: list[TopicCandidate],
) -> None:
    examples = [Example(f"receipt number {n} for the dentist", 11) for n in range(400)]
    classifier = LocalClassifier()
    first = await classifier.classify("dentist receipt", topics, examples)
    again = await classifier.classify("dentist receipt", topics, examples)
    assert first == again and first.top(1) == [11]
