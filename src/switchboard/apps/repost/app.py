"""The repost App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

from . import health_notices
from .alerts_command import make_alerts_router
from .privacy import delete_user_repost, export_user_repost


def make_router() -> Router:
    router = Router(name="repost")
    router.include_router(make_alerts_router())  # alerts
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    health_notices.register(registry, health_notices.NoticeRuntime.from_services(services))


APP = App(
    name="repost",
    title="repost.title",
    make_router=make_router,
    commands=(AppCommand("alerts", "repost.cmd.alerts"),),
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.repost").joinpath("locales"),
    migrations=files("switchboard.apps.repost").joinpath("migrations"),
    export_user_data=export_user_repost,
    delete_user_data=delete_user_repost,
)
