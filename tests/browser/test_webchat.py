"""The web chat in a real browser: users talk to an aiogram bot running on the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import http.server
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandStart, Filter
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    WebAppInfo,
)
from playwright.async_api import Browser, Page, expect

from switchboard.sandbox.testing import SandboxServer, free_port

pytestmark = pytest.mark.browser

TOKEN = "424242:AAEchoBotTokenForTheWebChatBrowserTest"
MINI_APP = """<!doctype html>
<html><head><meta charset="utf-8">
<script src="{sandbox}/webchat/telegram-web-app.js"></script></head>
<body><h1 id="hello"></h1><p id="clicks">0</p><button id="close">close</button>
<script>
  const app = Telegram.WebApp;
  app.ready();
  document.getElementById("hello").textContent = "Hello, " + app.initDataUnsafe.user.first_name;
  let clicks = 0;
  app.MainButton.setText("Order").show().onClick(() => {{
    document.getElementById("clicks").textContent = String(++clicks);
  }});
  document.getElementById("close").onclick = () => app.close();
</script></body></html>
"""
ORDER_APP = """<!doctype html>
<html><head><meta charset="utf-8">
<script src="{sandbox}/webchat/telegram-web-app.js"></script></head>
<body><button id="order">order two cups</button>
<script>
  document.getElementById("order").onclick = () => Telegram.WebApp.sendData('{{"cups": 2}}');
</script></body></html>
"""


class HasWebAppData(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.web_app_data is not None


def echo_dispatcher(app_url: str) -> Dispatcher:
    """Replies to text with the same text and a button; the button answers with a toast and
    edits the message. Coroutine handlers only (see DESIGN.md on aiogram's sync filters)."""
    dp = Dispatcher()
    button = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Press me", callback_data="pressed")]]
    )

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Hi! I am the <b>echo bot</b>. Send me anything.")

    @dp.message(Command("app"))
    async def app(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Open shop", web_app=WebAppInfo(url=app_url))]
            ]
        )
        await message.answer("Our shop:", reply_markup=markup)

    @dp.message(Command("keys"))
    async def keys(message: Message) -> None:
        order = WebAppInfo(url=app_url.replace("app.html", "order.html"))
        markup = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="Tea"), KeyboardButton(text="Shop", web_app=order)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
        await message.answer("Pick one:", reply_markup=markup)

    @dp.message(HasWebAppData())
    async def ordered(message: Message) -> None:
        assert message.web_app_data is not None
        data, button = message.web_app_data.data, message.web_app_data.button_text
        await message.answer(html.escape(f"got {data} from {button}"))

    @dp.message()
    async def echo(message: Message) -> None:
        if message.text is None:
            return
        assert message.bot is not None
        await message.bot.send_chat_action(
            message.chat.id, "typing", message_thread_id=message.message_thread_id
        )
        await message.answer(html.escape(message.text), reply_markup=button)

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer("Button pressed!")
        if isinstance(query.message, Message) and query.message.text is not None:
            await query.message.edit_text(f"{html.escape(query.message.text)} <i>(pressed)</i>")

    return dp


@contextlib.asynccontextmanager
async def running_bot(sandbox_url: str, app_url: str) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox_url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    await bot.set_my_commands([BotCommand(command="start", description="Say hello")])
    dp = echo_dispatcher(app_url)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield bot
    finally:
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(polling, 10)
        await session.close()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        yield server


@pytest.fixture
def mini_app(sandbox: SandboxServer, tmp_path: Path) -> Iterator[str]:
    """A Mini App on its own origin (as real ones are), loading the sandbox's script."""
    (tmp_path / "app.html").write_text(MINI_APP.format(sandbox=sandbox.url))
    (tmp_path / "order.html").write_text(ORDER_APP.format(sandbox=sandbox.url))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/app.html"
    finally:
        server.shutdown()
        thread.join(5)


async def setup_world(sandbox: SandboxServer) -> tuple[dict, dict]:
    async with httpx.AsyncClient(base_url=sandbox.url) as http_client:
        bot = await http_client.post(
            "/sandbox/api/bots",
            json={"token": TOKEN, "first_name": "Echo Bot", "username": "echo_test_bot"},
        )
        alice = await http_client.post(
            "/sandbox/api/users", json={"first_name": "Alice", "last_name": "Liddell"}
        )
    return bot.json(), alice.json()


async def open_web_chat(
    browser: Browser, sandbox: SandboxServer, user: dict, problems: list[str]
) -> Page:
    page = await browser.new_page(viewport={"width": 1200, "height": 760})
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    await page.goto(f"{sandbox.url}/?user={user['id']}")
    await expect(page.locator(".user-current")).to_contain_text(user["first_name"])
    return page


async def send(page: Page, text: str) -> None:
    composer = page.get_by_role("textbox", name="Message")
    await composer.fill(text)
    await composer.press("Enter")


async def test_user_chats_with_echo_bot_and_presses_inline_button(
    sandbox: SandboxServer, mini_app: str, browser: Browser, artifacts: Path
) -> None:
    _, alice = await setup_world(sandbox)
    problems: list[str] = []
    async with running_bot(sandbox.url, mini_app):
        page = await open_web_chat(browser, sandbox, alice, problems)
        await page.locator(".chat-item", has_text="Echo Bot").click()
        await expect(page.locator(".header-title")).to_have_text("Echo Bot")

        # An empty bot chat offers START, as Telegram does; the bot greets with formatting.
        await page.get_by_role("button", name="START", exact=True).click()
        greeting = page.locator(".msg.in", has_text="Send me anything")
        await expect(greeting).to_be_visible()
        await expect(greeting.locator("strong")).to_have_text("echo bot")

        await send(page, "Hello from the web chat!")
        await expect(page.locator(".msg.out", has_text="Hello from the web chat!")).to_be_visible()
        reply = page.locator(".msg.in", has_text="Hello from the web chat!")
        await expect(reply).to_be_visible()
        await reply.get_by_role("button", name="Press me").click()

        await expect(page.locator(".toast", has_text="Button pressed!")).to_be_visible()
        edited = page.locator(".msg.in", has_text="(pressed)")
        await expect(edited).to_be_visible()
        await expect(edited.locator(".meta .edited")).to_be_visible()
        await expect(edited.locator("em")).to_have_text("(pressed)")
        await expect(edited.get_by_role("button", name="Press me")).to_have_count(0)

        await page.screenshot(path=str(artifacts / "webchat.png"))
    assert problems == []


async def test_mini_app_opens_in_panel_with_webapp_emulated(
    sandbox: SandboxServer, mini_app: str, browser: Browser
) -> None:
    _, alice = await setup_world(sandbox)
    problems: list[str] = []
    async with running_bot(sandbox.url, mini_app):
        page = await open_web_chat(browser, sandbox, alice, problems)
        await page.locator(".chat-item", has_text="Echo Bot").click()
        await page.get_by_role("button", name="START", exact=True).click()
        await send(page, "/app")
        await (
            page.locator(".msg.in", has_text="Our shop")
            .get_by_role("button", name="Open shop")
            .click()
        )

        app = page.frame_locator("#miniapp-frame iframe")
        await expect(app.locator("#hello")).to_have_text("Hello, Alice")  # initData from /webapp
        main_button = page.locator("#miniapp-main")
        await expect(main_button).to_have_text("Order")
        await main_button.click()
        await expect(app.locator("#clicks")).to_have_text("1")
        await app.locator("#close").click()
        await expect(page.locator("#miniapp")).to_be_hidden()
    assert problems == []


async def test_forum_created_in_dialog_with_bot_admin_answers_in_topic(
    sandbox: SandboxServer, mini_app: str, browser: Browser
) -> None:
    _, alice = await setup_world(sandbox)
    problems: list[str] = []
    async with running_bot(sandbox.url, mini_app):
        page = await open_web_chat(browser, sandbox, alice, problems)
        await page.get_by_role("button", name="New group").click()
        await page.get_by_label("Title").fill("Team")
        await page.get_by_role("button", name="Create", exact=True).click()  # a forum, bot admin
        await expect(page.locator(".header-title")).to_have_text("Team › General")
        await expect(page.locator(".msg.service", has_text="added Echo Bot")).to_be_visible()

        await page.get_by_role("button", name="New topic").first.click()
        await page.get_by_label("Topic name").fill("Ideas")
        await page.get_by_role("button", name="Create", exact=True).click()
        await expect(page.locator(".header-title")).to_have_text("Team › Ideas")

        await send(page, "an idea")  # admins see every message, so the bot echoes it here
        answer = page.locator(".msg.in", has_text="an idea")
        await expect(answer).to_be_visible()
        await expect(answer.locator(".sender")).to_contain_text("Echo Bot")
        await page.locator("#attach").click()
        await page.locator("#attach-contact").click()
        await page.get_by_role("button", name="Share", exact=True).click()
        await expect(page.locator(".msg.out .contact", has_text="Alice")).to_be_visible()  # here
        await page.locator(".chat-item.topic", has_text="General").click()
        await expect(page.locator(".msg .contact")).to_have_count(0)
        await expect(page.locator(".msg", has_text="an idea")).to_have_count(0)
    assert problems == []


async def test_reply_keyboard_survives_a_reload_and_sends_mini_app_data(
    sandbox: SandboxServer, mini_app: str, browser: Browser
) -> None:
    _, alice = await setup_world(sandbox)
    problems: list[str] = []
    async with running_bot(sandbox.url, mini_app):
        first = await open_web_chat(browser, sandbox, alice, problems)
        await first.locator(".chat-item", has_text="Echo Bot").click()
        await first.get_by_role("button", name="START", exact=True).click()
        await send(first, "/keys")
        await expect(
            first.locator("#reply-keyboard").get_by_role("button", name="Tea")
        ).to_be_visible()
        await first.close()

        # A fresh page (its own storage): the keyboard comes from the sandbox, not the browser.
        page = await open_web_chat(browser, sandbox, alice, problems)
        await page.locator(".chat-item", has_text="Echo Bot").click()
        keyboard = page.locator("#reply-keyboard")
        await expect(keyboard.get_by_role("button", name="Tea")).to_be_visible()

        # A one-time keyboard hides once used, and stays a tap away.
        await keyboard.get_by_role("button", name="Tea").click()
        await expect(page.locator(".msg.in", has_text="Tea")).to_be_visible()
        await expect(keyboard).to_be_hidden()
        await page.locator("#keyboard-toggle").click()
        await keyboard.get_by_role("button", name="Shop").click()

        app = page.frame_locator("#miniapp-frame iframe")
        await app.locator("#order").click()  # Telegram.WebApp.sendData
        await expect(page.locator("#miniapp")).to_be_hidden()
        await expect(page.locator(".msg.service", has_text="Data from “Shop”")).to_be_visible()
        await expect(page.locator(".msg.in", has_text='got {"cups": 2} from Shop')).to_be_visible()
    assert problems == []


async def test_a_restarted_sandbox_reloads_the_page(browser: Browser) -> None:
    port = free_port()
    problems: list[str] = []
    with SandboxServer(flood="off", port=port) as first:
        bot, alice = await setup_world(first)
        async with first.client() as tg:
            await tg.send_text(alice, "said to the first sandbox", bot_id=bot["id"])
        page = await open_web_chat(browser, first, alice, problems)
        await page.locator(".chat-item", has_text="Echo Bot").click()
        old = page.locator(".msg.out", has_text="said to the first sandbox")
        await expect(old).to_be_visible()
    # Another process on the same address, with the same user and more events than the first
    # had: neither the user nor the numbering tells it is another sandbox; its `instance` does.
    second = SandboxServer(flood="off", port=port)
    second.world.register_bot(TOKEN, first_name="Echo Bot", username="echo_test_bot")
    assert second.world.create_user("Alice", "Liddell").id == alice["id"]
    for number in range(40):
        second.world.create_user(f"Zed {number}")
    with second:
        async with second.client() as tg:
            await tg.send_text(alice, "said to the second one", bot_id=bot["id"])
        await expect(page.locator(".msg.out", has_text="said to the second one")).to_be_visible()
        await expect(old).to_have_count(0)  # the page reloaded what it shows
        await expect(page.locator(".header-title")).to_have_text("Echo Bot")
    assert problems == []


async def test_a_link_to_a_message_opens_it_in_the_web_chat(
    sandbox: SandboxServer, browser: Browser
) -> None:
    """Regression (issue 13, item 7): a bot's t.me link to a message (a filed note's) opened a
    dead tab; it opens the message's chat and topic here, scrolled to and marked."""
    _, alice = await setup_world(sandbox)
    problems: list[str] = []
    async with sandbox.client() as tg, httpx.AsyncClient(base_url=sandbox.url) as http_client:

        async def call(method: str, **params: object) -> dict:
            reply = (await http_client.post(f"/bot{TOKEN}/{method}", json=params)).json()
            assert reply["ok"], reply
            return dict(reply["result"])

        bot_id = int(TOKEN.split(":")[0])
        team = await tg.create_group(alice, "Team", forum=True)
        await tg.add_member(
            team, alice, bot_id, status="administrator", rights={"can_manage_topics": True}
        )
        ideas = await call("createForumTopic", chat_id=team["id"], name="Ideas")
        thread = ideas["message_thread_id"]
        note = await call(
            "sendMessage", chat_id=team["id"], message_thread_id=thread, text="a filed note"
        )
        for n in range(30):  # enough to scroll: the note is out of view at first
            await call("sendMessage", chat_id=team["id"], message_thread_id=thread, text=f"n{n}")
        club = (
            await http_client.post(
                "/sandbox/api/groups",
                json={"user_id": alice["id"], "title": "Club", "username": "club_chat"},
            )
        ).json()
        await tg.add_member(club, alice, bot_id)
        news = await call("sendMessage", chat_id=club["id"], text="public news")
        await tg.send_text(alice, "/start", bot_id=bot_id)
        internal = str(team["id"]).removeprefix("-100")
        await call(
            "sendMessage",
            chat_id=alice["id"],
            parse_mode="HTML",
            text=(
                f'Filed <a href="https://t.me/c/{internal}/{thread}/{note["message_id"]}">'
                f'The note</a> and <a href="https://t.me/club_chat/{news["message_id"]}">'
                "the news</a>"
            ),
        )

        page = await open_web_chat(browser, sandbox, alice, problems)
        await page.locator('.chat-item[data-title="Echo Bot"]').click()
        await page.get_by_role("link", name="The note").click()
        await expect(page.locator(".header-title")).to_have_text("Team › Ideas")
        marked = page.locator(f'.msg.jumped[data-id="{note["message_id"]}"]')
        await expect(marked).to_contain_text("a filed note")
        await expect(marked).to_be_in_viewport()
        assert len(page.context.pages) == 1  # no tab opened

        await page.locator('.chat-item[data-title="Echo Bot"]').click()
        await page.get_by_role("link", name="the news").click()
        await expect(page.locator(".header-title")).to_have_text("Club")
        await expect(page.locator(f'.msg.jumped[data-id="{news["message_id"]}"]')).to_be_visible()
    assert problems == []


async def test_the_command_menu_is_the_one_the_user_sees(
    sandbox: SandboxServer, browser: Browser
) -> None:
    """A menu set for one user's chat (as after /language) is the one the "/" button shows
    them; another user still sees the bot's default menu."""
    _, alice = await setup_world(sandbox)
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=sandbox.url) as http_client:
        bob = (await http_client.post("/sandbox/api/users", json={"first_name": "Bob"})).json()
        default = [{"command": "start", "description": "Say hello"}]
        hers = [{"command": "start", "description": "Поздороваться"}]
        await http_client.post(f"/bot{TOKEN}/setMyCommands", json={"commands": default})
        scope = {"type": "chat", "chat_id": alice["id"]}
        await http_client.post(
            f"/bot{TOKEN}/setMyCommands", json={"commands": hers, "scope": scope}
        )
    async with sandbox.client() as tg:
        for user in (alice, bob):  # chats started: the composer is shown
            await tg.send_text(user, "hi", bot_id=int(TOKEN.split(":")[0]))
    for user, seen in ((alice, "Поздороваться"), (bob, "Say hello")):
        page = await open_web_chat(browser, sandbox, user, problems)
        await page.locator('.chat-item[data-title="Echo Bot"]').click()
        await page.get_by_role("button", name="Bot commands").click()
        await expect(page.locator(".command-item .command-desc")).to_have_text([seen])
        await page.close()
    assert problems == []
