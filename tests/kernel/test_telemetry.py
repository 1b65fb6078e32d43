"""Logging through one redacting chain, the update context, traces in logs, and the metrics.

The redaction tests capture what aiogram, httpx and uvicorn really log, from real requests.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.types import Chat, Message, Update, User
from aiohttp import web
from opentelemetry import trace
from prometheus_client import REGISTRY

from switchboard.kernel import telemetry
from switchboard.kernel.telemetry import (
    bind_update_context,
    clear_update_context,
    configure_logging,
    redact_text,
)

BOT_ID = 123456789
SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
TOKEN = f"{BOT_ID}:{SECRET}"


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def configure(self, level: str = "DEBUG", *, json: bool = True) -> None:
        configure_logging(level, json, stream=self.stream)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in ("aiogram.event", "httpx")}
    saved_config = structlog.get_config()
    capture = Captured()
    capture.configure()
    try:
        yield capture
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        structlog.configure(**saved_config)
        structlog.contextvars.clear_contextvars()
        logging.captureWarnings(False)


def assert_no_token(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


# --- the redaction rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token {TOKEN} leaked", "token <redacted> leaked"),
        (
            f"https://api.telegram.org/bot{TOKEN}/getMe",
            "https://api.telegram.org/bot<redacted>/getMe",
        ),
        (f"/file/bot{TOKEN}/photos/1.jpg", "/file/bot<redacted>/photos/1.jpg"),
        (f"/bot{BOT_ID}%3A{SECRET}/sendMessage", "/bot<redacted>/sendMessage"),
        ("GET /bot123:test-token/getUpdates?offset=5", "GET /bot<redacted>/getUpdates?offset=5"),
        (f"url='http://x/bot{TOKEN}'", "url='http://x/bot<redacted>'"),
    ],
)
def test_tokens_are_redacted(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "meeting at 12:30",
        "chat -1001234567890 update 987654321",
        "https://example.com/bottles/42",
        "/botanic/garden",
        "user 5555555:short",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


# --- our own log lines -----------------------------------------------------------------------


def test_structlog_events_are_redacted_everywhere(captured: Captured) -> None:
    log = structlog.get_logger("switchboard.test")
    try:
        raise RuntimeError(f"could not reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        log.exception(
            f"calling bot {TOKEN}",
            url=httpx.URL(f"https://api.telegram.org/bot{TOKEN}/getMe"),
            nested={"list": [f"x {TOKEN}"], "secret_token": "hunter2-webhook"},
            api_key="sk-not-a-token-shape",
            update_id=5,
        )

    assert_no_token(captured.text)
    assert "hunter2" not in captured.text and "sk-not-a-token-shape" not in captured.text
    (line,) = captured.lines()
    assert line["event"] == "calling bot <redacted>"
    assert line["url"] == "URL('https://api.telegram.org/bot<redacted>/getMe')"
    assert line["nested"] == {"list": ["x <redacted>"], "secret_token": "<redacted>"}
    assert line["update_id"] == 5
    assert "bot<redacted>/getMe" in line["exception"]
    assert line["level"] == "error" and line["logger"] == "switchboard.test"


def test_stdlib_records_go_through_the_same_chain(captured: Captured) -> None:
    logging.getLogger("some.library").warning("posting to %s", f"/bot{TOKEN}/sendMessage")

    (line,) = captured.lines()
    assert line["event"] == "posting to /bot<redacted>/sendMessage"
    assert line["level"] == "warning" and line["logger"] == "some.library"
    assert "timestamp" in line


def test_console_output_is_redacted_too(captured: Captured) -> None:
    captured.configure("INFO", json=False)
    structlog.get_logger("switchboard.test").info("hello", url=f"/bot{TOKEN}/getMe")
    logging.getLogger("other").info("plain %s", TOKEN)

    assert_no_token(captured.text)
    assert "hello" in captured.text and "/bot<redacted>/getMe" in captured.text
    assert "plain <redacted>" in captured.text


def test_python_warnings_are_logged(captured: Captured) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        warnings.warn(f"deprecated call with {TOKEN}", DeprecationWarning, stacklevel=1)
    assert "deprecated call with <redacted>" in captured.text


def test_configuring_again_replaces_the_handler(captured: Captured) -> None:
    captured.configure()
    captured.configure()
    ours = [h for h in logging.getLogger().handlers if type(h).__name__ == "_SwitchboardHandler"]
    assert len(ours) == 1


def test_the_level_filters_both_kinds_of_logger(captured: Captured) -> None:
    captured.configure("WARNING")
    structlog.get_logger("a").info("hidden")
    logging.getLogger("b").info("hidden too")
    structlog.get_logger("a").warning("shown")

    assert [line["event"] for line in captured.lines()] == ["shown"]


def test_per_request_library_chatter_is_quiet_unless_debugging(captured: Captured) -> None:
    captured.configure("INFO")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("aiogram.event").getEffectiveLevel() == logging.WARNING
    captured.configure("DEBUG")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="VERBOSE"):
        configure_logging("VERBOSE", False, stream=io.StringIO())


# --- what the libraries really log -----------------------------------------------------------


async def test_httpx_request_logs_are_redacted(captured: Captured) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post(f"https://api.telegram.org/bot{TOKEN}/sendMessage")

    assert_no_token(captured.text)
    (line,) = [line for line in captured.lines() if line["logger"] == "httpx"]
    assert line["event"] == (
        'HTTP Request: POST https://api.telegram.org/bot<redacted>/sendMessage "HTTP/1.1 200 OK"'
    )


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_uvicorn_access_logs_are_redacted(captured: Captured) -> None:
    # uvicorn must run with log_config=None so that its loggers reach our handler.
    server = uvicorn.Server(uvicorn.Config(_ok, log_config=None, lifespan="off"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        for _ in range(500):  # uvicorn exposes `started` as a flag, not an event
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert response.status_code == 200
    finally:
        server.should_exit = True
        await serving
        listener.close()

    assert_no_token(captured.text)
    access = [line for line in captured.lines() if line["logger"] == "uvicorn.access"]
    assert len(access) == 1
    assert '"GET /bot<redacted>/getMe HTTP/1.1" 200' in access[0]["event"]


@pytest.fixture
async def redirect_loop() -> AsyncIterator[str]:
    """A server that redirects every request to itself; aiohttp's error then quotes the URL."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.url))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_aiogram_error_logs_are_redacted(captured: Captured, redirect_loop: str) -> None:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(redirect_loop)))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def call_the_api(message: Message, bot: Bot) -> None:
        await bot.get_me()

    update = Update(
        update_id=7,
        message=Message(
            message_id=1,
            date=datetime.now(UTC),
            chat=Chat(id=1, type="private"),
            from_user=User(id=1, is_bot=False, first_name="Ann"),
            text="hi",
        ),
    )
    try:
        with pytest.raises(TelegramNetworkError) as raised:
            await dispatcher.feed_webhook_update(bot, update)
    finally:
        await bot.session.close()

    assert SECRET in str(raised.value)  # the token really is in what aiogram logs …
    assert_no_token(captured.text)  # … and not in our output
    (line,) = [
        line
        for line in captured.lines()
        if line["logger"] == "aiogram.event" and line["level"] == "error"
    ]
    assert "Cause exception while process update id=7" in line["event"]
    assert "/bot<redacted>/getMe" in line["event"]
    assert "/bot<redacted>/getMe" in line["exception"]


# --- context ---------------------------------------------------------------------------------


def test_update_context_tags_every_line_until_cleared(captured: Captured) -> None:
    bind_update_context(BOT_ID, 42, update_type="message")
    structlog.get_logger("x").info("inside")
    logging.getLogger("lib").info("library line inside")
    clear_update_context()
    structlog.get_logger("x").info("after")

    inside, library, after = captured.lines()
    assert (inside["bot_id"], inside["update_id"], inside["update_type"]) == (BOT_ID, 42, "message")
    assert (library["bot_id"], library["update_id"]) == (BOT_ID, 42)
    assert "bot_id" not in after and "update_id" not in after and "update_type" not in after


async def test_update_context_stays_in_its_task(captured: Captured) -> None:
    async def handle(update_id: int) -> None:
        bind_update_context(BOT_ID, update_id)
        await asyncio.sleep(0)
        structlog.get_logger("x").info("handled")

    await asyncio.gather(handle(1), handle(2))
    handled = [line for line in captured.lines() if line["logger"] == "x"]
    assert sorted(line["update_id"] for line in handled) == [1, 2]


def test_log_lines_carry_the_current_trace(captured: Captured) -> None:
    context = trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    with trace.use_span(trace.NonRecordingSpan(context)):
        structlog.get_logger("x").info("traced")
    structlog.get_logger("x").info("untraced")

    traced, untraced = captured.lines()
    assert traced["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert traced["span_id"] == "00f067aa0ba902b7"
    assert "trace_id" not in untraced


# --- metrics ---------------------------------------------------------------------------------

FORBIDDEN_LABELS = {"user", "user_id", "chat", "chat_id", "token", "id"}


def test_metrics_are_defined_once_and_labels_are_bounded() -> None:
    # Importing every module that defines metrics at once raises on a duplicated name.
    from switchboard.kernel.jobs import metrics as job_metrics
    from switchboard.kernel.sender import metrics as sender_metrics

    assert job_metrics and sender_metrics
    assert telemetry.UPDATES._labelnames == ("bot", "type", "handler", "outcome")
    assert telemetry.HANDLER_SECONDS._labelnames == ("type", "handler")
    assert telemetry.ERRORS._labelnames == ("type",)
    assert telemetry.THROTTLED._labelnames == ()
    names = {metric.name for metric in REGISTRY.collect()}
    assert {"switchboard_updates", "switchboard_handler_seconds", "switchboard_errors"} <= names
    for collector in list(REGISTRY._collector_to_names):
        labels = set(getattr(collector, "_labelnames", ()))
        assert not labels & FORBIDDEN_LABELS, collector


def test_the_bot_label_is_the_public_id_never_the_token() -> None:
    assert telemetry.bot_label(BOT_ID) == "123456789"
    telemetry.UPDATES.labels(
        bot=telemetry.bot_label(BOT_ID), type="message", handler="core.start", outcome="handled"
    ).inc()
    exposition = "\n".join(
        f"{sample.labels}" for metric in REGISTRY.collect() for sample in metric.samples
    )
    assert SECRET not in exposition
