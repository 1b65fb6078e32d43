"""The landing pages through the real web app and platform: a bot's public page (its apps'
titles and first steps from their catalogues, a t.me link) in English or Russian by
Accept-Language, the 404 page for a bot not running here, /privacy made from the installed
apps, and /status (the database, bots, jobs, the last update; 503 without a database)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from miniapp_world import MiniAppWorld, world_fixture  # noqa: F401
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import create_engine, session_factory
from switchboard.kernel.i18n.authoring import catalog_problems
from switchboard.kernel.jobs import JobState, count_jobs_by_state, enqueue
from switchboard.kernel.models import BotRecord, ProcessedUpdate
from switchboard.web.app import create_web_app
from switchboard.web.pages.rendering import WEB_CATALOG

RU = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}


def _text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


async def test_a_bots_page_tells_what_it_does_in_the_browsers_language(
    world: MiniAppWorld,
) -> None:
    t = world.platform.translator.t
    en = await world.web.get("/bots/notes_a_bot")
    assert en.status_code == 200 and en.headers["content-language"] == "en"
    page = _text(en)
    assert "Notes Bot" in page and 'href="https://t.me/notes_a_bot"' in page
    assert "Open in Telegram" in page
    for key in ("notes.title", "calendar.title", "match.title", "repost.title"):
        assert t(key, "en") in page
    assert t("notes.first_step", "en") in page and t("match.first_step", "en") in page
    assert "/bind" in page

    ru = await world.web.get("/bots/Notes_A_Bot", headers=RU)  # names are case-insensitive
    assert ru.status_code == 200 and ru.headers["content-language"] == "ru"
    assert t("notes.first_step", "ru") in _text(ru) and "Открыть в Telegram" in _text(ru)
    assert t("notes.first_step", "en") not in _text(ru)
    # a language the pages do not speak, preferred over one they do
    assert (
        await world.web.get("/bots/notes_a_bot", headers={"Accept-Language": "de, ru;q=0.3"})
    ).headers["content-language"] == "ru"


async def test_a_bots_page_shows_only_the_apps_it_runs(world: MiniAppWorld) -> None:
    async with world.platform.session_factory() as session, session.begin():
        record = await session.get(BotRecord, world.bot_b)
        assert record is not None
        record.apps, record.username = ["core", "match"], "other_b_bot"
    await world.platform.reload_bots()
    page = _text(await world.web.get("/bots/other_b_bot"))
    t = world.platform.translator.t
    assert t("match.title", "en") in page and t("notes.title", "en") not in page


async def test_an_unknown_bot_is_the_404_page(world: MiniAppWorld) -> None:
    for name in ("stranger_bot", "nobody_bot", "<b>bold"):
        answer = await world.web.get(f"/bots/{name}", headers=RU)
        assert answer.status_code == 404
        assert "Не найдено" in answer.text and "<b>" not in answer.text
    assert "Not found" in (await world.web.get("/bots/nobody_bot")).text


async def test_privacy_is_made_from_the_installed_apps(world: MiniAppWorld) -> None:
    t = world.platform.translator.t
    page = _text(await world.web.get("/privacy"))
    for name, app in world.platform.apps.items():
        assert t(app.title, "en") in page
        assert f'id="app-{name}"' in page
    for table in ("notes_topics", "calendar_events", "match_profiles", "repost_sources"):
        assert table in page
    assert "Deleted automatically after a while: link_previews" in page
    assert "Send /privacy to the bot" in page
    ru = _text(await world.web.get("/privacy", headers=RU))
    assert "Конфиденциальность" in ru and "Отправьте боту /privacy" in ru


async def test_status_counts_what_it_says(world: MiniAppWorld) -> None:
    first = await world.web.get("/status")
    assert first.status_code == 200
    assert 'id="database" class="good"' in first.text
    assert '<dd id="bots">2 (' in first.text
    assert '<dd id="last-update">none yet</dd>' in first.text
    async with world.platform.session_factory() as session, session.begin():
        await enqueue(session, "pages.test", {})
        session.add(
            ProcessedUpdate(
                bot_id=world.bot_a, update_id=7, kind="message",
                processed_at=datetime(2026, 12, 7, 15, 4, tzinfo=UTC),
            )
        )  # fmt: skip
    async with world.platform.session_factory() as session:
        counts = await count_jobs_by_state(session, (JobState.QUEUED, JobState.DEAD))
    assert counts[JobState.QUEUED] >= 1
    after = await world.web.get("/status", headers=RU)
    assert f'<dd id="queued">{counts[JobState.QUEUED]}</dd>' in after.text
    assert f'<dd id="dead">{counts[JobState.DEAD]}</dd>' in after.text
    assert '<dd id="last-update">2026-12-07 15:04 UTC</dd>' in after.text
    assert "База данных" in after.text


@dataclass
class _Unreachable:
    """A deployment whose database cannot be opened (a file in a folder that is not there)."""

    session_factory: async_sessionmaker[AsyncSession]
    apps: dict[str, Any] = field(default_factory=dict)
    bots: dict[int, Any] = field(default_factory=dict)
    records: dict[int, Any] = field(default_factory=dict)


async def test_status_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    try:
        app = create_web_app(_Unreachable(session_factory(engine)))  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://web") as web:
            answer = await web.get("/status")
    finally:
        await engine.dispose()
    assert answer.status_code == 503
    assert 'id="database" class="bad"' in answer.text and "not reachable" in answer.text
    assert '<dd id="queued">unknown</dd>' in answer.text


def test_the_pages_texts_are_complete_in_russian() -> None:
    assert catalog_problems(Path(str(WEB_CATALOG))) == []
