"""an index of the open reviews by expert, for the load cap of a panel draw

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 18:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('invited', 'accepted')")


def upgrade() -> None:
    op.create_index("ix_reviews_open_expert", "reviews", ["expert_id", "application_id"],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_reviews_open_expert", table_name="reviews")
