"""The calendar App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App

from .privacy import delete_user_calendar, export_user_calendar


def make_router() -> Router:
    return Router(name="calendar")


APP = App(
    name="calendar",
    title="calendar.title",
    make_router=make_router,
    commands=(),
    catalog=files("switchboard.apps.calendar").joinpath("locales"),
    migrations=files("switchboard.apps.calendar").joinpath("migrations"),
    export_user_data=export_user_calendar,
    delete_user_data=delete_user_calendar,
)
