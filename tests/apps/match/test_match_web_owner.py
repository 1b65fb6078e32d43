"""The match page's API over HTTP (the web app, a logged-in owner of the bot), on both
databases: the numbers, the reports queue and its review (restore shows a hidden profile
again, remove hides it; each closes every open report of the profile, and a second review is
refused), and the rounds with their groups; another bot's report is out of reach.

(Named apart from the other apps' `test_web_owner.py`: these folders are not packages, and
pytest would take two files of one name for one module.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owner_login import Deployment, add_bots, logged_in, web_settings
from switchboard.apps.match.app import APP
from switchboard.apps.match.models import (
    MatchCommunity,
    MatchPair,
    MatchProfile,
    MatchReport,
    MatchRound,
    MatchRoundGroup,
    MatchSwipe,
)

BOT_ID, OTHER_BOT = 7_400_001, 7_400_002
OWNER = 4_400_001
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


async def _scene(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session, session.begin():
        people = {}
        for n, (name, state, bot) in enumerate(
            [("Ann", "active", BOT_ID), ("Bob", "active", BOT_ID), ("Cid", "hidden", BOT_ID),
             ("Dee", "draft", BOT_ID), ("Eve", "paused", BOT_ID), ("Fay", "active", OTHER_BOT)]
        ):  # fmt: skip
            profile = MatchProfile(bot_id=bot, user_id=100 + n, name=name, state=state)
            session.add(profile)
            await session.flush()
            people[name] = profile.id
        cid = await session.get(MatchProfile, people["Cid"])
        assert cid is not None
        cid.reports = 2
        for viewer, shown, verdict in (("Ann", "Bob", "like"), ("Bob", "Ann", "like"),
                                       ("Ann", "Cid", "skip")):  # fmt: skip
            session.add(MatchSwipe(viewer_id=people[viewer], shown_id=people[shown],
                                   bot_id=BOT_ID, verdict=verdict))  # fmt: skip
        session.add(MatchPair(bot_id=BOT_ID, first_id=people["Ann"], second_id=people["Bob"]))
        for reporter in ("Ann", "Bob"):
            session.add(MatchReport(bot_id=BOT_ID, reporter_id=people[reporter],
                                    reported_id=people["Cid"], reason="spam",
                                    card={"name": "Cid"}))  # fmt: skip
        foreign = MatchReport(bot_id=OTHER_BOT, reporter_id=people["Fay"],
                              reported_id=people["Fay"], reason="fake")  # fmt: skip
        session.add(foreign)
        community = MatchCommunity(bot_id=BOT_ID, chat_id=-100400, title="Coffee club",
                                   created_by=OWNER)  # fmt: skip
        session.add(community)
        await session.flush()
        for week in range(2):
            done = MatchRound(community_id=community.id, scheduled_for=T0 + timedelta(weeks=week),
                              ran_at=T0 + timedelta(weeks=week), members=4)  # fmt: skip
            session.add(done)
            await session.flush()
            for pair in ([100, 101], [102, 103]):
                session.add(MatchRoundGroup(round_id=done.id, community_id=community.id,
                                            members=pair))  # fmt: skip
        await session.flush()
        return {**people, "foreign": foreign.id}


async def test_the_owner_reads_the_numbers_reviews_reports_and_sees_rounds(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    ids = await _scene(session_factory)
    deployment = Deployment(web_settings(), session_factory, apps={"match": APP})
    base = f"/api/v1/bots/{BOT_ID}/match"
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        stats = (await client.get(f"{base}/stats")).json()
        assert stats["profiles"] == 5 and stats["active"] == 2  # not the other bot's Fay
        assert stats["by_state"]["hidden"] == 1 and stats["by_state"]["sleeping"] == 0
        assert stats["matches"] == 1 and stats["likes"] == 2 and stats["reports_open"] == 2

        queue = (await client.get(f"{base}/reports")).json()
        assert [(r["reported_name"], r["reason"]) for r in queue] == [("Cid", "spam")] * 2
        assert queue[0]["reported_state"] == "hidden" and queue[0]["reports_against"] == 2

        bad = await client.post(f"{base}/reports/{queue[0]['id']}/resolve", json={"outcome": "ban"})
        assert bad.status_code == 422
        restored = await client.post(
            f"{base}/reports/{queue[0]['id']}/resolve", json={"outcome": "restore"}
        )
        assert restored.status_code == 200, restored.text
        body = restored.json()
        assert body["outcome"] == "restore" and body["reported_state"] == "active"
        assert body["reports_against"] == 0
        assert (await client.get(f"{base}/reports")).json() == []  # both reports closed
        closed = (await client.get(f"{base}/reports?reviewed=true")).json()
        assert {r["outcome"] for r in closed} == {"restore"} and len(closed) == 2
        again = await client.post(
            f"{base}/reports/{queue[1]['id']}/resolve", json={"outcome": "remove"}
        )
        assert again.status_code == 409 and "already reviewed" in again.json()["detail"]
        foreign = await client.post(
            f"{base}/reports/{ids['foreign']}/resolve", json={"outcome": "remove"}
        )
        assert foreign.status_code == 404
        assert (await client.get(f"{base}/stats")).json()["active"] == 3  # Cid is back

        rounds = (await client.get(f"{base}/rounds")).json()
        assert [r["scheduled_for"][:10] for r in rounds] == ["2026-11-09", "2026-11-02"]
        assert all(r["groups"] == 2 and r["community"] == "Coffee club" for r in rounds)


async def test_the_match_page_refuses_in_the_callers_language(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    ids = await _scene(session_factory)
    deployment = Deployment(web_settings(), session_factory, apps={"match": APP})
    base = f"/api/v1/bots/{BOT_ID}/match"
    ru = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        foreign = await client.post(
            f"{base}/reports/{ids['foreign']}/resolve", json={"outcome": "remove"}, headers=ru
        )
        assert foreign.status_code == 404 and foreign.headers["Content-Language"] == "ru"
        assert foreign.json() == {"detail": "нет такой жалобы", "code": "no_such_report"}
        first, second = (await client.get(f"{base}/reports")).json()
        done = await client.post(
            f"{base}/reports/{first['id']}/resolve", json={"outcome": "restore"}
        )
        assert done.status_code == 200, done.text
        again = await client.post(
            f"{base}/reports/{second['id']}/resolve", json={"outcome": "remove"}, headers=ru
        )
        assert again.status_code == 409
        assert again.json() == {"detail": "уже рассмотрена: restore", "code": "already_reviewed"}
        english = await client.post(
            f"{base}/reports/{second['id']}/resolve", json={"outcome": "remove"}
        )
        assert english.json() == {"detail": "already reviewed: restore", "code": "already_reviewed"}
