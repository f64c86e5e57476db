"""indexes for the bureau's lists and the public directory

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 15:10:00
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_applications_enterprise_state", "applications", ["enterprise_id", "state", "programme_id"]),
    ("ix_applications_submitted_at", "applications", ["submitted_at"]),
    ("ix_applications_updated_at", "applications", ["updated_at"]),
    ("ix_applications_auto_score", "applications", ["auto_score"]),
    ("ix_applications_panel_score", "applications", ["panel_score"]),
    ("ix_enterprises_name", "enterprises", ["name"]),
    ("ix_designations_valid_from", "designations", ["valid_from"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
