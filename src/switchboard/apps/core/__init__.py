"""The core app: every bot has it (/start, /help, /language, /settings, /privacy, owner tools)."""

from importlib.resources import files

from switchboard.kernel import App, AppCommand

from . import jobs
from .handlers import make_router

APP = App(
    name="core",
    title="core.title",
    make_router=make_router,
    commands=(
        AppCommand("start", "core.cmd.start"),
        AppCommand("help", "core.cmd.help"),
        AppCommand("language", "core.cmd.language"),
        AppCommand("settings", "core.cmd.settings"),
        AppCommand("privacy", "core.cmd.privacy"),
        AppCommand("stats", "core.cmd.stats", owner_only=True),
        AppCommand("broadcast", "core.cmd.broadcast", owner_only=True),
        AppCommand("email", "core.cmd.email", owner_only=True),
    ),
    register_jobs=jobs.register,
    always_enabled=True,
    catalog=files("switchboard.apps.core").joinpath("locales"),
    migrations=files(__name__).joinpath("migrations"),
)

__all__ = ["APP"]
