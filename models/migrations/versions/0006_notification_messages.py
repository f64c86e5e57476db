"""the messages of a notification's subject and body, for an inbox in the reader's language

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("messages", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("notifications", "messages")
