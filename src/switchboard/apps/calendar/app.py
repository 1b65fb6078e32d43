"""The calendar App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

from . import reminder_handlers, reminder_jobs
from .privacy import delete_user_calendar, export_user_calendar


def make_router() -> Router:
    router = Router(name="calendar")
    # --- reminders ---
    router.include_router(reminder_handlers.make_router())
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    # --- reminders ---
    reminder_jobs.register(registry, services)


COMMANDS = (
    # --- reminders ---
    AppCommand("advance", "calendar.cmd.advance"),
    AppCommand("quiet", "calendar.cmd.quiet"),
)


APP = App(
    name="calendar",
    title="calendar.title",
    make_router=make_router,
    commands=COMMANDS,
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.calendar").joinpath("locales"),
    migrations=files("switchboard.apps.calendar").joinpath("migrations"),
    export_user_data=export_user_calendar,
    delete_user_data=delete_user_calendar,
)
