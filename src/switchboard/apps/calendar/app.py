"""The calendar App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from aiogram import Router

from switchboard.kernel import App, AppCommand, AppWeb, JobRegistry, PlatformServices

# --- chat: events in chat, agenda, daily plan ---
# --- groups: group events with RSVP, calendars posted to chats ---
# --- reminders: /advance, /quiet, snooze and done; reminder and planning jobs ---
from . import (
    daily_plan,
    group_handlers,
    post_handlers,
    reminder_handlers,
    reminder_jobs,
    zone_change,
)

# --- caldav: two-way sync with the user's CalDAV server ---
from .caldav_handlers import make_caldav_router
from .caldav_jobs import register_caldav_jobs

# --- ics: import, subscriptions, export and the feed ---
from .group_handlers import is_chat_picked
from .group_jobs import register_group_jobs
from .handlers import make_chat_router
from .ics_handlers import is_ics_message, make_ics_router
from .ics_jobs import register_ics_jobs
from .privacy import delete_user_calendar, export_user_calendar
from .web_miniapp import make_router as make_miniapp_router
from .web_owner import make_owner_router

CHAT_COMMANDS = (
    AppCommand("new", "calendar.cmd.new"),
    AppCommand("events", "calendar.cmd.events"),
    AppCommand("today", "calendar.cmd.today"),
    AppCommand("week", "calendar.cmd.week"),
    AppCommand("agenda", "calendar.cmd.agenda"),
    AppCommand("plan", "calendar.cmd.plan"),
)
GROUP_COMMANDS = (
    AppCommand("publish", "calendar.cmd.publish"),
    AppCommand("capacity", "calendar.cmd.capacity"),
    AppCommand("attendees", "calendar.cmd.attendees"),
    AppCommand("attach", "calendar.cmd.attach"),
    AppCommand("format", "calendar.cmd.format"),
    AppCommand("detach", "calendar.cmd.detach"),
)
ICS_COMMANDS = (
    AppCommand("subscribe", "calendar.cmd.subscribe"),
    AppCommand("calendars", "calendar.cmd.calendars"),
    AppCommand("unsubscribe", "calendar.cmd.unsubscribe"),
    AppCommand("export", "calendar.cmd.export"),
    AppCommand("feed", "calendar.cmd.feed"),
)
REMINDER_COMMANDS = (
    AppCommand("advance", "calendar.cmd.advance"),
    AppCommand("quiet", "calendar.cmd.quiet"),
)
CALDAV_COMMANDS = (AppCommand("caldav", "calendar.cmd.caldav"),)


def make_router() -> Router:
    router = Router(name="calendar")
    # ics first: its handlers take only .ics documents and their own commands.
    router.include_router(make_ics_router())  # ics
    # caldav before chat: its answers are state-filtered, and the chat router reads free text
    router.include_router(make_caldav_router())  # caldav
    router.include_router(reminder_handlers.make_router())  # reminders: commands, taps
    router.include_router(make_chat_router())  # chat
    router.include_routers(group_handlers.make_router(), post_handlers.make_router())  # groups
    return router


def register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    daily_plan.register(registry, services)  # chat
    register_group_jobs(registry, services)  # groups
    register_ics_jobs(registry, services)  # ics
    reminder_jobs.register(registry, services)  # reminders
    zone_change.register(registry)  # reminders: floating events follow the user's zone
    register_caldav_jobs(registry, services)  # caldav


APP = App(
    name="calendar",
    title="calendar.title",
    make_router=make_router,
    commands=(*CHAT_COMMANDS, *GROUP_COMMANDS, *ICS_COMMANDS, *REMINDER_COMMANDS, *CALDAV_COMMANDS),
    register_jobs=register_jobs,
    catalog=files("switchboard.apps.calendar").joinpath("locales"),
    migrations=files("switchboard.apps.calendar").joinpath("migrations"),
    export_user_data=export_user_calendar,
    delete_user_data=delete_user_calendar,
    timezone_changed=zone_change.timezone_changed,
    # An .ics file is imported, not filed as a note; a chat picked for /publish is the calendar's.
    claims=lambda message: is_ics_message(message) or is_chat_picked(message),
    web=AppWeb(owner=make_owner_router, miniapp=make_miniapp_router),
)
