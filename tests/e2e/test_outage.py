"""An outage loses no notes: the platform is down while a user sends 20 notes over 30 seconds;
when it starts again, all 20 are captured (20 note rows, 20 confirmations). Issue 11, item 3.

The outage is simulated without waiting for it: the notes are sent within a second while the
platform process is not running, dated by the sandbox as if sent over the 30 seconds before it
came back (one every 1.5 s: a human pace, within the inbound throttle's rule of 10 at once
then 1 a second). The sandbox has no setting for message dates, so the test replaces the clock
its message builder reads (`switchboard.sandbox.messaging.time`) while it sends.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from conftest import Figures
from switchboard.apps.notes.models import Note
from switchboard.db import create_engine, session_factory
from switchboard.sandbox import messaging
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot
from .crash_scenario import bind, drain, make_forum
from .delivered import Delivered
from .notes_scene import is_note_tap
from .platform_forks import PlatformForks, platform_env
from .reply_matching import classify

NOTES = 20
OUTAGE_SECONDS = 30.0


async def _note_rows(database_url: str, chat_id: int) -> list[list[int]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.scalars(
                select(Note.capture_message_ids).where(
                    Note.bot_id == BOT_ID, Note.capture_chat_id == chat_id
                )
            )
            return [list(ids) for ids in rows]
    finally:
        await engine.dispose()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_notes_sent_during_an_outage_are_all_captured(
    database_url: str,
    platform_forks: PlatformForks,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    figures: Figures,
) -> None:
    log = tmp_path / "platform.log"
    with SandboxServer(flood="telegram") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        delivered = Delivered(BOT_ID)
        sandbox.watch(delivered)
        await register_bot(database_url)
        env = platform_env(database_url, sandbox.url)
        async with sandbox.client(timeout=30) as tg:
            user = await tg.create_user("Olive", language_code="en")
            pid = platform_forks.start(env, log)
            await bind(tg, sandbox, delivered, user, await make_forum(tg, user), 60)
            assert platform_forks.stop(pid) == 0, log.read_text()[-3000:]

            # Down: the user keeps writing, one note every 1.5 s over the last 30 s.
            began = time.time() - OUTAGE_SECONDS
            clock = SimpleNamespace(now=began)
            monkeypatch.setattr(messaging, "time", SimpleNamespace(time=lambda: clock.now))
            sent = []
            for index in range(NOTES):
                clock.now = began + index * OUTAGE_SECONDS / NOTES
                text = f"Thought number {index}: call the plumber about the kitchen tap"
                sent.append(await tg.send_text(user, text, bot_id=BOT_ID))
            monkeypatch.undo()
            dates = [m["date"] for m in sent]
            assert dates[-1] - dates[0] >= OUTAGE_SECONDS - 2

            pid = platform_forks.start(env, log)
            ids = {int(m["message_id"]) for m in sent}

            def confirmations() -> dict[int, int]:
                found = dict.fromkeys(ids, 0)
                for m in delivered.in_chat(int(user["id"])):
                    if m.reply_to in ids and any(is_note_tap(d) for d in m.callbacks):
                        found[m.reply_to] += 1
                return found

            await drain(sandbox, delivered, database_url, lambda: all(confirmations().values()), 90)
            rows = await _note_rows(database_url, int(user["id"]))
            running = platform_forks.returncode(pid) is None
            platform_forks.stop(pid)
    captured = {i for ids_ in rows for i in ids_ if i in ids}
    answered = confirmations()
    notices = [
        m.text
        for m in delivered.in_chat(int(user["id"]))
        if classify(m.text)[0] == "unexpected: throttle notice"
    ]
    figures(
        f"\noutage: {NOTES} notes sent while down; captured {len(captured)} (rows "
        f"{len(rows)}), confirmed {sum(1 for n in answered.values() if n)} "
        f"(confirmations {sum(answered.values())}), throttle notices {len(notices)}"
    )
    assert running, log.read_text()[-3000:]
    assert len(captured) == NOTES, f"captured {len(captured)} of {NOTES} notes"
    assert len(rows) == NOTES, f"{len(rows)} note rows for {NOTES} notes"
    assert all(n == 1 for n in answered.values()), f"confirmations per note: {answered}"
