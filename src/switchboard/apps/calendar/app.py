"""The calendar App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

from .caldav_handlers import make_caldav_router
from .caldav_jobs import register_caldav_jobs
from .privacy import delete_user_calendar, export_user_calendar

# --- caldav ---
CALDAV_COMMANDS = (AppCommand("caldav", "calendar.cmd.caldav"),)
# --- end caldav ---


def make_router() -> Router:
    router = Router(name="calendar")
    router.include_router(make_caldav_router())  # caldav
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    register_caldav_jobs(registry, services)  # caldav


APP = App(
    name="calendar",
    title="calendar.title",
    make_router=make_router,
    commands=(*CALDAV_COMMANDS,),
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.calendar").joinpath("locales"),
    migrations=files("switchboard.apps.calendar").joinpath("migrations"),
    export_user_data=export_user_calendar,
    delete_user_data=delete_user_calendar,
)
