"""an index for the lists of one state sorted by submission date

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 18:45:00
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_applications_state_submitted", "applications", ["state", "submitted_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_applications_state_submitted", table_name="applications")
