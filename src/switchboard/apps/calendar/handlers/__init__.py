"""The calendar in Telegram: one router per feature, each thin (read the update, call the
service, answer). Commands first, then the answers to the bot's questions (by state)."""

from __future__ import annotations

from aiogram import Router

from . import agenda_view, changes, new_event


def make_chat_router() -> Router:
    """Events in chat, the agenda and the daily plan (the "chat" part of the calendar)."""
    router = Router(name="calendar.chat")
    router.include_routers(
        agenda_view.make_router(), new_event.make_router(), changes.make_router()
    )
    return router


__all__ = ["make_chat_router"]
