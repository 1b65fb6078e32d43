"""Title, description and site name from markup."""

from __future__ import annotations

from switchboard.apps.notes.links import PageMetadata, page_metadata
from switchboard.apps.notes.links.metadata import MAX_DESCRIPTION, MAX_TITLE
from switchboard.kernel import decode_text

from .conftest import OG_PAGE, RUSSIAN_PAGE, RUSSIAN_TITLE, TITLE_ONLY_PAGE


def test_open_graph_wins() -> None:
    assert page_metadata(OG_PAGE) == PageMetadata(
        title="Open Graph & Title",
        description="A page with an Open Graph description.",
        site_name="Example Site",
    )


def test_only_a_title() -> None:
    assert page_metadata(TITLE_ONLY_PAGE) == PageMetadata(title="Only a title")


def test_twitter_card_before_plain_tags() -> None:
    html = """<head><title>Plain</title>
    <meta name="twitter:title" content="Card title">
    <meta name="twitter:description" content="Card text">
    <meta name="description" content="Plain text"></head>"""
    assert page_metadata(html) == PageMetadata(title="Card title", description="Card text")


def test_meta_names_are_case_insensitive_and_og_may_use_name() -> None:
    html = """<meta NAME="OG:Title" content="Shouting"><meta name="Description" content="d">
    <meta name="application-name" content="App">"""
    assert page_metadata(html) == PageMetadata(title="Shouting", description="d", site_name="App")


def test_blank_values_fall_through() -> None:
    html = '<title>Fallback</title><meta property="og:title" content="   ">'
    assert page_metadata(html).title == "Fallback"


def test_svg_title_in_body_is_not_the_page_title() -> None:
    html = "<head><title>Page</title></head><body><svg><title>icon</title></svg></body>"
    assert page_metadata(html).title == "Page"
    html = "<body><svg><title>icon</title></svg></body>"
    assert page_metadata(html).title == "icon"  # better than nothing


def test_title_is_text_not_markup() -> None:
    assert page_metadata("<title>a <b>bold</b> &lt;claim&gt;</title>").title == (
        "a <b>bold</b> <claim>"
    )


def test_control_characters_dropped_and_whitespace_collapsed() -> None:
    html = '<meta property="og:title" content="A\u0000B\u200b C\u00a0\u00a0D\tE\u2028F 👨\u200d👩">'
    assert page_metadata(html).title == "AB C D E F 👨\u200d👩"


def test_long_values_are_cut_at_a_word() -> None:
    words = " ".join(["word"] * 400)
    html = f'<title>{words}</title><meta name="description" content="{words}">'
    metadata = page_metadata(html)
    assert metadata.title is not None and metadata.description is not None
    assert len(metadata.title) <= MAX_TITLE and metadata.title.endswith("word…")
    assert len(metadata.description) <= MAX_DESCRIPTION
    unbroken = "x" * 1000
    cut = page_metadata(f"<title>{unbroken}</title>").title
    assert cut == "x" * (MAX_TITLE - 1) + "…"


def test_nothing_at_all() -> None:
    assert page_metadata("") == PageMetadata()
    assert page_metadata("\x00\xff garbage <<<>>>") == PageMetadata()


# The page as the kernel decodes it (charset rules are tested in tests/kernel/net).


def test_russian_page_by_meta() -> None:
    assert page_metadata(decode_text(RUSSIAN_PAGE, None, "text/html")).title == RUSSIAN_TITLE
