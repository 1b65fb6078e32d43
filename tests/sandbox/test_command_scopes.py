"""The "/" menu a user sees: Telegram's order of command scopes and languages, so that a bot
that sets one user's menu (after /language, say) can be checked the way a client shows it."""

from __future__ import annotations

from switchboard.sandbox.testing import SandboxClient

from .conftest import BotApi
from .scene import ADMIN_RIGHTS


def _names(commands: list[dict[str, str]]) -> list[str]:
    return [c["description"] for c in commands]


async def test_private_chat_menu_takes_the_chat_scope_before_any_language(
    api: BotApi, tg: SandboxClient
) -> None:
    anna = await tg.create_user("Anna", language_code="de-AT")
    ben = await tg.create_user("Ben", language_code="en")
    assert await tg.commands(anna, bot_id=api.id) == []  # nothing set: no menu
    one = {"command": "a", "description": "default"}
    await api.ok("setMyCommands", commands=[one])
    await api.ok("setMyCommands", commands=[{**one, "description": "Deutsch"}], language_code="de")
    assert _names(await tg.commands(anna, bot_id=api.id)) == ["Deutsch"]
    assert _names(await tg.commands(ben, bot_id=api.id)) == ["default"]
    private = {"type": "all_private_chats"}
    await api.ok("setMyCommands", commands=[{**one, "description": "private"}], scope=private)
    assert _names(await tg.commands(anna, bot_id=api.id)) == ["private"]
    await api.ok(
        "setMyCommands",
        commands=[{**one, "description": "hers"}],
        scope={"type": "chat", "chat_id": anna["id"]},
    )
    assert _names(await tg.commands(anna, bot_id=api.id)) == ["hers"]
    assert _names(await tg.commands(ben, bot_id=api.id)) == ["private"]
    await api.ok("deleteMyCommands", scope={"type": "chat", "chat_id": anna["id"]})
    assert _names(await tg.commands(anna, bot_id=api.id)) == ["private"]


async def test_group_menu_offers_admin_lists_to_admins_only(api: BotApi, tg: SandboxClient) -> None:
    owner = await tg.create_user("Olga")
    guest = await tg.create_user("Gus")
    group = await tg.create_group(owner, "Club")
    await tg.add_member(group, owner, api.id, status="administrator", rights=ADMIN_RIGHTS)
    await tg.add_member(group, owner, guest["id"])
    one = {"command": "a", "description": "groups"}
    await api.ok("setMyCommands", commands=[one], scope={"type": "all_group_chats"})
    admins = {"type": "all_chat_administrators"}
    await api.ok("setMyCommands", commands=[{**one, "description": "admins"}], scope=admins)
    assert _names(await tg.commands(owner, chat_id=group["id"])) == ["admins"]
    assert _names(await tg.commands(guest, chat_id=group["id"])) == ["groups"]
    assert _names(await tg.commands(guest, bot_id=api.id)) == []  # private chats: not a group's
