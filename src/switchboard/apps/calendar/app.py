"""The calendar App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, JobRegistry, PlatformServices

# --- chat: events in chat, agenda, daily plan ---
from . import daily_plan
from .handlers import make_chat_router
from .privacy import delete_user_calendar, export_user_calendar

CHAT_COMMANDS = (
    AppCommand("new", "calendar.cmd.new"),
    AppCommand("events", "calendar.cmd.events"),
    AppCommand("today", "calendar.cmd.today"),
    AppCommand("week", "calendar.cmd.week"),
    AppCommand("agenda", "calendar.cmd.agenda"),
    AppCommand("plan", "calendar.cmd.plan"),
)


def register_chat_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    daily_plan.register(registry, services)


# --- end chat ---


def make_router() -> Router:
    router = Router(name="calendar")
    router.include_router(make_chat_router())  # chat
    return router


def _register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    register_chat_jobs(registry, services)


APP = App(
    name="calendar",
    title="calendar.title",
    make_router=make_router,
    commands=(*CHAT_COMMANDS,),
    register_jobs=_register_jobs,
    catalog=files("switchboard.apps.calendar").joinpath("locales"),
    migrations=files("switchboard.apps.calendar").joinpath("migrations"),
    export_user_data=export_user_calendar,
    delete_user_data=delete_user_calendar,
)
