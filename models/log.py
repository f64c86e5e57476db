"""The append-only records: state transitions, audit events and the outbox of effects.

The transition log and the audit log are hash chains: every row stores the hash of the row
before it (`prev_hash`) and its own `hash`, the SHA-256 of a canonical JSON of its content
together with `prev_hash`. A changed, inserted or deleted row breaks the chain at that row
(`greencert audit verify`). The hashes are computed under one lock as the rows are written: by
`append_row` for the rows the state machines write at once (on PostgreSQL by a function in the
database, migration 0013), and when a session flushes new rows for any other, so no writer can
add a row that skips the chain.
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, Table, Text, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.enums import OutboxState
from models.people import User

GENESIS = "0" * 64  # the prev_hash of the first row of a chain


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return value


def _document(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(fields: tuple[str, ...], values: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of the content and prev_hash."""
    content = {name: _canonical(values[name]) for name in fields}
    content["prev_hash"] = prev_hash
    return hashlib.sha256(_document(content).encode("utf-8")).hexdigest()


def chain_halves(fields: tuple[str, ...], values: Mapping[str, Any]) -> tuple[str, str]:
    """The canonical document of `chain_hash` in two halves around the value of prev_hash, for
    the database to join with the tail it reads under the lock: before + prev_hash + after is
    the document (a hash has only hexadecimal digits, which JSON writes as they are)."""
    content = {name: _canonical(values[name]) for name in fields}
    lower = {name: value for name, value in content.items() if name < "prev_hash"}
    upper = {name: value for name, value in content.items() if name > "prev_hash"}
    before = (_document(lower)[:-1] + "," if lower else "{") + '"prev_hash":"'
    after = '"' + ("," + _document(upper)[1:] if upper else "}")
    return before, after


class Chained:
    """A row of a hash chain. `prev_hash` is unique, so the chain can never fork."""

    chain_fields: ClassVar[tuple[str, ...]]
    chain_defaults: ClassVar[dict[str, Any]]
    append_function: ClassVar[str | None] = None  # PostgreSQL's one-call append (`append_row`)

    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))

    def seal(self, prev_hash: str) -> str:
        for name, default in self.chain_defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, default() if callable(default) else default)
        self.prev_hash = prev_hash
        self.hash = chain_hash(self.chain_fields, {f: getattr(self, f) for f in self.chain_fields}, prev_hash)
        return self.hash


class TransitionLog(Chained, Base):
    """One row per state change, written by the state machine itself; never updated or deleted."""

    __tablename__ = "transition_log"
    __table_args__ = (Index("ix_transition_log_entity", "entity", "entity_id"),)
    chain_fields: ClassVar[tuple[str, ...]] = (
        "entity", "entity_id", "trigger", "from_state", "to_state", "actor_id", "actor_label", "reason",
        "details", "at")
    chain_defaults: ClassVar[dict[str, Any]] = {"reason": "", "details": dict, "at": utcnow}
    append_function: ClassVar[str | None] = "transition_log_append"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class AuditEvent(Chained, Base):
    """Events a bureau must be able to account for beside the transitions: logins, failed logins,
    lock-outs, token changes, password resets, and every step of an expert review (invitations,
    acceptances, declines, replacements, reviews, clarifications, discussions)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject_at", "subject", "at"),
                      Index("ix_audit_events_client_address_at", "client_address", "at"))
    chain_fields: ClassVar[tuple[str, ...]] = ("event", "user_id", "subject", "client_address", "details", "at")
    chain_defaults: ClassVar[dict[str, Any]] = {"subject": "", "client_address": "", "details": dict, "at": utcnow}

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")  # the client's IP address
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


CHAINS: tuple[type[TransitionLog | AuditEvent], ...] = (TransitionLog, AuditEvent)


def chain_tail(connection: Any, table: Table) -> str:
    last = connection.scalar(_tail_query(table))
    return last or GENESIS


@functools.cache
def _tail_query(table: Table) -> Any:
    return select(table.c.hash).order_by(table.c.id.desc()).limit(1)


LOCK_SQL = "SELECT pg_advisory_xact_lock('transition_log'::regclass::oid::bigint)"


def lock_chains(connection: Any) -> None:
    """Serialize writers of the chains until the transaction ends.

    PostgreSQL: one transaction-level advisory lock for both chains (one lock, so two writers
    never wait on each other in opposite orders), keyed by the transition log's table OID so
    that databases in different schemas do not share it. SQLite allows one writer at a time
    already (BEGIN IMMEDIATE, workflow/db.py).
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(LOCK_SQL)


def locked_tail(connection: Any, table: Table) -> str:
    """Take the chains' lock (`lock_chains`) and read the chain's last hash under it.

    On PostgreSQL both go to the server as one query of two statements, one round trip: under
    READ COMMITTED each statement of such a query takes its own snapshot, so the read, coming
    after the lock is granted, sees every row the previous holder committed."""
    if connection.dialect.name != "postgresql":
        return chain_tail(connection, table)
    result = connection.exec_driver_sql(f"{LOCK_SQL}; SELECT hash FROM {table.name} ORDER BY id DESC LIMIT 1")
    try:
        cursor = result.cursor
        cursor.nextset()
        last = cursor.fetchone()
    finally:
        result.close()
    return last[0] if last else GENESIS


def append_row(session: Session, model: type[Chained], values: dict[str, Any]) -> str:
    """Write one row of a chain at once, sealed onto the chain's tail under the lock: one INSERT
    and no object for the flush to track. The state machines write their log rows so.

    On PostgreSQL a chain with a function of its own (`append_function`, migration 0013) is
    written by one call of it, one round trip: it takes the lock, reads the tail, hashes the
    document the caller sent around it and inserts the row."""
    row = {name: default() if callable(default) else default
           for name, default in model.chain_defaults.items() if values.get(name) is None}
    row.update((name, value) for name, value in values.items() if value is not None or name not in row)
    connection = session.connection()
    if model.append_function and connection.dialect.name == "postgresql":
        sql, conversions = _append_call(model, connection.dialect)
        before, after = chain_halves(model.chain_fields, row)
        arguments = [convert(row[key]) if convert else row[key] for key, convert in conversions]
        return connection.exec_driver_sql(sql, (*arguments, before, after)).scalar_one()
    row["prev_hash"] = locked_tail(connection, model.__table__)
    row["hash"] = chain_hash(model.chain_fields, row, row["prev_hash"])
    sql, conversions = _insert(model.__table__, connection.dialect)
    connection.exec_driver_sql(sql, tuple(convert(row[key]) if convert else row[key] for key, convert in conversions))
    return row["hash"]


@functools.cache
def _insert(table: Table, dialect: Any) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The INSERT of a whole row (all but the id), compiled once for the dialect with positional
    parameters, and each column's conversion of its value (JSON, aware timestamps). Executed as it
    stands, it spares each log row the cache look-up and the parameter handling of a statement."""
    keys = [column.key for column in table.columns if not column.primary_key]
    # compiled as for many rows: without a RETURNING of the id, which nothing reads
    compiled = table.insert().compile(dialect=dialect, column_keys=keys, for_executemany=True)
    if dialect.paramstyle == "pyformat":  # psycopg: %(name)s → %s, in the order of the columns
        sql, order = compiled.string % {key: "%s" for key in keys}, keys
    else:
        sql, order = compiled.string, list(compiled.positiontup or keys)
    return sql, tuple((key, table.columns[key].type.dialect_impl(dialect).bind_processor(dialect)) for key in order)


@functools.cache
def _append_call(model: type[Chained], dialect: Any) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The call of the chain's append function, whose parameters are the content fields in the
    order of `chain_fields`, then the document's halves; with each field's conversion (as
    `_insert` converts it)."""
    converting = dict(_insert(model.__table__, dialect)[1])
    fields = tuple((key, converting[key]) for key in model.chain_fields)
    placeholders = ", ".join(["%s"] * (len(fields) + 2))
    return f"SELECT {model.append_function}({placeholders})", fields


@event.listens_for(Session, "before_flush")
def _seal_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    new = [row for row in session.new if isinstance(row, Chained)]
    if not new:
        return
    connection = session.connection()
    locked = False
    for model in CHAINS:
        rows = sorted((r for r in new if isinstance(r, model)), key=lambda r: inspect(r).insert_order)
        if not rows:
            continue
        prev = chain_tail(connection, model.__table__) if locked else locked_tail(connection, model.__table__)
        locked = True
        for row in rows:
            prev = row.seal(prev)


class OutboxItem(Base):
    """A job caused by a state change, written in the same transaction and relayed to a queue."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(120), unique=True)
    queue: Mapped[str] = mapped_column(String(32))
    function: Mapped[str] = mapped_column(String(120))
    args: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, "outbox_state"), default=OutboxState.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    relayed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
