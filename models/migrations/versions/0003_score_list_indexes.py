"""indexes for the lists sorted highest first, records without a value last

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 16:45:00
"""
from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_applications_auto_score_desc", "auto_score"),
    ("ix_applications_panel_score_desc", "panel_score"),
    ("ix_applications_submitted_at_desc", "submitted_at"),
]


def upgrade() -> None:
    for name, column in INDEXES:
        op.create_index(name, "applications", [text(f"{column} DESC NULLS LAST"), text("id DESC")])


def downgrade() -> None:
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="applications")
