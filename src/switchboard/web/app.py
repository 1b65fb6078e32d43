"""The FastAPI app: webhook, health, metrics (and, as apps grow, their APIs and pages)."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.kernel.deployment import RunningDeployment
from switchboard.web import health, webhook


def create_web_app(platform: RunningDeployment) -> FastAPI:
    app = FastAPI(title="Switchboard", docs_url=None, redoc_url=None)
    app.state.platform = platform
    app.router.routes.append(webhook.ROUTE)
    app.include_router(health.router)
    return app
