"""The notes App: wiring for the kernel (commands, jobs, texts, privacy)."""

from __future__ import annotations

from importlib.resources import files

from switchboard.kernel import App, AppCommand, AppWeb, JobRegistry, PlatformServices

from . import jobs
from .handlers import make_router
from .links.cache import RETENTION as LINK_PREVIEW_RETENTION
from .notes_runtime import NotesRuntime
from .privacy import delete_user_notes, export_user_notes
from .web_miniapp import make_router as make_miniapp_router
from .web_owner import make_owner_router


def _register_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    runtime = NotesRuntime.from_settings(
        services.settings, services, services.translator, services.session_factory
    )
    jobs.register(registry, runtime)


APP = App(
    name="notes",
    title="notes.title",
    make_router=make_router,
    commands=(
        AppCommand("bind", "notes.cmd.bind"),
        AppCommand("topics", "notes.cmd.topics"),
        AppCommand("find", "notes.cmd.find"),
        AppCommand("recent", "notes.cmd.recent"),
        AppCommand("tags", "notes.cmd.tags"),
        AppCommand("autofile", "notes.cmd.autofile"),
    ),
    register_jobs=_register_jobs,
    catalog=files("switchboard.apps.notes").joinpath("locales"),
    migrations=files("switchboard.apps.notes").joinpath("migrations"),
    export_user_data=export_user_notes,
    delete_user_data=delete_user_notes,
    retention=(LINK_PREVIEW_RETENTION,),
    first_step="notes.first_step",
    group_intro="notes.group_intro",
    web=AppWeb(owner=make_owner_router, miniapp=make_miniapp_router),
)
