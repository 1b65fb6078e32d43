"""The repost App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, AppWeb, JobRegistry, PlatformServices

# --- alerts ---
from . import health_notices
from .alerts_command import make_alerts_router

# --- delivery ---
from .delivery_handlers import make_delivery_router
from .delivery_jobs import register_delivery_jobs

# --- feeds ---
from .feed_jobs import register_feed_jobs
from .privacy import delete_user_repost, export_user_repost
from .source_commands import claims, make_sources_router
from .topic_handlers import make_topic_router
from .web_miniapp import make_router as make_miniapp_router
from .web_owner import make_owner_router


def make_router() -> Router:
    router = Router(name="repost")
    router.include_router(make_sources_router())  # feeds: /sub, /sources, /source, OPML
    router.include_router(make_alerts_router())  # alerts
    router.include_router(make_delivery_router())  # delivery: targets, routes, /log
    router.include_router(make_topic_router())  # delivery: a topic per source
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    register_feed_jobs(registry, services)  # feeds: repost.tick, repost.poll
    health_notices.register(registry, health_notices.NoticeRuntime.from_services(services))
    register_delivery_jobs(registry, services)  # delivery: repost.route, repost.post


APP = App(
    name="repost",
    title="repost.title",
    make_router=make_router,
    commands=(
        AppCommand("sub", "repost.cmd.sub"),
        AppCommand("unsub", "repost.cmd.unsub"),
        AppCommand("sources", "repost.cmd.sources"),
        AppCommand("source", "repost.cmd.source"),
        AppCommand("targets", "repost.cmd.targets"),
        AppCommand("target", "repost.cmd.target"),
        AppCommand("filter", "repost.cmd.filter"),
        AppCommand("template", "repost.cmd.template"),
        AppCommand("cap", "repost.cmd.cap"),
        AppCommand("test", "repost.cmd.test"),
        AppCommand("log", "repost.cmd.log"),
        AppCommand("opml", "repost.cmd.opml"),
        AppCommand("alerts", "repost.cmd.alerts"),
    ),
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.repost").joinpath("locales"),
    migrations=files("switchboard.apps.repost").joinpath("migrations"),
    export_user_data=export_user_repost,
    delete_user_data=delete_user_repost,
    claims=claims,  # OPML files, and forwards from channels the bot runs
    web=AppWeb(owner=make_owner_router, miniapp=make_miniapp_router),
)
