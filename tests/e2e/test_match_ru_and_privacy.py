"""The match app in Russian, a typed city with its choice buttons, /delete, and core's /privacy
export and delete covering the match profile (issue 16, items 1 and 9), end to end."""

from __future__ import annotations

import json

import pytest

from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID
from .match_scene import (
    BERLIN_MITTE,
    Json,
    answer,
    buttons,
    onboard,
    profile_of,
    running,
    tap,
    world,
)

pytestmark = pytest.mark.timeout(180)
__all__ = ["world"]


async def test_onboarding_in_russian_with_a_typed_city_then_delete(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    olga = await tg.create_user("Ольга", language_code="ru")
    async with running(sandbox, database_url):
        intro = await answer(tg, olga, "/profile", "Заполним анкету")
        assert "18+" in intro["text"]
        await tg.expect_message(chat_id=olga["id"], contains="Как вас зовут?")
        await answer(tg, olga, "Ольга", "Сколько вам лет?")
        question = await answer(tg, olga, "29", "Вы:")
        await tap(tg, olga, question, "Женщина")
        question = await tg.expect_message(chat_id=olga["id"], contains="С кем хотите")
        await tap(tg, olga, question, "Мужчин")
        await answer(tg, olga, "Люблю горы", "Ваши интересы")
        await tg.send_text(olga, "походы, джаз", bot_id=BOT_ID)
        question = await tg.expect_message(chat_id=olga["id"], contains="Выбрано: Походы, джаз")
        await tap(tg, olga, question, "Готово")
        question = await tg.expect_message(chat_id=olga["id"], contains="Пришлите до 3 фото")
        await tap(tg, olga, question, "Готово")
        await tg.expect_message(chat_id=olga["id"], contains="Где вы?")
        # A city typed in Russian with several of that name: buttons to choose from.
        which = await answer(tg, olga, "Кембридж", "Какой именно?")
        choices = buttons(which)
        assert {"Cambridge, GB", "Cambridge, US"} <= set(choices)
        await tap(tg, olga, which, "Cambridge, GB")
        await tg.expect_message(chat_id=olga["id"], contains="Анкета готова")
        card = await tg.expect_message(chat_id=olga["id"], contains="Ольга, 29")
        assert "Cambridge" in card["text"] and "Интересы: Походы, джаз" in card["text"]
        profile = await profile_of(database_url, olga["id"])
        assert profile is not None and profile.state == "active"
        assert profile.place_name == "Cambridge" and profile.lat is not None
        assert abs(profile.lat - 52.2) < 0.1 and abs(profile.lon - 0.12) < 0.1  # type: ignore[operator]

        ask = await answer(tg, olga, "/delete", "Удалить анкету")
        await tap(tg, olga, ask, "Удалить")
        done = await tg.expect_edit(chat_id=olga["id"], message_id=ask["message_id"])
        assert done["text"].startswith("Удалено.")
    assert await profile_of(database_url, olga["id"]) is None


async def test_privacy_export_holds_the_match_profile_and_delete_removes_it(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    ada = await tg.create_user("Ada", language_code="en")
    async with running(sandbox, database_url):
        await onboard(tg, ada, "Ada", 36, BERLIN_MITTE)
        await tg.send_text(ada, "/privacy", bot_id=BOT_ID)
        menu = await tg.expect_message(chat_id=ada["id"], contains="I keep only what I need")
        row: list[Json] = [b for r in menu["reply_markup"]["inline_keyboard"] for b in r]
        await tg.press(ada, menu, row[0]["callback_data"], bot_id=BOT_ID)
        exported = await tg.expect(
            lambda e: e["type"] == "message" and "document" in e["message"], "the export file"
        )
        document = json.loads(await tg.download(exported["message"]["document"]["file_id"]))
        match = document["match"]["profile"]
        assert (match["name"], match["age"], match["interests"]) == (
            "Ada",
            36,
            ["hiking", "jazz"],
        )
        assert match["area_centre"] != list(BERLIN_MITTE)  # the cell, never the point
        await tg.press(ada, menu, row[1]["callback_data"], bot_id=BOT_ID)
        confirm = await tg.expect_edit(chat_id=ada["id"], message_id=menu["message_id"])
        yes = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await tg.press(ada, confirm, yes, bot_id=BOT_ID)
        await tg.expect_edit(chat_id=ada["id"], message_id=menu["message_id"])
    assert await profile_of(database_url, ada["id"]) is None
