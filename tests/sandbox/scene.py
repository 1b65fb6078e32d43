"""A small world many tests share: a bot, two users, a group, a forum and a channel."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.sandbox.testing import SandboxClient

from .conftest import BotApi, Json

ADMIN_RIGHTS = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_restrict_members": True,
    "can_promote_members": True,
    "can_change_info": True,
    "can_invite_users": True,
    "can_pin_messages": True,
    "can_manage_topics": True,
    "can_post_messages": True,
    "can_edit_messages": True,
}


@dataclass
class Scene:
    api: BotApi
    alice: Json  # has started the bot
    bob: Json  # has not
    group: Json  # basic group, the bot a plain member
    forum: Json  # forum supergroup, the bot an administrator, bob a member
    channel: Json  # the bot an administrator

    @property
    def private(self) -> int:
        return int(self.alice["id"])


async def build_scene(api: BotApi, tg: SandboxClient) -> Scene:
    alice = await tg.create_user("Alice", username=f"alice_{api.id}")
    bob = await tg.create_user("Bob")
    await tg.send_text(alice, "/start", bot_id=api.id)
    group = await tg.create_group(alice, "Group", kind="group")
    await tg.add_member(group, alice, api.id)
    forum = await tg.create_group(alice, "Forum", forum=True)
    await tg.add_member(forum, alice, api.id, status="administrator", rights=ADMIN_RIGHTS)
    await tg.add_member(forum, alice, bob["id"])
    channel = await tg.create_group(alice, "Channel", kind="channel")
    await tg.add_member(channel, alice, api.id, status="administrator", rights=ADMIN_RIGHTS)
    await api.ok("getUpdates", offset=-1)
    return Scene(api, alice, bob, group, forum, channel)
