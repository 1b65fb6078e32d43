"""The repost App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

from .feed_jobs import register_feed_jobs  # feeds
from .privacy import delete_user_repost, export_user_repost
from .source_commands import make_sources_router  # feeds

# --- feeds: sources, polling, channel posts, OPML ---
FEED_COMMANDS = (
    AppCommand("sub", "repost.cmd.sub"),
    AppCommand("unsub", "repost.cmd.unsub"),
    AppCommand("sources", "repost.cmd.sources"),
    AppCommand("source", "repost.cmd.source"),
    AppCommand("opml", "repost.cmd.opml"),
)
# --- end feeds ---


def make_router() -> Router:
    router = Router(name="repost")
    router.include_router(make_sources_router())  # feeds
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    register_feed_jobs(registry, services)  # feeds


APP = App(
    name="repost",
    title="repost.title",
    make_router=make_router,
    commands=(*FEED_COMMANDS,),
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.repost").joinpath("locales"),
    migrations=files("switchboard.apps.repost").joinpath("migrations"),
    export_user_data=export_user_repost,
    delete_user_data=delete_user_repost,
)
