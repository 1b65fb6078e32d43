"""`/alerts`: where an owner hears about failing sources besides Telegram, and after how many
failed polls in a row a source pauses.

    /alerts                      the settings
    /alerts email ann@example.com  also by email (when this deployment sends email)
    /alerts email off            Telegram only
    /alerts after 3              pause after 3 failures (1–50)

An address is the kernel's to confirm: setting one sends it a confirmation link (the kernel's
`add_address`), and the notice emails go there only once it is confirmed and until it
unsubscribes from alerts (`health_notices`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Added, AddressError, Owner, add_address, is_email_address

from .models import RepostAlertSettings
from .source_health import DEFAULT_FAILURES_BEFORE_PAUSE

MAX_FAILURES_BEFORE_PAUSE = 50
OFF_WORDS = frozenset({"off", "none", "no", "выкл", "нет"})


@dataclass(frozen=True)
class AlertsReply:
    """What to answer: an i18n key and its parameters."""

    key: str
    params: dict[str, object]


async def settings_of(session: AsyncSession, bot_id: int, owner_id: int) -> RepostAlertSettings:
    """The owner's settings, a new unsaved row with the defaults if they have none."""
    found = await session.get(RepostAlertSettings, (bot_id, owner_id))
    return found or RepostAlertSettings(
        bot_id=bot_id,
        owner_id=owner_id,
        email=None,
        failures_before_pause=DEFAULT_FAILURES_BEFORE_PAUSE,
    )


async def apply_alerts_command(
    session: AsyncSession, bot_id: int, owner_id: int, args: str, *, email_available: bool
) -> AlertsReply:
    """Change what `args` asks for (nothing when it is wrong) and say what to answer."""
    words = args.split()
    settings = await settings_of(session, bot_id, owner_id)
    if not words:
        return _shown(settings, email_available)
    verb, rest = words[0].lower(), words[1:]
    if verb in ("email", "почта") and len(rest) == 1:
        value = rest[0]
        if value.lower() in OFF_WORDS:
            settings.email = None
            await _save(session, settings)
            return AlertsReply("repost.alerts.email_off", {})
        if not email_available:
            return AlertsReply("repost.alerts.email_unavailable", {})
        if not is_email_address(value):
            return AlertsReply("repost.alerts.email_invalid", {"value": value[:100]})
        try:
            row, added = await add_address(session, Owner(telegram_user_id=owner_id), value)
        except AddressError:
            return AlertsReply("repost.alerts.email_invalid", {"value": value[:100]})
        settings.email = row.address
        await _save(session, settings)
        if added is Added.ALREADY_CONFIRMED:
            return AlertsReply("repost.alerts.email_set", {"email": row.address})
        return AlertsReply("repost.alerts.email_confirm", {"email": row.address})
    if verb in ("after", "после") and len(rest) == 1:
        try:
            number = int(rest[0])
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_FAILURES_BEFORE_PAUSE:
            return AlertsReply(
                "repost.alerts.after_invalid",
                {"value": rest[0][:20], "max": MAX_FAILURES_BEFORE_PAUSE},
            )
        settings.failures_before_pause = number
        await _save(session, settings)
        return AlertsReply("repost.alerts.after_set", {"count": number})
    return AlertsReply("repost.alerts.usage", {"max": MAX_FAILURES_BEFORE_PAUSE})


def _shown(settings: RepostAlertSettings, email_available: bool) -> AlertsReply:
    if not email_available:
        email_key = "repost.alerts.show_email_unavailable"
    elif settings.email:
        email_key = "repost.alerts.show_email"
    else:
        email_key = "repost.alerts.show_no_email"
    return AlertsReply(
        "repost.alerts.show",
        {
            "count": settings.failures_before_pause,
            "email_key": email_key,
            "email": settings.email or "",
        },
    )


async def _save(session: AsyncSession, settings: RepostAlertSettings) -> None:
    session.add(settings)
    await session.flush()
