"""The calendar app's private feeds: `GET /calendar/<token>.ics`, what Google Calendar, Apple
Calendar and Thunderbird poll once a user added the link /feed gave them.

The token is the only credential (192 random bits, revoked by `/feed reset`); an unknown one is
a 404 that says no more. The body's hash is a strong ETag, so a poller's `If-None-Match` gets a
304 with no body while nothing changed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from switchboard.apps.calendar.ics_export import feed_document
from switchboard.kernel.deployment import RunningDeployment

router = APIRouter()

MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"


@router.get("/calendar/{token}.ics")
async def calendar_feed(token: str, request: Request) -> Response:
    platform: RunningDeployment = request.app.state.platform
    async with platform.session_factory() as session:
        feed = await feed_document(session, token)
    if feed is None:
        return Response("not found\n", status_code=404, media_type="text/plain")
    headers = {"ETag": feed.etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), feed.etag):
        return Response(status_code=304, headers=headers)
    return Response(
        feed.body,
        media_type=MEDIA_TYPE,
        headers={**headers, "Content-Disposition": 'inline; filename="calendar.ics"'},
    )


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))
