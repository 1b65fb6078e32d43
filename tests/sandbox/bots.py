"""The same feature bot written twice, with aiogram and with python-telegram-bot, each runnable
against the sandbox by long polling or by its own webhook server — unchanged bot code, only the
API server URL differs from production.

What the bot does: /start greets; /menu shows Yes/No buttons and a press is answered and edits
the message; /edit posts and edits; /delete posts, deletes and reports; a voice note is fetched
with getFile, downloaded, measured and sent back reversed; /topic (in a forum) opens a topic and
posts in it; /burst posts BURST messages in a row, waiting out any 429 for its `retry_after`
and trying again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.filters import Command, CommandStart, Filter
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from telegram import InlineKeyboardButton as PtbButton
from telegram import InlineKeyboardMarkup as PtbMarkup
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from switchboard.sandbox.testing import free_port

WEBHOOK_SECRET = "Webhook_Secret-42"


BURST = 4  # messages /burst posts in a row, as a bot answering with several messages does


@dataclass
class BotRun:
    """What a running bot saw that the user side can't: 429 pauses and webhook headers."""

    retry_afters: list[int] = field(default_factory=list)
    secret_headers: list[str | None] = field(default_factory=list)
    webhook_url: str | None = None


def voice_report(data: bytes) -> str:
    return f"voice {len(data)} bytes {hashlib.sha256(data).hexdigest()[:12]}"


# aiogram -----------------------------------------------------------------------------------------


class HasVoice(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.voice is not None


def aiogram_dispatcher(run: BotRun) -> Dispatcher:
    dp = Dispatcher()
    menu = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Yes", callback_data="yes"),
                InlineKeyboardButton(text="No", callback_data="no"),
            ]
        ]
    )

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        assert message.from_user is not None
        await message.answer(f"Hello, {message.from_user.first_name}!")

    @dp.message(Command("menu"))
    async def show_menu(message: Message) -> None:
        await message.answer("Choose", reply_markup=menu)

    @dp.callback_query()
    async def chosen(query: CallbackQuery) -> None:
        await query.answer(f"You chose {query.data}")
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"Chosen: {query.data}")

    @dp.message(Command("edit"))
    async def edit(message: Message) -> None:
        draft = await message.answer("draft")
        await draft.edit_text("final")

    @dp.message(Command("delete"))
    async def delete(message: Message) -> None:
        doomed = await message.answer("temporary")
        await doomed.delete()
        await message.answer(f"deleted {doomed.message_id}")

    @dp.message(HasVoice())
    async def voice(message: Message, bot: Bot) -> None:
        assert message.voice is not None
        file = await bot.get_file(message.voice.file_id)
        assert file.file_path is not None
        downloaded = await bot.download_file(file.file_path)
        assert downloaded is not None
        data = downloaded.read()
        await message.answer(voice_report(data))
        await message.answer_voice(BufferedInputFile(data[::-1], "echo.ogg"), caption="echo")

    @dp.message(Command("topic"))
    async def topic(message: Message, bot: Bot) -> None:
        created = await bot.create_forum_topic(message.chat.id, "Notes")
        await bot.send_message(
            message.chat.id, "first note", message_thread_id=created.message_thread_id
        )

    @dp.message(Command("burst"))
    async def burst(message: Message) -> None:
        for number in range(BURST):
            while True:
                try:
                    await message.answer(f"burst {number}")
                    break
                except TelegramRetryAfter as error:
                    run.retry_afters.append(error.retry_after)
                    await asyncio.sleep(error.retry_after)

    return dp


@contextlib.asynccontextmanager
async def aiogram_bot(sandbox_url: str, token: str, mode: str) -> AsyncIterator[BotRun]:
    run = BotRun()
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox_url))
    bot = Bot(token, session=session)
    dp = aiogram_dispatcher(run)
    try:
        if mode == "polling":
            polling = asyncio.create_task(
                dp.start_polling(bot, handle_signals=False, polling_timeout=1)
            )
            try:
                yield run
            finally:
                await dp.stop_polling()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(polling, 10)
        else:

            @web.middleware
            async def record_secret(
                request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
            ) -> web.StreamResponse:
                run.secret_headers.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
                return await handler(request)

            app = web.Application(middlewares=[record_secret])
            SimpleRequestHandler(dp, bot, secret_token=WEBHOOK_SECRET).register(app, path="/hook")
            runner = web.AppRunner(app)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            run.webhook_url = f"http://127.0.0.1:{port}/hook"
            await bot.set_webhook(run.webhook_url, secret_token=WEBHOOK_SECRET)
            try:
                yield run
            finally:
                await bot.delete_webhook()
                await runner.cleanup()
    finally:
        await session.close()


# python-telegram-bot ---------------------------------------------------------------------------


def ptb_application(sandbox_url: str, token: str, run: BotRun) -> Application:  # type: ignore[type-arg]
    app = (
        Application.builder()
        .token(token)
        .base_url(f"{sandbox_url}/bot")
        .base_file_url(f"{sandbox_url}/file/bot")
        .build()
    )
    menu = PtbMarkup([[PtbButton("Yes", callback_data="yes"), PtbButton("No", callback_data="no")]])

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        await update.message.reply_text(f"Hello, {update.effective_user.first_name}!")

    async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("Choose", reply_markup=menu)

    async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"You chose {query.data}")
        await query.edit_message_text(f"Chosen: {query.data}")

    async def edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        draft = await update.message.reply_text("draft")
        await draft.edit_text("final")

    async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        doomed = await update.message.reply_text("temporary")
        await doomed.delete()
        await update.message.reply_text(f"deleted {doomed.message_id}")

    async def voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.voice is not None
        file = await context.bot.get_file(update.message.voice.file_id)
        data = bytes(await file.download_as_bytearray())
        await update.message.reply_text(voice_report(data))
        await update.message.reply_voice(voice=data[::-1], filename="echo.ogg", caption="echo")

    async def topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        chat_id = update.effective_chat.id
        created = await context.bot.create_forum_topic(chat_id, "Notes")
        await context.bot.send_message(
            chat_id, "first note", message_thread_id=created.message_thread_id
        )

    async def burst(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        for number in range(BURST):
            while True:
                try:
                    await update.message.reply_text(f"burst {number}")
                    break
                except RetryAfter as error:
                    pause = error.retry_after  # int today, timedelta with PTB_TIMEDELTA=1
                    seconds = pause if isinstance(pause, int) else int(pause.total_seconds())
                    run.retry_afters.append(seconds)
                    await asyncio.sleep(seconds)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("menu", show_menu))
    app.add_handler(CallbackQueryHandler(chosen))
    app.add_handler(CommandHandler("edit", edit))
    app.add_handler(CommandHandler("delete", delete))
    app.add_handler(MessageHandler(filters.VOICE, voice))
    app.add_handler(CommandHandler("topic", topic))
    app.add_handler(CommandHandler("burst", burst))
    return app


@contextlib.asynccontextmanager
async def ptb_bot(sandbox_url: str, token: str, mode: str) -> AsyncIterator[BotRun]:
    run = BotRun()
    app = ptb_application(sandbox_url, token, run)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    try:
        if mode == "polling":
            await app.updater.start_polling(poll_interval=0.0, timeout=dt.timedelta(seconds=1))
        else:
            port = free_port()
            run.webhook_url = f"http://127.0.0.1:{port}/hook"
            await app.updater.start_webhook(
                listen="127.0.0.1",
                port=port,
                url_path="hook",
                webhook_url=run.webhook_url,
                secret_token=WEBHOOK_SECRET,
            )
        yield run
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


BOTS = {"aiogram": aiogram_bot, "ptb": ptb_bot}
