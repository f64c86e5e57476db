"""an index for each conflict rule a panel draw looks experts up by

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UNAVAILABLE = sa.text("unavailable_from IS NOT NULL OR unavailable_until IS NOT NULL")
FORMER = sa.text("CAST(experts.former_employers AS TEXT) <> '[]'")


def upgrade() -> None:
    op.create_index("ix_experts_name", "experts", ["name"])
    op.create_index("ix_experts_open_reviews", "experts", ["open_reviews"])
    op.create_index("ix_experts_unavailable", "experts", ["id"], postgresql_where=UNAVAILABLE,
                    sqlite_where=UNAVAILABLE)
    op.create_index("ix_experts_former_employers", "experts", ["id"], postgresql_where=FORMER, sqlite_where=FORMER)


def downgrade() -> None:
    for name in ("ix_experts_former_employers", "ix_experts_unavailable", "ix_experts_open_reviews",
                 "ix_experts_name"):
        op.drop_index(name, table_name="experts")
