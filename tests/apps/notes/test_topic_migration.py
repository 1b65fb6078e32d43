"""Revision notes_0004 (0007 of the old linear history): topics learn the forum they live
in; the old ones get their group's."""

from __future__ import annotations

import sqlalchemy as sa

from switchboard.db import create_engine
from switchboard.db.migrate import downgrade, upgrade
from switchboard.platform.migrations import version_locations

GROUP = (
    "INSERT INTO notes_groups (id, bot_id, owner_id, chat_id, title, low_confidence, "
    "remove_original, bound_at) VALUES (1, 5, 7, -100, 'Mine', 0.35, true, '2026-01-01')"
)
TOPIC = (
    "INSERT INTO notes_topics (id, group_id, {chat}thread_id, name, description, format, "
    "deleted, created_at) VALUES ({id}, 1, {values}'Inbox', '', '', false, '2026-01-01')"
)


async def test_topics_get_their_groups_forum_and_lose_others_on_the_way_down(
    database_url: str,
) -> None:
    locations = version_locations()
    engine = create_engine(database_url)
    try:
        await upgrade(database_url, locations, revision="notes_0003_growth_indexes")
        async with engine.begin() as connection:
            await connection.execute(sa.text(GROUP))
            await connection.execute(sa.text(TOPIC.format(id=1, chat="", values="11, ")))
        await upgrade(database_url, locations)
        async with engine.begin() as connection:
            rows = await connection.execute(sa.text("SELECT id, chat_id FROM notes_topics"))
            assert rows.all() == [(1, -100)]
            # The same thread id in another forum of the group: a different topic.
            await connection.execute(
                sa.text(TOPIC.format(id=2, chat="chat_id, ", values="-200, 11, "))
            )
        await downgrade(database_url, "notes_0003_growth_indexes", locations)
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text("SELECT id, thread_id FROM notes_topics"))
            assert rows.all() == [(1, 11)]  # the group's current forum's
    finally:
        await engine.dispose()
