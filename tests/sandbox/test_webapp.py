"""Mini App launch data: Telegram's published example reproduced, and what the sandbox hands out
accepted by the checks bots actually run (aiogram's)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart, Filter
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, WebAppInfo
from aiogram.utils.web_app import safe_parse_webapp_init_data
from aiogram.utils.web_app_signature import check_webapp_signature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.sandbox.webapp import (
    SANDBOX_PUBLIC_KEY_HEX,
    check_init_data,
    init_data_hash,
    signed_message,
)

from .conftest import BotApi, Json, new_token


def _fields(init_data: str) -> dict[str, str]:
    return dict(parse_qsl(init_data, keep_blank_values=True))


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_reproduces_telegrams_published_hash(webapp_vectors: Json) -> None:
    example = webapp_vectors["hmac_first_party"]
    fields = _fields(example["init_data"])
    assert init_data_hash(example["bot_token"], fields) == fields["hash"]
    assert check_init_data(example["bot_token"], example["init_data"])
    assert not check_init_data(example["bot_token"][:-1] + "X", example["init_data"])


def test_signs_the_message_telegram_signs(webapp_vectors: Json) -> None:
    """The published example's Ed25519 signature verifies, with Telegram's production key, over
    the message the sandbox builds: so the sandbox's signing rule is Telegram's."""
    example = webapp_vectors["hmac_first_party"]
    third_party = webapp_vectors["ed25519_third_party"]
    fields = _fields(example["init_data"])
    key = Ed25519PublicKey.from_public_bytes(
        bytes.fromhex(third_party["production_public_key_hex"])
    )
    key.verify(_b64url(fields["signature"]), signed_message(third_party["bot_id"], fields))


def test_the_sandbox_key_is_the_published_test_pair(webapp_vectors: Json) -> None:
    pair = webapp_vectors["aiogram_test_keypair_for_emulators"]
    assert pair["public_key_hex"] == SANDBOX_PUBLIC_KEY_HEX


async def test_init_data_the_user_api_hands_out(
    tg: SandboxClient, api: BotApi, webapp_vectors: Json
) -> None:
    alice = await tg.create_user("Alice", username="alice_app", language_code="de")
    await api.ok(
        "setChatMenuButton",
        menu_button={"type": "web_app", "text": "Open", "web_app": {"url": "https://app.example"}},
    )
    opened = await tg.webapp(alice, api.id)
    assert opened["url"] == "https://app.example"
    init_data = opened["init_data"]

    parsed = safe_parse_webapp_init_data(api.token, init_data)  # aiogram's HMAC check
    assert parsed.user is not None
    assert (parsed.user.id, parsed.user.username) == (alice["id"], "alice_app")
    assert parsed.query_id
    public = bytes.fromhex(webapp_vectors["aiogram_test_keypair_for_emulators"]["public_key_hex"])
    assert check_webapp_signature(api.id, init_data, public)  # aiogram's Ed25519 check
    assert not check_webapp_signature(api.id + 1, init_data, public)
    fields = _fields(init_data)
    Ed25519PublicKey.from_public_bytes(public).verify(
        _b64url(fields["signature"]), signed_message(api.id, fields)
    )
    other = BotApi(api.http, api.token.replace(":", ":x", 1))
    assert not check_init_data(other.token, init_data)


async def test_start_param_is_signed_too(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    opened = await tg._post(
        "webapp", user_id=alice["id"], bot_id=api.id, url="https://x.example", start_param="ref42"
    )
    parsed = safe_parse_webapp_init_data(api.token, opened["init_data"])
    assert parsed.start_param == "ref42"


class HasWebAppData(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.web_app_data is not None


@contextlib.asynccontextmanager
async def shop_bot(sandbox_url: str, token: str) -> AsyncIterator[None]:
    """An aiogram bot whose keyboard opens a Mini App, and which answers what it sends."""
    dp = Dispatcher()
    shop = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Order", web_app=WebAppInfo(url="https://shop.example"))]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Open the shop:", reply_markup=shop)

    @dp.message(HasWebAppData())
    async def ordered(message: Message) -> None:
        assert message.web_app_data is not None
        data, button = message.web_app_data.data, message.web_app_data.button_text
        await message.answer(f"got {data} from {button}")

    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox_url))
    bot = Bot(token, session=session)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield
    finally:
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(polling, 10)
        await session.close()


async def test_send_data_reaches_an_aiogram_bot_as_web_app_data(
    sandbox: SandboxServer, tg: SandboxClient
) -> None:
    token = new_token()
    bot = await tg.create_bot(token, first_name="Shop")
    alice = await tg.create_user("Alice")
    async with shop_bot(sandbox.url, token):
        await tg.send_text(alice, "/start", bot_id=bot["id"])
        await tg.expect_message(chat_id=alice["id"], bot_id=bot["id"], text="Open the shop:")
        keyboard = await tg.reply_keyboard(alice, bot_id=bot["id"])
        assert keyboard is not None
        button = keyboard["markup"]["keyboard"][0][0]
        assert button == {"text": "Order", "web_app": {"url": "https://shop.example"}}

        sent = await tg.send_web_app_data(
            alice, bot["id"], '{"item": 7}', button_text=button["text"]
        )
        assert sent["web_app_data"] == {"data": '{"item": 7}', "button_text": "Order"}
        assert sent["from"]["id"] == alice["id"] and sent["chat"]["id"] == alice["id"]
        reply = await tg.expect_message(chat_id=alice["id"], bot_id=bot["id"], contains="got")
    assert reply["text"] == 'got {"item": 7} from Order'
    hidden = await tg.reply_keyboard(alice, bot_id=bot["id"])
    assert hidden is not None and hidden["hidden"] is True  # the one-time keyboard was used


async def test_web_app_data_is_checked(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    cases: list[tuple[Json, int, str]] = [
        ({"data": "", "button_text": "Go"}, 400, "data must be a non-empty string"),
        ({"data": "x" * 4097, "button_text": "Go"}, 400, "data is longer than 4096 bytes"),
        ({"data": "x"}, 400, "button_text is required"),
        ({"data": "x", "button_text": "Go", "bot_id": 1}, 404, "no bot 1"),
    ]
    for body, status, error in cases:
        response = await tg.http.post(
            "/sandbox/api/web_app_data", json={"user_id": alice["id"], "bot_id": api.id, **body}
        )
        assert (response.status_code, response.json()["error"]) == (status, error)
