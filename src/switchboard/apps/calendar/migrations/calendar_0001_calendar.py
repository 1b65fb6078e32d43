"""calendar: calendars, events, stored occurrences, reminders, settings, group events, posts.

Revision ID: calendar_0001_calendar
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "calendar_0001_calendar"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = ("calendar",)
depends_on: str | None = "kernel_0002_kernel"

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)
NEVER_REUSED = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "calendar_sources",
        sa.Column("id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("username", sa.String(256), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("etag", sa.String(512), nullable=True),
        sa.Column("last_modified", sa.String(64), nullable=True),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failure_told", sa.Boolean(), nullable=False),
        sa.Column("next_sync_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sources")),
        sa.UniqueConstraint(
            "bot_id", "user_id", "kind", "name", name="uq_calendar_sources_bot_id_user_id_kind_name"
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "calendar_events",
        sa.Column("id", BigID, nullable=False),
        sa.Column("source_id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.String(512), nullable=False),
        sa.Column("recurrence_id", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("start_local", sa.DateTime(timezone=False), nullable=False),
        sa.Column("end_local", sa.DateTime(timezone=False), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("rdates", sa.JSON(), nullable=False),
        sa.Column("exdates", sa.JSON(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("reminders", sa.JSON(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("remote_href", sa.Text(), nullable=True),
        sa.Column("remote_etag", sa.String(512), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["calendar_sources.id"],
            name=op.f("fk_calendar_events_source_id_calendar_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_events")),
        sa.UniqueConstraint(
            "source_id",
            "uid",
            "recurrence_id",
            name="uq_calendar_events_source_id_uid_recurrence_id",
        ),
        **NEVER_REUSED,
    )
    op.create_index("ix_calendar_events_owner", "calendar_events", ["bot_id", "user_id"])
    op.create_table(
        "calendar_occurrences",
        sa.Column("id", BigID, nullable=False),
        sa.Column("event_id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("occurrence_key", sa.String(32), nullable=False),
        sa.Column("starts_at", Timestamp, nullable=False),
        sa.Column("ends_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["calendar_events.id"],
            name=op.f("fk_calendar_occurrences_event_id_calendar_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_occurrences")),
        sa.UniqueConstraint(
            "event_id", "occurrence_key", name="uq_calendar_occurrences_event_id_occurrence_key"
        ),
        **NEVER_REUSED,
    )
    op.create_index(
        "ix_calendar_occurrences_owner_start",
        "calendar_occurrences",
        ["bot_id", "user_id", "starts_at"],
    )
    op.create_index("ix_calendar_occurrences_start", "calendar_occurrences", ["starts_at"])
    op.create_table(
        "calendar_settings",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("advance", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.String(5), nullable=True),
        sa.Column("quiet_end", sa.String(5), nullable=True),
        sa.Column("daily_plan_at", sa.String(5), nullable=True),
        sa.Column("feed_token", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "user_id", name=op.f("pk_calendar_settings")),
        sa.UniqueConstraint("feed_token", name=op.f("uq_calendar_settings_feed_token")),
    )
    op.create_table(
        "calendar_reminders",
        sa.Column("id", BigID, nullable=False),
        sa.Column("event_id", BigID, nullable=False),
        sa.Column("occurrence_key", sa.String(32), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("due_at", Timestamp, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sent_at", Timestamp, nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["calendar_events.id"],
            name=op.f("fk_calendar_reminders_event_id_calendar_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_reminders")),
        sa.UniqueConstraint(
            "event_id",
            "occurrence_key",
            "lead_minutes",
            "user_id",
            name="uq_calendar_reminders_once",
        ),
        **NEVER_REUSED,
    )
    op.create_index("ix_calendar_reminders_due", "calendar_reminders", ["state", "due_at"])
    op.create_table(
        "calendar_rsvps",
        sa.Column("event_id", BigID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("answer", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("answered_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["calendar_events.id"],
            name=op.f("fk_calendar_rsvps_event_id_calendar_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_calendar_rsvps")),
    )
    op.create_table(
        "calendar_cards",
        sa.Column("id", BigID, nullable=False),
        sa.Column("event_id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["calendar_events.id"],
            name=op.f("fk_calendar_cards_event_id_calendar_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_cards")),
        sa.UniqueConstraint(
            "event_id", "chat_id", "thread_id", name="uq_calendar_cards_event_id_chat_id_thread_id"
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "calendar_chat_links",
        sa.Column("id", BigID, nullable=False),
        sa.Column("source_id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("hours_ahead", sa.Integer(), nullable=False),
        sa.Column("template", sa.Text(), nullable=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["calendar_sources.id"],
            name=op.f("fk_calendar_chat_links_source_id_calendar_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_chat_links")),
        sa.UniqueConstraint(
            "source_id",
            "chat_id",
            "thread_id",
            name="uq_calendar_chat_links_source_id_chat_id_thread_id",
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "calendar_posts",
        sa.Column("id", BigID, nullable=False),
        sa.Column("link_id", BigID, nullable=False),
        sa.Column("event_uid", sa.String(512), nullable=False),
        sa.Column("occurrence_key", sa.String(32), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["calendar_chat_links.id"],
            name=op.f("fk_calendar_posts_link_id_calendar_chat_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_posts")),
        sa.UniqueConstraint(
            "link_id",
            "event_uid",
            "occurrence_key",
            name="uq_calendar_posts_link_id_event_uid_occurrence_key",
        ),
        **NEVER_REUSED,
    )


def downgrade() -> None:
    for table in (
        "calendar_posts",
        "calendar_chat_links",
        "calendar_cards",
        "calendar_rsvps",
        "calendar_reminders",
        "calendar_settings",
        "calendar_occurrences",
        "calendar_events",
        "calendar_sources",
    ):
        op.drop_table(table)
