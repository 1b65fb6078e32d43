"""The App contract: what an app declares for the kernel to run it.

An app is a router of handlers plus what the kernel needs to know about it: its commands (for
/help and the per-language command menus) and its jobs. One dispatcher serves every bot; an
app's router only sees updates of bots that enabled it (`app_gate`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources.abc import Traversable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.housekeeping import Retention
from switchboard.kernel.i18n import Translator
from switchboard.kernel.jobs import JobRegistry, upsert_schedule
from switchboard.kernel.rate_limits import SlidingWindow
from switchboard.kernel.routing import Gate
from switchboard.kernel.web_routes import AppWeb
from switchboard.settings import Settings


@dataclass(frozen=True)
class AppCommand:
    """A slash command an app offers; `description` is an i18n key."""

    name: str
    description: str
    owner_only: bool = False


class PlatformServices(Protocol):
    """What apps' handlers and jobs may use of the running platform (handlers ask for it as
    `platform: PlatformServices`)."""

    settings: Settings
    translator: Translator

    @property
    def apps(self) -> Mapping[str, App]:
        """The installed apps, by name."""

    @property
    def enabled(self) -> EnabledApps:
        """Which apps each bot runs."""

    @property
    def dispatcher(self) -> Dispatcher:
        """The one dispatcher (its FSM storage, for /privacy's forgetting)."""

    def owners(self, bot_id: int) -> set[int]:
        """Who may use a bot's owner commands."""

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]: ...

    def bot(self, bot_id: int) -> Bot: ...

    @property
    def rate_limits(self) -> SlidingWindow | None:
        """Limits shared by every process (Redis); None without REDIS_URL."""

    def translate(self, key: str, locale: str | None, **params: Any) -> str: ...


# (session, bot_id, user_id): what the app keeps of the user *with that bot*. /privacy answers
# for the bot it is sent to: the same person's data with another bot of the deployment is not
# that bot's to show or to delete.
UserDataExport = Callable[[AsyncSession, int, int], Awaitable[dict[str, Any]]]
UserDataDelete = Callable[[AsyncSession, int, int], Awaitable[int]]
# (session, bot_id, since): what the app counts of a bot's week for the owners' weekly email
# digest, {i18n key of the line ("notes.digest.new_notes", text with a {count}): count}.
DigestCounts = Callable[[AsyncSession, int, datetime], Awaitable[Mapping[str, int]]]
# (session, user_id, new zone): the user's time zone changed (core's /settings,
# `change_user_timezone`). One zone serves every bot of the deployment, so the app moves what
# follows the user's zone with all of them, in the caller's transaction: slow work is a job
# enqueued there.
TimezoneChanged = Callable[[AsyncSession, int, ZoneInfo], Awaitable[None]]


@dataclass(frozen=True)
class AppSchedule:
    """A schedule the platform keeps from its first start on: job `kind` fired every
    `interval` or by `cron` (UTC), whether or not anyone has used the app yet. The schedule is
    named after its kind."""

    kind: str
    interval: timedelta | None = None
    cron: str | None = None


async def keep_app_schedules(session: AsyncSession, apps: Sequence[App]) -> None:
    """Create or keep every app's schedules (a start-up step; an unchanged timing keeps its
    next fire time, so restarts neither skip nor repeat one). The caller commits."""
    for app in apps:
        for planned in app.schedules:
            await upsert_schedule(
                session,
                planned.kind,
                planned.kind,
                {},
                interval=planned.interval,
                cron=planned.cron,
            )


@dataclass(frozen=True)
class App:
    name: str
    title: str  # i18n key of the app's name, shown by /help
    make_router: Callable[[], Router]
    commands: Sequence[AppCommand] = ()
    register_jobs: Callable[[JobRegistry, PlatformServices], None] | None = None
    schedules: Sequence[AppSchedule] = ()  # kept from start-up on (`keep_app_schedules`)
    always_enabled: bool = False
    # The app's `locales/` folder: gettext catalogues, `<lang>/LC_MESSAGES/messages.po`.
    catalog: Traversable | None = None
    # A folder of Alembic revisions: the app's own branch (`branch_labels = ("<name>",)`, its
    # first revision `depends_on` the kernel revision it needs). The platform passes it to
    # `switchboard.db.migrate`; an app without tables leaves it None.
    migrations: Traversable | None = None
    # /privacy: what the app stores about a user, and how to forget it (rows deleted).
    export_user_data: UserDataExport | None = None
    delete_user_data: UserDataDelete | None = None
    retention: Sequence[Retention] = ()  # rows the kernel's hourly prune deletes for the app
    # Onboarding, i18n keys: the one thing to do first (/start and /help show it), and what the
    # app does in a group and the next step there (said when the bot is added to one).
    first_step: str | None = None
    group_intro: str | None = None
    # Messages this app takes before every other app sees them (an .ics file to import, an
    # .opml file): without it an app earlier in the order that files anything (notes) took
    # them. A cheap, synchronous check; the app's router still decides (`kernel.questions`).
    claims: Callable[[Message], bool] | None = None
    # The app's web routes: the owner's dashboard page API and the Mini App's
    # (`kernel.web_routes`); the web layer mounts them and checks who may call them.
    web: AppWeb | None = None
    # Email: the app's Jinja2 templates (`<name>.txt` and `<name>.html`, named "<app>/<name>"
    # for `raise_alert`) and its counts in the owners' weekly digest (`kernel.email`).
    email_templates: Traversable | None = None
    digest_counts: DigestCounts | None = None
    # What follows the user's time zone (floating reminders): told when it changes. Apps never
    # import core, which owns /settings; this is how a change reaches them.
    timezone_changed: TimezoneChanged | None = None


class EnabledApps:
    """Which apps each bot runs; refreshed when the bot table changes."""

    def __init__(self) -> None:
        self._by_bot: dict[int, frozenset[str]] = {}

    def set(self, bot_id: int, apps: Sequence[str]) -> None:
        self._by_bot[bot_id] = frozenset(apps)

    def forget(self, bot_id: int) -> None:
        self._by_bot.pop(bot_id, None)

    def of(self, bot_id: int) -> frozenset[str]:
        return self._by_bot.get(bot_id, frozenset())

    def enabled(self, bot_id: int, app: str) -> bool:
        return app in self._by_bot.get(bot_id, frozenset())


def app_gate(app: str, registry: EnabledApps) -> Gate:
    """A `GatedRouter` gate: let an update through only if the receiving bot enabled `app`."""

    def enabled(_update_type: str, _event: TelegramObject, data: Mapping[str, Any]) -> bool:
        bot = data.get("bot")
        return bot is not None and registry.enabled(bot.id, app)

    return enabled
