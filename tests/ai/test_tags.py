from __future__ import annotations

import pytest

from switchboard.ai import hashtag, suggest_tags
from switchboard.ai.tags import MAX_TAGS, MIN_TAGS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Vitamin D", "vitamin_d"),
        ("#Travel", "travel"),
        ("чат-бот", "чат_бот"),
        ("Ёлка 2025", "ёлка_2025"),
        ("  rock & roll!  ", "rock_roll"),
        ("2025", None),
        ("!!!", None),
        ("", None),
        ("a" * 50, "a" * 32),
    ],
)
def test_hashtags_are_what_telegram_recognises(raw: str, expected: str | None) -> None:
    assert hashtag(raw) == expected


def test_the_users_tags_come_first_and_new_ones_fill_up() -> None:
    vocabulary = ["рецепт", "work"]
    tags = suggest_tags("Сырники по рецепту бабушки: творог, яйцо, мука", vocabulary)
    assert tags[0] == "рецепт"
    assert "сырник" in tags
    assert "work" not in tags


def test_a_new_word_is_written_as_the_existing_tag_with_its_stem() -> None:
    tags = suggest_tags("Два новых рецепта с тыквой", ["рецепты", "тыква_сезон"])
    assert "рецепты" in tags
    assert "рецепт" not in tags


def test_a_tag_of_the_notes_concept_is_reused_without_shared_words() -> None:
    tags = suggest_tags("dentist on Tuesday at 9:30, bring the x-ray", ["health", "travel"])
    assert "health" in tags and "travel" not in tags


def test_new_russian_tags_are_in_dictionary_form() -> None:
    tags = suggest_tags("Купить корм коту и новую сковородку")
    assert "кот" in tags and "сковородка" in tags
    assert "коту" not in tags and "купить" not in tags


def test_links_give_their_site_as_a_tag() -> None:
    tags = suggest_tags("watch later https://www.youtube.com/watch?v=8pTEmbeENF4")
    assert "youtube" in tags


@pytest.mark.parametrize(
    "text",
    [
        "milk",
        "",
        "ok",
        "Ключи",
        " ".join(f"word{n} topic{n} thing{n} element" for n in range(40)),
        "Paris London Rome Lisbon Porto Berlin Vienna Prague Budapest Istanbul Tbilisi Yerevan",
    ],
)
def test_between_three_and_eight_tags_unique_by_stem(text: str) -> None:
    tags = suggest_tags(text, ["Paris", "paris_trip"], topic_name="Inbox / Входящие")
    assert MIN_TAGS <= len(tags) <= MAX_TAGS
    assert len({tag.lower() for tag in tags}) == len(tags)
    assert all(hashtag(tag) == tag.lower() for tag in tags)


def test_short_notes_are_topped_up_with_the_topic_in_their_language() -> None:
    assert "входящие" in suggest_tags("Ключи", topic_name="Inbox / Входящие")
    assert "inbox" in suggest_tags("keys", topic_name="Inbox / Входящие")
