"""/privacy for the match app (issue 16, item 9): the export names the user's mutual pairs and
round groups, and deleting leaves the user's id in no round group or round of the bot, while
another bot's rows (feedback included) stay."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.match.models import (
    MatchCommunity,
    MatchFeedback,
    MatchMember,
    MatchPair,
    MatchProfile,
    MatchRound,
    MatchRoundGroup,
)
from switchboard.apps.match.privacy import delete_user_match, export_user_match

BOT, OTHER_BOT = 42, 43
USER, PARTNER, THIRD = 1001, 1002, 1003
AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


async def _world(session: AsyncSession) -> dict[int, int]:
    """The user with a profile and a mutual pair with BOT, and a round (as the odd one, in a
    three) in one community of each bot; returns {bot: group id}."""
    mine = MatchProfile(bot_id=BOT, user_id=USER, state="active", name="Uma", age=30)
    partner = MatchProfile(bot_id=BOT, user_id=PARTNER, state="active", name="Pat", age=31)
    session.add_all([mine, partner])
    await session.flush()
    session.add(MatchPair(bot_id=BOT, first_id=mine.id, second_id=partner.id))
    groups: dict[int, int] = {}
    for bot_id in (BOT, OTHER_BOT):
        community = MatchCommunity(
            bot_id=bot_id, chat_id=-100, title=f"club {bot_id}", created_by=1
        )
        session.add(community)
        await session.flush()
        session.add_all(
            MatchMember(community_id=community.id, user_id=u, name=n)
            for u, n in ((USER, "Uma"), (PARTNER, "Pat"), (THIRD, "Tom"))
        )
        made = MatchRound(community_id=community.id, scheduled_for=AT, members=3, odd_user_id=USER)
        session.add(made)
        await session.flush()
        group = MatchRoundGroup(
            round_id=made.id, community_id=community.id, members=[USER, PARTNER, THIRD]
        )
        session.add(group)
        await session.flush()
        session.add(MatchFeedback(group_id=group.id, user_id=USER, met=True, rating=5))
        groups[bot_id] = group.id
    return groups


async def test_the_export_names_mutual_pairs_and_round_groups_of_this_bot_only(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await _world(session)
    async with session_factory() as session:
        data = await export_user_match(session, BOT, USER)
    assert [p["with"] for p in data["pairs"]] == ["Pat"]
    assert data["round_groups"] == [
        {"group": "club 42", "round": AT.isoformat(), "with": ["Pat", "Tom"], "odd_one": True}
    ]
    assert len(data["rounds"]) == 1 and len(data["feedback"]) == 1  # not the other bot's


async def test_delete_takes_the_user_out_of_round_groups_and_rounds_of_this_bot_only(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        groups = await _world(session)
    async with session_factory() as session, session.begin():
        assert await delete_user_match(session, BOT, USER) > 0
    async with session_factory() as session:
        mine = await session.get(MatchRoundGroup, groups[BOT])
        theirs = await session.get(MatchRoundGroup, groups[OTHER_BOT])
        assert mine is not None and mine.members == [PARTNER, THIRD]
        assert theirs is not None and theirs.members == [USER, PARTNER, THIRD]
        odd = await session.execute(
            select(MatchCommunity.bot_id, MatchRound.odd_user_id).join(
                MatchCommunity, MatchCommunity.id == MatchRound.community_id
            )
        )
        assert dict(odd.tuples().all()) == {BOT: None, OTHER_BOT: USER}
        feedback = list(await session.scalars(select(MatchFeedback)))
        assert [f.group_id for f in feedback] == [groups[OTHER_BOT]]
        assert list(await session.scalars(select(MatchPair))) == []
        left = await session.scalars(
            select(MatchMember.community_id).where(MatchMember.user_id == USER)
        )
        assert len(list(left)) == 1
        assert await export_user_match(session, BOT, USER) == {
            "profile": None,
            "rounds": [],
            "round_groups": [],
            "feedback": [],
            "pairs": [],
        }
