"""the lists sorted by enterprise name read each enterprise's applications from the index alone

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

LISTED = sa.text("state <> 'draft'")
NAME = "ix_applications_listed_enterprise"


def upgrade() -> None:
    op.drop_index(NAME, table_name="applications")
    op.create_index(NAME, "applications", ["enterprise_id", "id", "place_code", "programme_id"],
                    postgresql_where=LISTED, sqlite_where=LISTED)


def downgrade() -> None:
    op.drop_index(NAME, table_name="applications")
    op.create_index(NAME, "applications", ["enterprise_id"], postgresql_where=LISTED, sqlite_where=LISTED)
