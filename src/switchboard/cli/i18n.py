"""`switchboard i18n …`: texts and translations, the gettext catalogues in each package's
locales/ folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

i18n_app = typer.Typer(
    help="Texts and translations: gettext catalogues in each package's locales/ folder.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _catalog_folders() -> dict[str, Path]:
    """The kernel's `locales/` folder and every installed app's, by name."""
    from switchboard.kernel.i18n import KERNEL_CATALOGS
    from switchboard.platform.installed_apps import installed_apps

    folders = {"kernel": Path(str(KERNEL_CATALOGS))}
    for name, installed in installed_apps().items():
        if installed.catalog is not None:
            folders[name] = Path(str(installed.catalog))
    return folders


@i18n_app.command("extract")
def i18n_extract() -> None:
    """Write locales/messages.pot in each package from its English catalogue, for translators.

    Code asks for texts by key, so the English catalogue is the source: start a language from the
    template (`switchboard i18n init LANG`, or `pybabel init`) and bring it up to date with
    `pybabel update -i locales/messages.pot -d locales`.
    """
    from switchboard.kernel.i18n import load_catalog
    from switchboard.kernel.i18n.authoring import write_template

    for name, folder in _catalog_folders().items():
        target = write_template(folder)
        typer.echo(f"{name}: {len(load_catalog(folder, 'en'))} texts -> {target}")


@i18n_app.command("init")
def i18n_init(
    language: Annotated[
        str, typer.Argument(metavar="LANGUAGE", help="a language code with CLDR data: de, pt_BR, …")
    ],
) -> None:
    """Start a language: an empty catalogue with CLDR's plural forms in every package.

    Untranslated texts fall back to English, so the language works (and /language offers it) as
    soon as the files exist; fill them in with any .po editor.
    """
    from switchboard.kernel.i18n import CatalogError, catalog_path, load_catalog
    from switchboard.kernel.i18n.authoring import write_catalog

    for name, folder in _catalog_folders().items():
        if catalog_path(folder, language).is_file():
            typer.echo(f"{name}: {catalog_path(folder, language)} exists, left as it is")
            continue
        english = load_catalog(folder, "en")
        try:
            target = write_catalog(folder, language, dict.fromkeys(english), english=english)
        except CatalogError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"{name}: {len(english)} texts to translate -> {target}")


@i18n_app.command("check")
def i18n_check() -> None:
    """Every language's missing and extra keys and placeholders unlike English; exit 1 if any."""
    from switchboard.kernel.i18n import CatalogError, catalog_locales
    from switchboard.kernel.i18n.authoring import catalog_problems

    failed = False
    for name, folder in _catalog_folders().items():
        try:
            problems = catalog_problems(folder)
        except CatalogError as error:
            problems = [str(error)]
        for problem in problems:
            typer.echo(problem, err=True)
        failed |= bool(problems)
        languages = ", ".join(catalog_locales(folder)) if not problems else "see above"
        typer.echo(
            f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'} ({languages})"
        )
    if failed:
        raise typer.Exit(1)
