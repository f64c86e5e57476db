"""each application keeps its enterprise's jurisdiction, for the lists' area filter

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

LISTED = sa.text("state <> 'draft'")
SORTED = {"ix_applications_state_auto_score": "auto_score", "ix_applications_state_panel_score": "panel_score",
          "ix_applications_state_submitted": "submitted_at"}


# On SQLite the table is built anew to change a column, with foreign keys off (models.schema.migrate).
def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("place_code", sa.String(6), nullable=True))
    op.execute("UPDATE applications SET place_code = (SELECT enterprises.jurisdiction_code FROM enterprises "
               "WHERE enterprises.id = applications.enterprise_id)")
    with op.batch_alter_table("applications") as batch:
        batch.alter_column("place_code", existing_type=sa.String(6), nullable=False)
        batch.create_foreign_key("fk_applications_place_code_jurisdictions", "jurisdictions", ["place_code"], ["code"])
    for name, column in SORTED.items():
        op.drop_index(name, table_name="applications")
        op.create_index(name, "applications", ["state", column, "id", "place_code"])
    op.create_index("ix_applications_listed_id_place", "applications", ["id", "place_code"],
                    postgresql_where=LISTED, sqlite_where=LISTED)


def downgrade() -> None:
    op.drop_index("ix_applications_listed_id_place", table_name="applications")
    for name, column in SORTED.items():
        op.drop_index(name, table_name="applications")
        op.create_index(name, "applications", ["state", column, "id", "enterprise_id"])
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint("fk_applications_place_code_jurisdictions", type_="foreignkey")
        batch.drop_column("place_code")
