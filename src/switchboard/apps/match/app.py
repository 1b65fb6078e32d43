"""The match App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from switchboard.kernel import App, AppCommand, AppWeb

from . import jobs
from .handlers import make_router
from .privacy import delete_user_match, export_user_match
from .upkeep import SWEEP
from .web_miniapp import make_router as make_miniapp_router
from .web_owner import make_owner_router
from .week_counts import week_counts

APP = App(
    name="match",
    title="match.title",
    make_router=make_router,
    commands=(
        AppCommand("profile", "match.cmd.profile"),
        AppCommand("match", "match.cmd.match"),
        AppCommand("matches", "match.cmd.matches"),
        AppCommand("pause", "match.cmd.pause"),
        AppCommand("resume", "match.cmd.resume"),
        AppCommand("delete", "match.cmd.delete"),
        AppCommand("rounds", "match.cmd.rounds"),
        AppCommand("reports", "match.cmd.reports", owner_only=True),
    ),
    register_jobs=jobs.register,
    schedules=(SWEEP,),
    catalog=files("switchboard.apps.match").joinpath("locales"),
    migrations=files("switchboard.apps.match").joinpath("migrations"),
    export_user_data=export_user_match,
    delete_user_data=delete_user_match,
    first_step="match.first_step",
    web=AppWeb(owner=make_owner_router, miniapp=make_miniapp_router),
    digest_counts=week_counts,
)
