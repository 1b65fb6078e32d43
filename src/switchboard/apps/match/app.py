"""The match App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App

from .privacy import delete_user_match, export_user_match


def make_router() -> Router:
    return Router(name="match")


APP = App(
    name="match",
    title="match.title",
    make_router=make_router,
    commands=(),
    catalog=files("switchboard.apps.match").joinpath("locales"),
    migrations=files("switchboard.apps.match").joinpath("migrations"),
    export_user_data=export_user_match,
    delete_user_data=delete_user_match,
)
