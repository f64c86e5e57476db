"""a panel's excluded experts kept once, in its report

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 10:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

panels = sa.table("panels", sa.column("id", sa.Integer), sa.column("excluded", sa.JSON),
                  sa.column("report", sa.JSON))


def upgrade() -> None:
    # Every report has held the same list under "excluded" since panels were first drawn.
    op.drop_column("panels", "excluded")


def downgrade() -> None:
    op.add_column("panels", sa.Column("excluded", sa.JSON(), nullable=False, server_default="[]"))
    connection = op.get_bind()
    for panel_id, report in connection.execute(sa.select(panels.c.id, panels.c.report)).all():
        report = json.loads(report) if isinstance(report, str) else report or {}
        connection.execute(panels.update().where(panels.c.id == panel_id)
                           .values(excluded=report.get("excluded", [])))
    if connection.dialect.name != "sqlite":  # SQLite keeps a column's default
        op.alter_column("panels", "excluded", server_default=None)
