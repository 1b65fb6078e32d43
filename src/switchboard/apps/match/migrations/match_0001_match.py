"""match: profiles (place as a grid cell only), swipes, mutual pairs, reports, blocks, and
rounds in groups with their pairs and feedback.

Revision ID: match_0001_match
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "match_0001_match"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = ("match",)
depends_on: str | None = "kernel_0002_kernel"

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)
NEVER_REUSED = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "match_communities",
        sa.Column("id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("group_size", sa.Integer(), nullable=False),
        sa.Column("feedback_after_days", sa.Integer(), nullable=False),
        sa.Column("next_round_at", Timestamp, nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_match_communities"),
        sa.UniqueConstraint("bot_id", "chat_id", name="uq_match_communities_bot_id_chat_id"),
        **NEVER_REUSED,
    )
    op.create_table(
        "match_profiles",
        sa.Column("id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("gender", sa.String(16), nullable=True),
        sa.Column("wants", sa.JSON(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=False),
        sa.Column("age_max", sa.Integer(), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("cell_y", sa.Integer(), nullable=True),
        sa.Column("cell_x", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("place_name", sa.String(128), nullable=False),
        sa.Column("max_distance_km", sa.Integer(), nullable=False),
        sa.Column("paused_until", Timestamp, nullable=True),
        sa.Column("last_active_at", Timestamp, nullable=False),
        sa.Column("nudged_at", Timestamp, nullable=True),
        sa.Column("sleep_warned_at", Timestamp, nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("bot_id", "user_id", name="uq_match_profiles_bot_id_user_id"),
        sa.PrimaryKeyConstraint("id", name="pk_match_profiles"),
        **NEVER_REUSED,
    )
    op.create_index(
        "ix_match_profiles_search", "match_profiles", ["bot_id", "state", "cell_y", "cell_x"]
    )
    op.create_table(
        "match_blocks",
        sa.Column("blocker_id", BigID, nullable=False),
        sa.Column("blocked_id", BigID, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name="pk_match_blocks"),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["match_profiles.id"],
            name="fk_match_blocks_blocked_id_match_profiles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["match_profiles.id"],
            name="fk_match_blocks_blocker_id_match_profiles",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "match_members",
        sa.Column("community_id", BigID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("paused_until", Timestamp, nullable=True),
        sa.Column("joined_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["match_communities.id"],
            name="fk_match_members_community_id_match_communities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "user_id", name="pk_match_members"),
    )
    op.create_table(
        "match_pairs",
        sa.Column("id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("first_id", BigID, nullable=False),
        sa.Column("second_id", BigID, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["match_profiles.id"],
            name="fk_match_pairs_second_id_match_profiles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["match_profiles.id"],
            name="fk_match_pairs_first_id_match_profiles",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("first_id", "second_id", name="uq_match_pairs_first_id_second_id"),
        sa.PrimaryKeyConstraint("id", name="pk_match_pairs"),
        **NEVER_REUSED,
    )
    op.create_table(
        "match_reports",
        sa.Column("id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_id", BigID, nullable=False),
        sa.Column("reported_id", BigID, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["match_profiles.id"],
            name="fk_match_reports_reporter_id_match_profiles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_id"],
            ["match_profiles.id"],
            name="fk_match_reports_reported_id_match_profiles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_match_reports"),
        sa.UniqueConstraint(
            "reporter_id", "reported_id", name="uq_match_reports_reporter_id_reported_id"
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "match_rounds",
        sa.Column("id", BigID, nullable=False),
        sa.Column("community_id", BigID, nullable=False),
        sa.Column("scheduled_for", Timestamp, nullable=False),
        sa.Column("ran_at", Timestamp, nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("odd_user_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_match_rounds"),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["match_communities.id"],
            name="fk_match_rounds_community_id_match_communities",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "community_id", "scheduled_for", name="uq_match_rounds_community_id_scheduled_for"
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "match_swipes",
        sa.Column("viewer_id", BigID, nullable=False),
        sa.Column("shown_id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=True),
        sa.Column("at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["viewer_id"],
            ["match_profiles.id"],
            name="fk_match_swipes_viewer_id_match_profiles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shown_id"],
            ["match_profiles.id"],
            name="fk_match_swipes_shown_id_match_profiles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("viewer_id", "shown_id", name="pk_match_swipes"),
    )
    op.create_index("ix_match_swipes_shown", "match_swipes", ["shown_id", "verdict"])
    op.create_table(
        "match_round_groups",
        sa.Column("id", BigID, nullable=False),
        sa.Column("round_id", BigID, nullable=False),
        sa.Column("community_id", BigID, nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("introduced", sa.Boolean(), nullable=False),
        sa.Column("feedback_asked", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_match_round_groups"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["match_rounds.id"],
            name="fk_match_round_groups_round_id_match_rounds",
            ondelete="CASCADE",
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "match_feedback",
        sa.Column("group_id", BigID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["match_round_groups.id"],
            name="fk_match_feedback_group_id_match_round_groups",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_match_feedback"),
    )


def downgrade() -> None:
    for table in (
        "match_feedback",
        "match_round_groups",
        "match_swipes",
        "match_rounds",
        "match_reports",
        "match_pairs",
        "match_members",
        "match_blocks",
        "match_profiles",
        "match_communities",
    ):
        op.drop_table(table)
