"""The apps this installation ships: adding an app is adding its folder and one line here."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the list alone is read by the CLI's help, which must not load the kernel
    from switchboard.kernel.apps import App

# Each module has an `APP` (the app's `switchboard.kernel.App`).
INSTALLED_APPS = (
    "switchboard.apps.core",
    "switchboard.apps.notes",
    "switchboard.apps.calendar",
    "switchboard.apps.repost",
    "switchboard.apps.match",
)


@cache
def _load(modules: tuple[str, ...]) -> dict[str, App]:
    apps: dict[str, App] = {}
    for module_name in modules:
        app: App = import_module(module_name).APP
        apps[app.name] = app
    return apps


def installed_apps(modules: Sequence[str] = INSTALLED_APPS) -> dict[str, App]:
    """The apps by name (a fresh dict; the apps themselves are loaded once)."""
    return dict(_load(tuple(modules)))


def resolve_app_names(
    names: Sequence[str],
    installed: Sequence[str] | None = None,
    *,
    modules: Sequence[str] | None = None,
) -> list[str]:
    """Validate app names typed by an operator; `all` means every installed app (those of
    `modules`, the INSTALLED_APPS setting, when given). Raises ValueError naming the unknown ones
    and what is installed."""
    chosen = modules or INSTALLED_APPS
    apps = installed_apps(chosen) if installed is None else {name: None for name in installed}
    wanted = list(apps) if "all" in names else list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in apps]
    if unknown:
        raise ValueError(f"unknown app(s) {', '.join(unknown)}; installed: {', '.join(apps)}")
    if installed is None:
        for name, app in installed_apps(chosen).items():
            if app.always_enabled and name not in wanted:
                wanted.insert(0, name)
    return wanted
