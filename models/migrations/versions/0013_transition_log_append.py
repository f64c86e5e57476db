"""a transition's log row written by one call on PostgreSQL: lock, tail, hash and insert

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 10:00:00
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The caller sends the row and its canonical JSON document in two halves around the value of
# "prev_hash" (models.log.chain_halves). Each statement of a VOLATILE function takes a fresh
# snapshot, so the tail is read after the lock is granted and sees every row committed before.
# The lock is the chains' lock of models.log (LOCK_SQL): one key for both chains.
CREATE = """
CREATE OR REPLACE FUNCTION transition_log_append(
    p_entity text, p_entity_id integer, p_trigger text, p_from_state text, p_to_state text,
    p_actor_id integer, p_actor_label text, p_reason text, p_details json, p_at timestamptz,
    p_before text, p_after text)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    previous text;
    digest text;
BEGIN
    PERFORM pg_advisory_xact_lock('transition_log'::regclass::oid::bigint);
    SELECT hash INTO previous FROM transition_log ORDER BY id DESC LIMIT 1;
    previous := coalesce(previous, repeat('0', 64));
    digest := encode(sha256(convert_to(p_before || previous || p_after, 'UTF8')), 'hex');
    INSERT INTO transition_log (entity, entity_id, trigger, from_state, to_state, actor_id, actor_label,
                                reason, details, at, prev_hash, hash)
    VALUES (p_entity, p_entity_id, p_trigger, p_from_state, p_to_state, p_actor_id, p_actor_label,
            p_reason, p_details, p_at, previous, digest);
    RETURN digest;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS transition_log_append(text, integer, text, text, text, integer, text, "
                   "text, json, timestamptz, text, text)")
