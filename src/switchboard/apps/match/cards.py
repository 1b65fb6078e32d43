"""The match app's cards and keyboards: how a profile reads, and the buttons under it."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from switchboard.kernel import (
    Translate,
    cancel_button,
)

from .geo import shown_distance_km
from .interests import shown
from .models import (
    MatchProfile,
)


class Card(CallbackData, prefix="mcard"):
    """like|skip|report|block on the card of profile `shown` (checked: it was shown to the
    tapping user)."""

    action: str
    shown: int


def buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


def with_cancel(markup: InlineKeyboardMarkup | None, _: Translate, user_id: int) -> Any:
    rows = list(markup.inline_keyboard) if markup else []
    rows.append([cancel_button(_, user_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- the card ------------------------------------------------------------------------------


def card_text(
    profile: MatchProfile,
    km: float | None,
    _: Translate,
    *,
    own: bool = False,
    common: list[str] | None = None,
) -> str:
    locale = _("match.locale")
    lines = [f"{profile.name}, {profile.age}" if profile.age else profile.name]
    if km is not None:
        shown_km = shown_distance_km(km)
        lines.append(
            _("match.card.near") if shown_km == 0 else _("match.card.distance", km=shown_km)
        )
    elif own and profile.place_name:
        lines.append(profile.place_name)
    if common:
        lines.append(_("match.card.common", interests=", ".join(shown(k, locale) for k in common)))
    elif profile.interests:
        lines.append(
            _(
                "match.card.interests",
                interests=", ".join(shown(k, locale) for k in profile.interests),
            )
        )
    if profile.bio:
        lines.append("")
        lines.append(profile.bio)
    return "\n".join(lines)


def card_buttons(shown_id: int, _: Translate) -> InlineKeyboardMarkup:
    return buttons(
        [
            [
                (_("match.button.like"), Card(action="like", shown=shown_id).pack()),
                (_("match.button.skip"), Card(action="skip", shown=shown_id).pack()),
            ],
            [
                (_("match.button.report"), Card(action="report", shown=shown_id).pack()),
                (_("match.button.block"), Card(action="block", shown=shown_id).pack()),
            ],
        ]
    )
