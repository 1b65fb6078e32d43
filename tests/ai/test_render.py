from __future__ import annotations

from switchboard.ai import (
    RenderedNote,
    TopicCandidate,
    accept_rendered,
    clean_text,
    make_title,
    render_locally,
)


def test_title_is_the_first_line_shortened_at_a_boundary() -> None:
    assert make_title("call the landlord about the tap\nhe is away till Monday") == (
        "Call the landlord about the tap"
    )
    long = "Shakshuka: onion, peppers, tomatoes, cumin, paprika, then crack the eggs in and cover"
    title = make_title(long)
    assert len(title) <= 60 and title.endswith("…")
    assert long.startswith(title[:-1])
    assert make_title("First sentence here. Second one is long " + "x " * 40) == (
        "First sentence here"
    )


def test_title_skips_links_and_names_the_site_when_nothing_else() -> None:
    assert make_title("https://habr.com/ru/articles/748432/ про индексы") == "Про индексы"
    assert make_title("https://www.youtube.com/watch?v=8pTEmbeENF4") == "Link: youtube"
    assert make_title("   ") == "Note"


def test_clean_text_tidies_without_dropping_anything() -> None:
    raw = "milk,  eggs\u200b \r\n\r\n\r\n\r\n  bread   \n"
    assert clean_text(raw) == "milk, eggs\n\n  bread"


def test_local_render_has_title_tags_and_text() -> None:
    topic = TopicCandidate(1, "Shopping", "What to buy")
    note = render_locally("  milk, eggs, sourdough, two avocados ", ["groceries"], topic)
    assert note.title == "Milk, eggs, sourdough, two avocados"
    assert note.text == "milk, eggs, sourdough, two avocados"
    assert 3 <= len(note.tags) <= 8
    assert note.hashtags.startswith("#")


def test_a_models_render_that_drops_words_keeps_the_users_text() -> None:
    original = "Hotel in Porto booked, check-in after 3pm, confirmation 7734521"
    proposal = RenderedNote("Porto hotel", ("travel", "porto", "hotel"), "Hotel in Porto booked.")
    accepted = accept_rendered(proposal, original)
    assert accepted.text == original
    assert accepted.title == "Porto hotel"


def test_a_models_tidy_text_is_kept_when_it_says_everything() -> None:
    original = "hotel in porto bookd, check in after 3pm, confirmation 7734521"
    tidy = "Hotel in Porto booked; check-in after 3pm, confirmation 7734521."
    accepted = accept_rendered(RenderedNote("Porto", ("porto",), tidy), original)
    assert accepted.text == tidy


def test_a_models_tags_are_normalised_reused_and_topped_up() -> None:
    proposal = RenderedNote("  **Title**  ", ("#Travel Plans", "Porto!!", "2024", "porto"), "")
    original = "Hotel in Porto booked, check-in after 3pm"
    accepted = accept_rendered(proposal, original, vocabulary=["Travel_Plans"])
    assert accepted.title == "Title"
    assert accepted.tags[:2] == ("Travel_Plans", "porto")
    assert 3 <= len(accepted.tags) <= 8
    assert accepted.text == original


def test_a_models_empty_title_is_replaced() -> None:
    accepted = accept_rendered(RenderedNote("  ", (), ""), "buy milk and bread")
    assert accepted.title == "Buy milk and bread"
