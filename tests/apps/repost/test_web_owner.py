"""The repost page's API over HTTP (the web app, a logged-in owner of the bot), on both
databases: sources with their health, targets with their routes, the template per target
read, refused with a reason, changed and previewed with the app's renderer, and the delivery
log a page at a time; another bot's rows are not reachable through this bot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owner_login import Deployment, add_bots, logged_in, web_settings
from switchboard.apps.repost.app import APP
from switchboard.apps.repost.models import DeliveryState, RepostDelivery, RepostRoute

from .repost_rows import BOT_ID, OWNER, T0, item, source, target

OTHER_BOT = 778


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session, session.begin():
        feed = await source(session, title="Python news", consecutive_failures=2,
                            last_error="HTTP 503", last_success_at=T0)  # fmt: skip
        await source(session, "https://other.test/rss", title="Paused", paused=True,
                     paused_reason="owner")  # fmt: skip
        channel = await target(session, title="Channel")
        route = RepostRoute(
            source_id=feed.id,
            target_id=channel.id,
            include=[{"field": "title", "kind": "keyword", "value": "python"}],
        )
        session.add(route)
        items = [await item(session, feed, n, title=f"Python {n}") for n in range(3)]
        await session.flush()
        for n, posted in enumerate(items):
            session.add(
                RepostDelivery(
                    route_id=route.id, target_id=channel.id, item_id=posted.id, guid=f"g{n}",
                    content_hash="h", state=DeliveryState.POSTED.value,
                    created_at=T0 + timedelta(minutes=n), posted_at=T0 + timedelta(minutes=n),
                )
            )  # fmt: skip
        foreign = await target(session, chat_id=-100900, bot_id=OTHER_BOT, title="Not yours")
        return {"feed": feed.id, "target": channel.id, "route": route.id, "foreign": foreign.id}


async def test_the_owner_reads_and_changes_the_repost_page(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    ids = await _rows(session_factory)
    deployment = Deployment(web_settings(), session_factory, apps={"repost": APP})
    base = f"/api/v1/bots/{BOT_ID}/repost"
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        sources = (await client.get(f"{base}/sources")).json()
        assert [s["title"] for s in sources] == ["Python news", "Paused"]
        assert sources[0]["health"]["consecutive_failures"] == 2
        assert sources[0]["health"]["last_error"] == "HTTP 503"
        assert sources[0]["health"]["last_success_at"].startswith("2026-12-07T12:00:00")
        assert sources[1]["health"]["paused"] and sources[1]["health"]["paused_reason"] == "owner"
        assert [s["first_items"] for s in sources] == [1, 1]  # the newest only, by default

        # How many of the newest the first fetch posts: an imported source not fetched yet.
        first = f"{base}/sources/{sources[1]['id']}/first_items"
        changed_first = await client.put(first, json={"first_items": 4})
        assert changed_first.json() == {"first_items": 4, "pending": True}
        fetched = await client.put(
            f"{base}/sources/{ids['feed']}/first_items", json={"first_items": 2}
        )
        assert fetched.json() == {"first_items": 2, "pending": False}  # its first fetch is past
        for bad in (-1, 21, "many"):
            refused_first = await client.put(first, json={"first_items": bad})
            assert refused_first.status_code == 422
        missing = await client.put(f"{base}/sources/999999/first_items", json={"first_items": 2})
        assert missing.status_code == 404
        sources = (await client.get(f"{base}/sources")).json()
        assert [s["first_items"] for s in sources] == [2, 4]

        targets = (await client.get(f"{base}/targets")).json()
        assert [t["title"] for t in targets] == ["Channel"]  # not the other bot's
        assert targets[0]["routes"][0]["include"][0]["value"] == "python"

        template = f"{base}/targets/{ids['target']}/template"
        assert (await client.get(template)).json()["template"] is None  # the default
        refused = await client.put(template, json={"template": "{{ title.__class__ }}"})
        assert refused.status_code == 422 and "__class__" in refused.json()["detail"]
        broken = await client.put(template, json={"template": "{% if %}"})
        assert broken.status_code == 422 and "parse" in broken.json()["detail"]
        assert (await client.get(template)).json()["template"] is None  # nothing written
        changed = await client.put(template, json={"template": "<i>{{ title }}</i> {{ link }}"})
        assert changed.status_code == 200 and changed.json()["routes"] == 1
        assert (await client.get(template)).json()["template"] == "<i>{{ title }}</i> {{ link }}"

        preview = await client.post(
            f"{base}/template/preview", json={"template": "<b>{{ title }}</b> <script>x</script>"}
        )
        assert preview.status_code == 200
        assert preview.json()["html"] == "<b>Python 2</b>"  # the newest item; no script
        given = await client.post(
            f"{base}/template/preview",
            json={"template": "{{ title }}: {{ summary }}",
                  "item": {"title": "A & B", "summary": "<p>one<br>two</p>"}},
        )  # fmt: skip
        assert given.json()["html"] == "A &amp; B: one\ntwo"
        bad = await client.post(f"{base}/template/preview", json={"template": "{{ nope }}"})
        assert bad.status_code == 422 and "nope" in bad.json()["detail"]
        failing = await client.post(
            f"{base}/template/preview", json={"template": "{{ title + 1 }}"}
        )
        assert failing.status_code == 422 and "concatenate" in failing.json()["detail"]

        first = (await client.get(f"{base}/deliveries?page=1&per_page=2")).json()
        assert first["total"] == 3 and len(first["items"]) == 2
        assert first["items"][0]["id"] > first["items"][1]["id"]  # newest first
        assert first["items"][0]["item_title"] == "Python 2"
        second = (await client.get(f"{base}/deliveries?page=2&per_page=2")).json()
        assert len(second["items"]) == 1
        assert (await client.get(f"{base}/deliveries?page=0")).status_code == 422

        foreign = f"{base}/targets/{ids['foreign']}/template"
        assert (await client.get(foreign)).status_code == 404
        assert (await client.put(foreign, json={"template": "x"})).status_code == 404
        other = await client.get(f"/api/v1/bots/{OTHER_BOT}/repost/sources")
        assert other.status_code == 404  # a bot the caller does not manage


async def test_the_repost_page_refuses_in_the_callers_language(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    ids = await _rows(session_factory)
    deployment = Deployment(web_settings(), session_factory, apps={"repost": APP})
    base = f"/api/v1/bots/{BOT_ID}/repost"
    ru = {"Accept-Language": "ru"}
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        foreign = await client.get(f"{base}/targets/{ids['foreign']}/template", headers=ru)
        assert foreign.status_code == 404 and foreign.headers["Content-Language"] == "ru"
        assert foreign.json() == {"detail": "нет такой цели", "code": "no_such_target"}
        template = f"{base}/targets/{ids['target']}/template"
        refused = await client.put(template, json={"template": "{{ title.__class__ }}"}, headers=ru)
        assert refused.status_code == 422 and refused.json()["code"] == "template_refused"
        detail = refused.json()["detail"]
        assert detail.startswith("шаблон отклонён: ") and "__class__" in detail
        english = await client.put(template, json={"template": "{{ title.__class__ }}"})
        assert english.json()["detail"].startswith("template refused: ")
        assert english.json()["code"] == "template_refused"
