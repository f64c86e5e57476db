"""an index of the active experts' ids, the pool a panel is drawn from

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTIVE = sa.text("active IS true")


def upgrade() -> None:
    op.create_index("ix_experts_active", "experts", ["id"], postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    op.drop_index("ix_experts_active", table_name="experts")
