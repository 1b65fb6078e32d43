"""notes: a topic knows its forum, and a topic being created in Telegram is recorded first.

- `notes_topics.chat_id`: the forum a topic lives in. A user who binds another group and comes
  back finds the first group's topics known again, instead of the bot creating them twice; a
  thread id means nothing in another chat, so uniqueness is per (group, chat, thread). Rows
  written before this revision get their group's chat at the time of the upgrade (topics left
  behind by an earlier move were marked deleted then, and stay so).
- `notes_topic_creations`: a forum topic the bot is creating, committed before the call to
  Telegram, so that a crash or a redelivery never creates it twice (see `TopicCreation`).

Revision ID: 0007_topic_creations
Revises: 0006_growth_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_topic_creations"
down_revision: str | None = "0006_growth_indexes"
branch_labels: str | None = None
depends_on: str | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("notes_topics", sa.Column("chat_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE notes_topics SET chat_id = "
        "(SELECT chat_id FROM notes_groups WHERE notes_groups.id = notes_topics.group_id)"
    )
    with op.batch_alter_table("notes_topics") as batch:
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_constraint("uq_notes_topics_group_id_thread_id", type_="unique")
        batch.create_unique_constraint(
            "uq_notes_topics_group_id_chat_id_thread_id", ["group_id", "chat_id", "thread_id"]
        )
    op.create_table(
        "notes_topic_creations",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("group_id", BigID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_key", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempt", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes_topic_creations")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["notes_groups.id"],
            name=op.f("fk_notes_topic_creations_group_id_notes_groups"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "group_id",
            "chat_id",
            "name_key",
            name=op.f("uq_notes_topic_creations_group_id_chat_id_name_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("notes_topic_creations")
    # Before, a group knew the topics of its current chat only: those of chats it left go.
    op.execute(
        "DELETE FROM notes_topics WHERE chat_id <> "
        "(SELECT chat_id FROM notes_groups WHERE notes_groups.id = notes_topics.group_id)"
    )
    with op.batch_alter_table("notes_topics") as batch:
        batch.drop_constraint("uq_notes_topics_group_id_chat_id_thread_id", type_="unique")
        batch.create_unique_constraint(
            "uq_notes_topics_group_id_thread_id", ["group_id", "thread_id"]
        )
        batch.drop_column("chat_id")
