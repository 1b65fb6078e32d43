"""calendar: answers to a group event are per occurrence; a card remembers the one it shows.

A weekly meetup had one set of answers for all its weeks. `calendar_rsvps` is now keyed by
(event, occurrence key, user), and `calendar_cards.occurrence_key` says which occurrence a
card shows. Existing answers become answers to the series' next occurrence (its latest, if all
have passed); a single event's answers get the key "", its one occurrence whatever its time.

Downgrade keeps each person's answer to the earliest occurrence they answered.

Revision ID: calendar_0002_rsvp_occurrences
Revises: calendar_0001_calendar
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "calendar_0002_rsvp_occurrences"
down_revision: str | None = "calendar_0001_calendar"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

KEY = sa.String(32)
NEXT = sa.text(
    "SELECT o.occurrence_key FROM calendar_occurrences o"
    " JOIN calendar_events s ON s.id = o.event_id"
    " JOIN calendar_events m ON m.source_id = s.source_id AND m.uid = s.uid"
    " WHERE m.id = :event_id AND o.ends_at >= :now ORDER BY o.starts_at LIMIT 1"
)
LATEST = sa.text(
    "SELECT o.occurrence_key FROM calendar_occurrences o"
    " JOIN calendar_events s ON s.id = o.event_id"
    " JOIN calendar_events m ON m.source_id = s.source_id AND m.uid = s.uid"
    " WHERE m.id = :event_id ORDER BY o.starts_at DESC LIMIT 1"
)


def _recurs(rrule: str | None, rdates: Any) -> bool:
    if isinstance(rdates, str):
        rdates = json.loads(rdates)
    return bool(rrule or rdates)


def _keep_answers_on_next_occurrences() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":  # stored as naive UTC text there
        now = now.replace(tzinfo=None)
    answered = bind.execute(
        sa.text(
            "SELECT e.id, e.rrule, e.rdates, e.recurrence_id FROM calendar_events e"
            " WHERE e.id IN (SELECT DISTINCT event_id FROM calendar_rsvps)"
        )
    ).all()
    for event_id, rrule, rdates, recurrence_id in answered:
        if recurrence_id or not _recurs(rrule, rdates):
            continue
        key = bind.scalar(NEXT, {"event_id": event_id, "now": now}) or bind.scalar(
            LATEST, {"event_id": event_id}
        )
        if key:
            bind.execute(
                sa.text("UPDATE calendar_rsvps SET occurrence_key = :key WHERE event_id = :id"),
                {"key": key, "id": event_id},
            )


def upgrade() -> None:
    with op.batch_alter_table("calendar_rsvps") as batch:
        batch.add_column(sa.Column("occurrence_key", KEY, nullable=False, server_default=""))
    _keep_answers_on_next_occurrences()
    with op.batch_alter_table("calendar_rsvps") as batch:
        batch.drop_constraint("pk_calendar_rsvps", type_="primary")
        batch.create_primary_key("pk_calendar_rsvps", ["event_id", "occurrence_key", "user_id"])
    # A plain ADD COLUMN (SQLite keeps the table, and its AUTOINCREMENT, as it is).
    op.add_column(
        "calendar_cards", sa.Column("occurrence_key", KEY, nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("calendar_cards", "occurrence_key")  # SQLite 3.35+: in place
    op.execute(
        "DELETE FROM calendar_rsvps WHERE occurrence_key <> (SELECT MIN(r.occurrence_key)"
        " FROM calendar_rsvps r WHERE r.event_id = calendar_rsvps.event_id"
        " AND r.user_id = calendar_rsvps.user_id)"
    )
    with op.batch_alter_table("calendar_rsvps") as batch:
        batch.drop_constraint("pk_calendar_rsvps", type_="primary")
        batch.create_primary_key("pk_calendar_rsvps", ["event_id", "user_id"])
        batch.drop_column("occurrence_key")
