"""An app is a folder plus one line in the installed-apps list: a throwaway app, written into a
temporary folder outside the project, gets its table, its texts, its commands and its jobs with
no edit anywhere else.

The app keeps its own declarative base, so its table never joins `switchboard.db.Base.metadata`
(which other tests compare with the migrated schema); a real app uses the kernel's.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text

from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.i18n.authoring import write_catalog as write_po
from switchboard.platform.installed_apps import INSTALLED_APPS, installed_apps
from switchboard.platform.migrations import is_current, upgrade_all
from switchboard.sandbox.testing import SandboxServer

from .conftest import running

TOKEN = "5550077:throwaway-app-token-abcdefghijk"
BOT_ID = 5550077
OWNER_ID = 100_000_778

INIT = '''
"""A throwaway app: /{name} files a ping and a job answers it."""

from importlib.resources import files

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import App, AppCommand, JobContext, JobRegistry, PlatformServices
from switchboard.kernel import Translate, enqueue

from .models import Ping

JOB = "{name}.answer"


async def command(message: Message, session: AsyncSession, locale: str, _: Translate) -> None:
    ping = Ping(bot_id=message.bot.id, chat_id=message.chat.id, answered=False)
    session.add(ping)
    await session.flush()
    await enqueue(session, JOB, {{"ping": ping.id, "locale": locale}})
    await message.answer(_("{name}.reply"), parse_mode=None)


def make_router() -> Router:
    router = Router(name="{name}")
    router.message.register(command, Command("{name}"))
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    async def answer(ctx: JobContext, payload: dict) -> None:
        async with ctx.session_factory() as session, session.begin():
            ping = await session.get(Ping, payload["ping"])
            ping.answered = True
            chat_id, bot_id = ping.chat_id, ping.bot_id
        text = services.translate("{name}.job_done", payload["locale"])
        await services.bot(bot_id).send_message(chat_id, text, parse_mode=None)

    registry.register(JOB, answer)


APP = App(
    name="{name}",
    title="{name}.title",
    make_router=make_router,
    commands=(AppCommand("{name}", "{name}.cmd"),),
    register_jobs=register_jobs,
    catalog=files(__name__).joinpath("locales"),
    migrations=files(__name__).joinpath("migrations"),
)
'''

MODELS = """
from sqlalchemy import BigInteger, Boolean, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Ping(Base):
    __tablename__ = "{name}_pings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    answered: Mapped[bool] = mapped_column(Boolean)
"""

MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "{name}_0001_pings"
down_revision = None
branch_labels = ("{name}",)
depends_on = "kernel_0002_kernel"


def upgrade() -> None:
    op.create_table(
        "{name}_pings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("{name}_pings")
"""

TEXTS = {
    "en": {"title": "Throwaway", "cmd": "Ping the throwaway app", "reply": "Pong!",
           "job_done": "The job ran."},
    "ru": {"title": "Одноразовое", "cmd": "Пингнуть одноразовое", "reply": "Понг!",
           "job_done": "Задача выполнена."},
}  # fmt: skip


def write_catalog(folder: Path, name: str) -> None:
    """The app's texts as `App.catalog` reads them: `locales/<lang>/LC_MESSAGES/messages.po`."""
    english = {f"{name}.{key}": value for key, value in TEXTS["en"].items()}
    for locale, texts in TEXTS.items():
        entries = {f"{name}.{key}": value for key, value in texts.items()}
        write_po(folder / "locales", locale, entries, english=english)


@pytest.fixture
def throwaway(tmp_path: Path) -> Iterator[str]:
    """The module name of a new app package in a folder of its own on sys.path."""
    name = f"throwaway_{uuid.uuid4().hex[:8]}"
    package = tmp_path / "apps" / name
    (package / "migrations").mkdir(parents=True)
    for path, source in {
        package / "__init__.py": INIT,
        package / "models.py": MODELS,
        package / "migrations" / f"{name}_0001_pings.py": MIGRATION,
    }.items():
        path.write_text(textwrap.dedent(source).format(name=name).lstrip(), encoding="utf-8")
    write_catalog(package, name)
    sys.path.insert(0, str(package.parent))
    try:
        yield name
    finally:
        sys.path.remove(str(package.parent))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


async def my_commands(sandbox: SandboxServer, **params: Any) -> list[str]:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{sandbox.bot_api_url(TOKEN)}/getMyCommands", json=params)
    return [command["command"] for command in response.json()["result"]]


async def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_a_throwaway_app_gets_its_table_texts_commands_and_jobs(
    sandbox: SandboxServer, database_url: str, throwaway: str
) -> None:
    modules = [*INSTALLED_APPS, throwaway]
    assert throwaway in installed_apps(modules)
    sandbox.world.register_bot(TOKEN, first_name="Throwaway Bot", username="throwaway_bot")
    await upgrade_all(database_url, modules=INSTALLED_APPS)  # a deployment without it, first
    assert f"{throwaway}_pings" not in await tables(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(session, TOKEN, ["core", "notes", throwaway], owner_ids=[OWNER_ID])
    finally:
        await engine.dispose()

    async with (
        running(sandbox, database_url, installed_apps=modules),
        sandbox.client(timeout=30) as tg,
    ):
        english = await tg.create_user("Ann", username="ann", language_code="en")
        russian = await tg.create_user("Иван", username="ivan", language_code="ru")
        for user, reply, done in ((english, "Pong!", "The job ran."),
                                  (russian, "Понг!", "Задача выполнена.")):  # fmt: skip
            await tg.send_text(user, f"/{throwaway}", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], bot_id=BOT_ID, text=reply)
            await tg.expect_message(chat_id=user["id"], bot_id=BOT_ID, text=done)  # its job
        # Started (it answered): the platform migrated the app's branch on its way up.
        assert f"{throwaway}_pings" in await tables(database_url)
        assert await is_current(database_url, modules=modules)

        await tg.send_text(english, "/help", bot_id=BOT_ID)
        help_en = await tg.expect_message(chat_id=english["id"], contains=f"/{throwaway}")
        assert "Throwaway" in help_en["text"] and "Ping the throwaway app" in help_en["text"]
        await tg.send_text(russian, "/help", bot_id=BOT_ID)
        help_ru = await tg.expect_message(chat_id=russian["id"], contains=f"/{throwaway}")
        assert "Пингнуть одноразовое" in help_ru["text"]

        assert throwaway in await my_commands(sandbox)
        assert throwaway in await my_commands(sandbox, language_code="ru")
        assert "help" in await my_commands(sandbox)

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(f"SELECT answered FROM {throwaway}_pings"))
            assert [bool(answered) for (answered,) in rows] == [True, True]
    finally:
        await engine.dispose()

    # Deleting the folder and the line: the deployment runs on, the app's table left alone.
    shutil.rmtree(Path(str(sys.modules[throwaway].__file__)).parent)
    async with running(sandbox, database_url), sandbox.client(timeout=30) as tg:
        await tg.send_text(english, "/help", bot_id=BOT_ID)
        help_after = await tg.expect_message(chat_id=english["id"], contains="/help")
        assert f"/{throwaway}" not in help_after["text"]
        assert throwaway not in await my_commands(sandbox)
        assert await is_current(database_url, modules=INSTALLED_APPS)
    assert f"{throwaway}_pings" in await tables(database_url)
