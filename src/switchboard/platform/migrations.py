"""The database schema of this installation: the kernel's migrations plus each installed app's.

`switchboard.db.migrate` knows only the kernel's folder of revisions; this module hands it the
installed apps' folders (`App.migrations`). An app removed from the installed list simply stops
being migrated (its tables stay, unmanaged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from switchboard.db import migrate
from switchboard.kernel.apps import App
from switchboard.platform.installed_apps import INSTALLED_APPS, installed_apps


def version_locations(apps: Mapping[str, App] | None = None) -> list[Path]:
    """The installed apps' folders of revisions (the kernel's is added by `db.migrate`)."""
    chosen = installed_apps() if apps is None else apps
    locations = []
    for app in chosen.values():
        if app.migrations is None:
            continue
        folder = Path(str(app.migrations))
        if not folder.is_dir():
            raise RuntimeError(f"app {app.name!r}: migrations folder {folder} is not a directory")
        locations.append(folder)
    return locations


def _apps(apps: Mapping[str, App] | None, modules: Sequence[str] | None) -> Mapping[str, App]:
    if apps is not None:
        return apps
    return installed_apps(INSTALLED_APPS if modules is None else modules)


async def upgrade_all(
    url: str,
    apps: Mapping[str, App] | None = None,
    *,
    modules: Sequence[str] | None = None,
) -> None:
    """Migrate `url` to the head of the kernel's and every installed app's branch."""
    await migrate.upgrade(url, version_locations(_apps(apps, modules)))


async def is_current(
    url: str,
    apps: Mapping[str, App] | None = None,
    *,
    modules: Sequence[str] | None = None,
) -> bool:
    """Whether `url` is at the head of every branch of this installation."""
    return await migrate.is_current(url, version_locations(_apps(apps, modules)))
