"""The FastAPI apps: the web (webhook, health, metrics, the apps' APIs and pages) and a
worker's (health and metrics only)."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.kernel.deployment import RunningDeployment
from switchboard.web import calendar_feed, email_links, health, pages, webhook
from switchboard.web.api import mount_api
from switchboard.web.api_errors import install_error_handlers
from switchboard.web.spa import mount_spas

MAX_BODY_BYTES = 1024 * 1024
"""Every request body's cap, answered with 413. Telegram's updates are a few kilobytes and so
is the JSON the API takes; without a cap `request.body()` holds whatever a client sends. A
`Content-Length` past it is refused before the body is read, a chunked body at the first
chunk past it. A route that takes uploads sets its own (`max_body_size=`)."""


def create_web_app(platform: RunningDeployment) -> FastAPI:
    app = FastAPI(title="Switchboard", docs_url=None, redoc_url=None, max_body_size=MAX_BODY_BYTES)
    app.state.platform = platform
    install_error_handlers(app)  # /api/v1's errors in the caller's language, with a code
    app.router.routes.append(webhook.ROUTE)
    app.include_router(health.router)
    app.include_router(calendar_feed.router)  # the calendar app's private .ics feeds
    app.include_router(email_links.router)  # confirm and unsubscribe links in emails
    mount_api(app, platform.apps)
    app.include_router(pages.router)  # /bots/{username}, /privacy, /status
    mount_spas(app)  # /dashboard/ and /app, the built single-page apps
    return app


def create_health_app(platform: RunningDeployment) -> FastAPI:
    """/healthz, /readyz and /metrics only: what `switchboard worker` serves (WORKER_WEB_PORT)
    for its probes and for Prometheus, which otherwise never sees the jobs a worker runs."""
    app = FastAPI(
        title="Switchboard worker", docs_url=None, redoc_url=None, openapi_url=None,
        max_body_size=MAX_BODY_BYTES,
    )  # fmt: skip
    app.state.platform = platform
    app.include_router(health.router)
    return app
