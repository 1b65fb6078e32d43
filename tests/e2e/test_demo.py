"""`switchboard demo` as a newcomer meets it (issue 13): it keeps the chat across a restart,
`--fresh` starts it anew, Ctrl+C stops it (a second one at once), and a busy port is one line."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.sandbox.testing import SandboxClient

from .demo_process import DEMO_BOT_ID, DEMO_USER_ID, TEST_TIMEOUT, DemoProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(TEST_TIMEOUT)]

YOU: dict[str, Any] = {"id": DEMO_USER_ID}


@pytest.fixture
def demos() -> Iterator[list[DemoProcess]]:
    """Every demo a test starts is killed at its end, whatever happened."""
    started: list[DemoProcess] = []
    yield started
    for demo in started:
        demo.kill()


def run_demo(demos: list[DemoProcess], folder: Path, *args: str, port: int = 0) -> DemoProcess:
    demo = DemoProcess(folder, port=port) if port else DemoProcess(folder)
    demos.append(demo)
    return demo.start(*args)


async def chat_once(url: str, text: str, reply_contains: str) -> list[dict[str, Any]]:
    """Send `text` to the demo bot as the demo user; its reply arrives; the chat's messages."""
    async with SandboxClient(url, timeout=30) as tg:
        await tg.send_text(YOU, text, bot_id=DEMO_BOT_ID)
        await tg.expect_message(
            chat_id=DEMO_USER_ID, bot_id=DEMO_BOT_ID, contains=reply_contains, timeout=30
        )
        return await tg.messages(DEMO_USER_ID, bot_id=DEMO_BOT_ID)


async def test_restarted_demo_answers_the_same_chat(
    tmp_path: Path, demos: list[DemoProcess]
) -> None:
    """The bug: the sandbox numbered updates from 1 again while the database remembered them,
    so after a restart every message was dropped as a duplicate and the bot was mute."""
    first = run_demo(demos, tmp_path).running()
    before = await chat_once(first.url, "/start", "Send /help")
    assert first.stop() == 0

    second = run_demo(demos, tmp_path, port=first.port).running()
    after = await chat_once(second.url, "/help", "Here's what I can do")
    assert second.stop() == 0

    assert after[: len(before)] == before  # the same chat, its history kept
    assert (tmp_path / "switchboard.db.sandbox.json").exists()


async def test_fresh_starts_database_and_sandbox_anew(
    tmp_path: Path, demos: list[DemoProcess]
) -> None:
    first = run_demo(demos, tmp_path).running()
    await chat_once(first.url, "/start", "Send /help")
    assert first.stop() == 0

    fresh = run_demo(demos, tmp_path, "--fresh", port=first.port).running()
    history = await chat_once(fresh.url, "/start", "Send /help")
    assert fresh.stop() == 0

    texts = [m.get("text") or "" for m in history]
    assert texts[0] == "/start" and len(texts) == 2, texts  # nothing from the first run
    assert any("fresh start: removed" in line for line in fresh.stdout)


async def test_second_ctrl_c_exits_at_once(tmp_path: Path, demos: list[DemoProcess]) -> None:
    demo = run_demo(demos, tmp_path).running()
    demo.interrupt()
    demo.wait_for("stopping…", timeout=5)
    demo.interrupt()
    status = demo.wait(timeout=5)

    assert status == 130, demo.output()
    assert "stopped at once" in "".join(demo.stderr)
    # Even so, the world is kept with its update ids: the next run goes on.
    again = run_demo(demos, tmp_path, port=demo.port).running()
    await chat_once(again.url, "/start", "Send /help")
    assert again.stop() == 0


@pytest.mark.parametrize("flag", ["--port", "--web-port"])
def test_busy_port_is_one_line_naming_the_port_and_the_flag(
    tmp_path: Path, demos: list[DemoProcess], flag: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = taken.getsockname()[1]
        demo = DemoProcess(tmp_path, **({"port": busy} if flag == "--port" else {"web_port": busy}))
        demos.append(demo)
        status = demo.start().wait(timeout=60)

    errors = [line for line in demo.stderr if line.strip()]
    assert status == 2, demo.output()
    assert len(errors) == 1, demo.output()
    assert str(busy) in errors[0] and flag in errors[0]
    assert not any("running" in line for line in demo.stdout)
