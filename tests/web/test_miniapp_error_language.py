"""The apps' Mini App routes refuse in the user's language: Telegram's `language_code` in the
launch data (Bob's is "ru", Alice's "en") picks the text from the app's catalogue, and the
`code` beside it is the same in every language. English is the sentence it always was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from miniapp_world import MiniAppWorld, world_fixture  # noqa: F401

API = "/api/v1/miniapp/calendar"


async def test_calendar_refuses_in_the_users_language(world: MiniAppWorld) -> None:
    alice, bob = await world.headers(world.alice), await world.headers(world.bob)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(tzinfo=None, microsecond=0)

    # the route's own refusal
    missing = await world.web.patch(f"{API}/events/999999", headers=bob, json={"title": "x"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "нет такого события", "code": "no_such_event"}
    assert missing.headers["Content-Language"] == "ru"
    english = await world.web.patch(f"{API}/events/999999", headers=alice, json={"title": "x"})
    assert english.json() == {"detail": "no such event", "code": "no_such_event"}
    assert english.headers["Content-Language"] == "en"

    offset = {"title": "Offset", "start": start.isoformat() + "+03:00"}
    refused = await world.web.post(f"{API}/events", headers=bob, json=offset)
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "присылайте время без смещения: по часовому поясу пользователя",
        "code": "time_with_offset",
    }

    # a refusal of the calendar itself (its CalendarError) passes its key on
    untitled = {"title": " ", "start": start.isoformat()}
    blank = await world.web.post(f"{API}/events", headers=bob, json=untitled)
    assert blank.status_code == 422
    assert blank.json() == {
        "detail": "У события должно быть название: пришлите пару слов.",
        "code": "no_title",
    }
    blank_en = await world.web.post(f"{API}/events", headers=alice, json=untitled)
    assert blank_en.json()["detail"] == "The event needs a title: send a few words."
