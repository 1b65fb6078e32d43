"""The calendar App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

# --- ics: import, subscriptions, export and the feed ---
from .ics_handlers import make_ics_router
from .ics_jobs import register_ics_jobs
from .privacy import delete_user_calendar, export_user_calendar

ICS_COMMANDS = (
    AppCommand("subscribe", "calendar.cmd.subscribe"),
    AppCommand("calendars", "calendar.cmd.calendars"),
    AppCommand("unsubscribe", "calendar.cmd.unsubscribe"),
    AppCommand("export", "calendar.cmd.export"),
    AppCommand("feed", "calendar.cmd.feed"),
)
# --- end ics ---


def make_router() -> Router:
    router = Router(name="calendar")
    router.include_router(make_ics_router())  # ics
    return router


def _register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    register_ics_jobs(registry, services)


APP = App(
    name="calendar",
    title="calendar.title",
    make_router=make_router,
    commands=(*ICS_COMMANDS,),
    register_jobs=_register_jobs,
    catalog=files("switchboard.apps.calendar").joinpath("locales"),
    migrations=files("switchboard.apps.calendar").joinpath("migrations"),
    export_user_data=export_user_calendar,
    delete_user_data=delete_user_calendar,
)
