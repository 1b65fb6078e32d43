"""Adding a language is adding catalogue folders: no code, and the running bot speaks it."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import httpx
import pytest

from switchboard.kernel.i18n import KERNEL_CATALOGS, translator
from switchboard.kernel.i18n.authoring import write_catalog
from switchboard.platform import runtime
from switchboard.platform.installed_apps import installed_apps
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running

GERMAN_KERNEL = {"kernel.unknown_command": "Den Befehl {command} kenne ich nicht. Schick /help."}
GERMAN_CORE = {
    "core.start.welcome": "Hallo, {name}! Ich bin {bot}, dein Assistent.",
    "core.language.choose": "Welche Sprache soll ich sprechen?",
    "core.language.set": "Erledigt! Ab jetzt spreche ich {language}.",
}


@pytest.fixture
def german_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installation with `de` catalogues added to copies of the kernel's and core's folders.

    Only these texts are translated: the rest falls back to English, as for a new language.
    """
    kernel = tmp_path / "kernel" / "locales"
    shutil.copytree(Path(str(KERNEL_CATALOGS)), kernel)
    write_catalog(kernel, "de", GERMAN_KERNEL)
    apps = installed_apps()
    core = tmp_path / "core" / "locales"
    assert apps["core"].catalog is not None
    shutil.copytree(Path(str(apps["core"].catalog)), core)
    write_catalog(core, "de", GERMAN_CORE)
    apps["core"] = dataclasses.replace(apps["core"], catalog=core)
    monkeypatch.setattr(translator, "KERNEL_CATALOGS", kernel)
    monkeypatch.setattr(runtime, "installed_apps", lambda *_args, **_kwargs: apps)


@pytest.mark.parametrize("database_kind", ["sqlite"])
@pytest.mark.usefixtures("german_installation")
async def test_a_german_catalogue_makes_the_bot_speak_german(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN, first_name="E2E Bot", username="e2e_bot")
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=10) as tg:
        hans = await tg.create_user("Hans", language_code="de-AT")
        await tg.send_text(hans, "/start", bot_id=BOT_ID)
        await tg.expect_message(chat_id=hans["id"], contains="Hallo, Hans! Ich bin")
        await tg.send_text(hans, "/frobnicate", bot_id=BOT_ID)
        await tg.expect_message(chat_id=hans["id"], contains="Den Befehl /frobnicate kenne")
        await tg.send_text(hans, "/settings", bot_id=BOT_ID)  # not translated yet: English
        await tg.expect_message(chat_id=hans["id"], contains="Your settings")

        # /language offers every language a catalogue has, named in itself.
        await tg.send_text(hans, "/language", bot_id=BOT_ID)
        menu = await tg.expect_message(chat_id=hans["id"], contains="Welche Sprache")
        buttons = {b["text"]: b for row in menu["reply_markup"]["inline_keyboard"] for b in row}
        assert list(buttons) == ["English", "Deutsch", "Русский"]
        await tg.press(hans, menu, buttons["English"]["callback_data"], bot_id=BOT_ID)
        await tg.expect_edit(chat_id=hans["id"], message_id=menu["message_id"])
        await tg.send_text(hans, "/frobnicate", bot_id=BOT_ID)
        await tg.expect_message(chat_id=hans["id"], contains="I don't know the command")

        await tg.send_text(hans, "/language", bot_id=BOT_ID)
        menu = await tg.expect_message(chat_id=hans["id"], contains="Which language")
        deutsch = next(
            b
            for row in menu["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == "Deutsch"
        )
        await tg.press(hans, menu, deutsch["callback_data"], bot_id=BOT_ID)
        edited = await tg.expect_edit(chat_id=hans["id"], message_id=menu["message_id"])
        assert edited["text"] == "Erledigt! Ab jetzt spreche ich Deutsch."

    # The command menu is published for German too (its descriptions English until translated).
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        reply = await http.post(f"/bot{BOT_TOKEN}/getMyCommands", json={"language_code": "de"})
    commands = {item["command"]: item["description"] for item in reply.json()["result"]}
    assert commands["language"] == "Change the language"
