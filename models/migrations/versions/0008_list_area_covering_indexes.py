"""each listed application's enterprise and each enterprise's jurisdiction in the lists' indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 19:00:00
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SORTED = {"ix_applications_state_auto_score": "auto_score", "ix_applications_state_panel_score": "panel_score",
          "ix_applications_state_submitted": "submitted_at"}


def upgrade() -> None:
    for name, column in SORTED.items():
        op.drop_index(name, table_name="applications")
        op.create_index(name, "applications", ["state", column, "id", "enterprise_id"])
    op.create_index("ix_enterprises_id_jurisdiction", "enterprises", ["id", "jurisdiction_code"])


def downgrade() -> None:
    op.drop_index("ix_enterprises_id_jurisdiction", table_name="enterprises")
    for name, column in SORTED.items():
        op.drop_index(name, table_name="applications")
        op.create_index(name, "applications", ["state", column, "id"])
