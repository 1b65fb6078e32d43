"""The calendar App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

# --- groups: group events with RSVP, calendars posted to chats ---
from . import group_handlers, post_handlers
from .group_jobs import register_group_jobs
from .privacy import delete_user_calendar, export_user_calendar

GROUP_COMMANDS = (
    AppCommand("publish", "calendar.cmd.publish"),
    AppCommand("capacity", "calendar.cmd.capacity"),
    AppCommand("attendees", "calendar.cmd.attendees"),
    AppCommand("attach", "calendar.cmd.attach"),
    AppCommand("format", "calendar.cmd.format"),
    AppCommand("detach", "calendar.cmd.detach"),
)
# --- end groups ---


def make_router() -> Router:
    router = Router(name="calendar")
    router.include_routers(group_handlers.make_router(), post_handlers.make_router())  # groups
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    register_group_jobs(registry, services)  # groups


APP = App(
    name="calendar",
    title="calendar.title",
    make_router=make_router,
    commands=(*GROUP_COMMANDS,),
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.calendar").joinpath("locales"),
    migrations=files("switchboard.apps.calendar").joinpath("migrations"),
    export_user_data=export_user_calendar,
    delete_user_data=delete_user_calendar,
)
