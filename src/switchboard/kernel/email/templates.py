"""Emails from Jinja2 templates: a text and an HTML part per email, in the recipient's language.

Each email is a pair of templates, `<folder>/<name>.txt` and `<folder>/<name>.html`, named
`"<folder>/<name>"`: `kernel/…` are the kernel's (`kernel/email/templates/`), and an app ships
its own folder (`App.email_templates`, named after the app). A text template defines the
blocks `subject` and `body` and extends `kernel/base.txt`; an HTML one defines `body` and
extends `kernel/base.html` (the footer with the unsubscribe link).

Texts come from the gettext catalogues through `_` (bound to the recipient's language, so
English and Russian are picked by it); HTML templates are autoescaped, so a name a user typed
is text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from switchboard.kernel.i18n import Translator

KERNEL_TEMPLATES: Traversable = files("switchboard.kernel.email").joinpath("templates")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class _FolderLoader(BaseLoader):
    """Templates from a package folder (a `Traversable`: also inside a wheel or a zip)."""

    def __init__(self, folder: Traversable) -> None:
        self._folder = folder

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        found = self._folder
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise TemplateNotFound(template)
            found = found.joinpath(part)
        if not found.is_file():
            raise TemplateNotFound(template)
        return found.read_text("utf-8"), None, lambda: True


class EmailTemplates:
    """The kernel's email templates and those of `folders` (app name → its templates)."""

    def __init__(
        self, translator: Translator, folders: Mapping[str, Traversable] | None = None
    ) -> None:
        self.translator = translator
        loaders: dict[str, BaseLoader] = {
            name: _FolderLoader(folder) for name, folder in (folders or {}).items()
        }
        loaders["kernel"] = _FolderLoader(KERNEL_TEMPLATES)
        self._env = Environment(
            loader=PrefixLoader(loaders),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, locale: str | None, params: Mapping[str, Any]) -> RenderedEmail:
        """The email `name` ("kernel/confirm") in `locale` (English when it has none)."""
        bound = self.translator.bind(locale)
        context = {**params, "_": bound, "lang": bound.locale}
        text_template = self._env.get_template(f"{name}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(context)))
        return RenderedEmail(
            subject=" ".join(subject.split()),
            text=text_template.render(context).strip() + "\n",
            html=self._env.get_template(f"{name}.html").render(context),
        )
