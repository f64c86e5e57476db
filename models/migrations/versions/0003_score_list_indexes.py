"""indexes for the lists of one state sorted by a score, and for counting an area's applications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 16:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_applications_state_auto_score", ["state", "auto_score", "id"]),
    ("ix_applications_state_panel_score", ["state", "panel_score", "id"]),
]


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "applications", columns)
    listed = sa.text("state <> 'draft'")
    op.create_index("ix_applications_listed_enterprise", "applications", ["enterprise_id"],
                    postgresql_where=listed, sqlite_where=listed)


def downgrade() -> None:
    op.drop_index("ix_applications_listed_enterprise", table_name="applications")
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="applications")
