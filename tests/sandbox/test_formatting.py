"""parse_mode over HTTP: HTML and MarkdownV2 become text and entities with UTF-16 offsets (an
emoji outside the BMP is two units), and bad markup is refused as Telegram refuses it."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.sandbox.testing import SandboxClient

from .conftest import BotApi, Json

E = dict[str, Any]


@pytest.fixture
async def chat(tg: SandboxClient, api: BotApi) -> int:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    return int(alice["id"])


async def _send(api: BotApi, chat: int, text: str, mode: str) -> Json:
    message: Json = await api.ok("sendMessage", chat_id=chat, text=text, parse_mode=mode)
    return message


HTML_CASES: list[tuple[str, str, list[E]]] = [
    (
        "<b>bold</b> 😀 <i>italic</i>",
        "bold 😀 italic",
        [{"offset": 0, "length": 4, "type": "bold"}, {"offset": 8, "length": 6, "type": "italic"}],
    ),
    (
        "😀😀<u>under</u><s>x</s>",
        "😀😀underx",
        [
            {"offset": 4, "length": 5, "type": "underline"},
            {"offset": 9, "length": 1, "type": "strikethrough"},
        ],
    ),
    (
        "<b>a<i>b</i></b>",
        "ab",
        [{"offset": 0, "length": 2, "type": "bold"}, {"offset": 1, "length": 1, "type": "italic"}],
    ),
    (
        '<pre><code class="language-python">x = 1</code></pre>',
        "x = 1",
        [{"offset": 0, "length": 5, "type": "pre", "language": "python"}],
    ),
    (
        '🎉<a href="https://example.org/p">link</a>',
        "🎉link",
        [{"offset": 2, "length": 4, "type": "text_link", "url": "https://example.org/p"}],
    ),
    ("&lt;b&gt; &amp; <code>&lt;</code>", "<b> & <", [{"offset": 6, "length": 1, "type": "code"}]),
    (
        '<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">t</span>'
        "<blockquote expandable>q</blockquote>",
        "stq",
        [
            {"offset": 0, "length": 1, "type": "spoiler"},
            {"offset": 1, "length": 1, "type": "spoiler"},
            {"offset": 2, "length": 1, "type": "expandable_blockquote"},
        ],
    ),
]

MARKDOWN_V2_CASES: list[tuple[str, str, list[E]]] = [
    (
        "😀 *b* _i_ __u__ ~s~ ||sp|| `c`",
        "😀 b i u s sp c",
        [
            {"offset": 3, "length": 1, "type": "bold"},
            {"offset": 5, "length": 1, "type": "italic"},
            {"offset": 7, "length": 1, "type": "underline"},
            {"offset": 9, "length": 1, "type": "strikethrough"},
            {"offset": 11, "length": 2, "type": "spoiler"},
            {"offset": 14, "length": 1, "type": "code"},
        ],
    ),
    (
        "*bold _italic_*",
        "bold italic",
        [{"offset": 0, "length": 11, "type": "bold"}, {"offset": 5, "length": 6, "type": "italic"}],
    ),
    (
        "🚀 [site](https://example.org/a) costs 5\\.00\\!",
        "🚀 site costs 5.00!",
        [{"offset": 3, "length": 4, "type": "text_link", "url": "https://example.org/a"}],
    ),
]


@pytest.mark.parametrize(("source", "text", "entities"), HTML_CASES)
async def test_html(api: BotApi, chat: int, source: str, text: str, entities: list[E]) -> None:
    message = await _send(api, chat, source, "HTML")
    assert (message["text"], message.get("entities", [])) == (text, entities)


@pytest.mark.parametrize(("source", "text", "entities"), MARKDOWN_V2_CASES)
async def test_markdown_v2(
    api: BotApi, chat: int, source: str, text: str, entities: list[E]
) -> None:
    message = await _send(api, chat, source, "MarkdownV2")
    assert (message["text"], message.get("entities", [])) == (text, entities)


async def test_offsets_are_utf16_code_units(api: BotApi, chat: int) -> None:
    message = await _send(api, chat, "👩‍👩‍👧 é 𝄞 <b>x</b>", "HTML")
    start = message["entities"][0]["offset"]
    prefix = message["text"][: message["text"].index("x")]
    assert start == len(prefix.encode("utf-16-le")) // 2 == 14  # 8 + 3 + 2 + 1


async def test_urls_and_mentions_are_found_in_plain_text(api: BotApi, chat: int) -> None:
    message = await api.ok(
        "sendMessage", chat_id=chat, text="😀 see https://example.org/x, @someone and #tag"
    )
    kinds = [(e["type"], e["offset"], e["length"]) for e in message["entities"]]
    assert kinds == [("url", 7, 21), ("mention", 30, 8), ("hashtag", 43, 4)]


async def test_a_mention_of_a_known_user_carries_the_user(
    tg: SandboxClient, api: BotApi, chat: int
) -> None:
    bob = await tg.create_user("Bob", username="bob_mentioned")
    message = await _send(api, chat, f'hi <a href="tg://user?id={bob["id"]}">Bob</a>', "HTML")
    assert message["entities"] == [
        {"offset": 3, "length": 3, "type": "text_mention", "user": bob},
    ]
    unknown = await _send(api, chat, 'hi <a href="tg://user?id=42">ghost</a>', "HTML")
    assert "entities" not in unknown  # Telegram drops mentions of users it can't show


async def test_explicit_entities_are_checked_and_cut_to_the_text(api: BotApi, chat: int) -> None:
    message = await api.ok(
        "sendMessage",
        chat_id=chat,
        text="abc",
        entities=[
            {"type": "bold", "offset": 1, "length": 10},
            {"type": "italic", "offset": 5, "length": 1},
        ],
    )
    assert message["entities"] == [{"offset": 1, "length": 2, "type": "bold"}]
    bad = await api("sendMessage", chat_id=chat, text="abc", entities=[{"type": "bold"}])
    assert bad.description == "Bad Request: can't parse MessageEntity: Can't find field \"offset\""


@pytest.mark.parametrize(
    ("mode", "source", "detail"),
    [
        ("HTML", "<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        (
            "HTML",
            "😀 <b>x</i>",
            'Unmatched end tag at byte offset 9, expected "</b>", found "</i>"',
        ),
        ("HTML", "<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "MarkdownV2",
            "1.5",
            "Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
        ("MarkdownV2", "x *bold", "Can't find end of Bold entity at byte offset 2"),
        ("MarkdownV2", "😀 ~gone", "Can't find end of Strikethrough entity at byte offset 5"),
        ("MarkdownV2", "`code", "Can't find end of Code entity at byte offset 0"),
    ],
)
async def test_bad_markup(api: BotApi, chat: int, mode: str, source: str, detail: str) -> None:
    reply = await api("sendMessage", chat_id=chat, text=source, parse_mode=mode)
    assert (reply.status, reply.description) == (
        400,
        f"Bad Request: can't parse entities: {detail}",
    )


async def test_text_empty_after_parsing(api: BotApi, chat: int) -> None:
    reply = await api("sendMessage", chat_id=chat, text="<b></b>", parse_mode="HTML")
    assert reply.status == 400


async def test_captions_are_formatted_too(api: BotApi, chat: int) -> None:
    from .media import png

    sent = await api.form(
        "sendPhoto",
        {"chat_id": str(chat), "caption": "😀 <b>cap</b>", "parse_mode": "HTML"},
        {"photo": ("p.png", png(), "image/png")},
    )
    assert sent.result["caption_entities"] == [{"offset": 3, "length": 3, "type": "bold"}]
