"""What the outbox writes down for a call: the fields it sends, and nothing it cannot repeat."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aiogram.client.default import Default
from aiogram.methods import GetMe, SendMessage
from aiogram.types import (
    BufferedInputFile,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LinkPreviewOptions,
    Message,
)

from switchboard.kernel.pipeline.outbox import delivery_of, rebuild

MESSAGE = Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=5, type="private"), text="x")


def test_a_reply_keeps_what_it_sends_without_nulls_or_the_bots_defaults() -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="y")]]
    )
    call = MESSAGE.answer(
        "hello", reply_markup=keyboard, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    delivery = delivery_of(7, call)
    assert delivery is not None
    assert (delivery.bot_id, delivery.method) == (7, "sendMessage")
    assert json.loads(delivery.payload) == {
        "chat_id": 5,
        "text": "hello",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]},
    }
    again = rebuild(delivery.method, delivery.payload)
    assert isinstance(again, SendMessage)
    assert (again.chat_id, again.text, again.reply_markup) == (5, "hello", keyboard)
    # The bot's defaults apply again when it is repeated, as when it was first made.
    assert isinstance(again.parse_mode, Default)


def test_a_call_that_uploads_is_not_written_down_even_inside_an_album() -> None:
    upload = BufferedInputFile(b"\xff\xd8", "photo.jpg")
    assert delivery_of(1, MESSAGE.answer_photo(upload)) is None
    assert delivery_of(1, MESSAGE.answer_media_group([InputMediaPhoto(media=upload)])) is None
    by_id = delivery_of(1, MESSAGE.answer_photo("AgACAgIAAx"))
    assert by_id is not None
    assert json.loads(by_id.payload) == {"chat_id": 5, "photo": "AgACAgIAAx"}


def test_reads_are_not_written_down() -> None:
    assert delivery_of(1, GetMe()) is None
