"""each expert's open reviews kept as a count, for the load cap of a panel draw

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Invitations and reviews still open, on applications still under review (workflow/panels.py).
COUNT = sa.text(
    "UPDATE experts SET open_reviews = (SELECT count(*) FROM reviews JOIN applications"
    " ON applications.id = reviews.application_id WHERE reviews.expert_id = experts.id"
    " AND reviews.state IN ('invited', 'accepted')"
    " AND applications.state IN ('under_review', 'awaiting_clarification'))"
)


def upgrade() -> None:
    op.add_column("experts", sa.Column("open_reviews", sa.Integer(), nullable=False, server_default="0"))
    op.execute(COUNT)


def downgrade() -> None:
    op.drop_column("experts", "open_reviews")
