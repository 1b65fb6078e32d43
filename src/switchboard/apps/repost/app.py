"""The repost App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

# --- alerts ---
from . import health_notices
from .alerts_command import make_alerts_router

# --- delivery ---
from .delivery_handlers import make_delivery_router
from .delivery_jobs import register_delivery_jobs
from .privacy import delete_user_repost, export_user_repost


def make_router() -> Router:
    router = Router(name="repost")
    router.include_router(make_alerts_router())  # alerts
    router.include_router(make_delivery_router())  # delivery: targets, routes, /log
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    health_notices.register(registry, health_notices.NoticeRuntime.from_services(services))
    register_delivery_jobs(registry, services)  # delivery: repost.route, repost.post


APP = App(
    name="repost",
    title="repost.title",
    make_router=make_router,
    commands=(
        AppCommand("alerts", "repost.cmd.alerts"),
        # delivery
        AppCommand("targets", "repost.cmd.targets"),
        AppCommand("target", "repost.cmd.target"),
        AppCommand("source", "repost.cmd.source"),
        AppCommand("filter", "repost.cmd.filter"),
        AppCommand("template", "repost.cmd.template"),
        AppCommand("test", "repost.cmd.test"),
        AppCommand("log", "repost.cmd.log"),
    ),
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.repost").joinpath("locales"),
    migrations=files("switchboard.apps.repost").joinpath("migrations"),
    export_user_data=export_user_repost,
    delete_user_data=delete_user_repost,
)
