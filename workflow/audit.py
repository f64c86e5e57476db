"""The audit log (安全审计记录) and the check of the two hash chains.

GB/T 22239-2019 8.1.4.3 requires security audit records that are protected against
unexpected deletion, modification or overwriting; the chains (models/log.py) make any such
change visible, and `verify` finds the first row where a chain breaks.

Besides security events, the log holds every step of an expert review that is not a state of
the application itself (those are in the transition log): invitation sent, accepted, declined,
expired or withdrawn, replacement drawn, review submitted, clarification requested and
answered, panel discussion opened and closed. Their subject is "application-<id>".
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, User
from models.log import CHAINS, GENESIS, chain_hash, locked_tail


def record(session: Session, event: str, now: datetime, *, user: User | None = None,
           subject: str = "", client: str = "", details: dict[str, Any] | None = None) -> AuditEvent:
    """Add one audit event; its place in the chain is fixed when the session flushes."""
    row = AuditEvent(event=event, user_id=user.id if user is not None else None, subject=subject[:200],
                     client_address=client[:64], details=details or {}, at=now)
    session.add(row)
    return row


def review_event(session: Session, event: str, review: Any, now: datetime, *, actor: Any = None,
                 **details: Any) -> AuditEvent:
    """A step of one expert's review (评审过程记录), e.g. `invitation_accepted`."""
    return application_event(session, event, review.application_id, now, actor=actor, review_id=review.id,
                             label=review.label, expert_id=review.expert_id, **details)


def review_events(session: Session, steps: Sequence[tuple[str, Any, dict[str, Any]]], now: datetime) -> None:
    """Several steps of expert reviews, (event, review, details) each, as `review_event` records
    them, written at once: sealed onto the chain under its lock and inserted together, with no
    objects for the flush to track."""
    if not steps:
        return
    table = AuditEvent.__table__
    connection = session.connection()
    previous = locked_tail(connection, table)
    rows = []
    for event, review, details in steps:
        row = {"event": event, "user_id": None, "subject": f"application-{review.application_id}",
               "client_address": "", "at": now,
               "details": {"review_id": review.id, "label": review.label, "expert_id": review.expert_id, **details}}
        row["prev_hash"] = previous
        row["hash"] = previous = chain_hash(AuditEvent.chain_fields, row, previous)
        rows.append(row)
    connection.execute(table.insert(), rows)


def application_event(session: Session, event: str, application_id: int, now: datetime, *,
                      actor: Any = None, **details: Any) -> AuditEvent:
    """A step of an application's review that is not a transition, e.g. `discussion_opened`."""
    return record(session, event, now, user=actor if isinstance(actor, User) else None,
                  subject=f"application-{application_id}", details=details)


@dataclass(frozen=True)
class ChainBreak:
    row_id: int
    problem: str  # changed | inserted | deleted
    message: str


@dataclass(frozen=True)
class ChainReport:
    table: str
    rows: int
    head: str  # the hash of the last row: note it down to notice a later truncation
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(session: Session) -> list[ChainReport]:
    """Recompute both chains row by row, in id order; report the first break of each."""
    return [_verify_chain(session, model) for model in CHAINS]


def _verify_chain(session: Session, model: Any) -> ChainReport:
    table = model.__table__
    result = session.execute(select(table).order_by(table.c.id).execution_options(yield_per=1000))
    try:
        return _walk(model.__tablename__, model.chain_fields, iter(result.mappings()))
    finally:
        result.close()


def _walk(table: str, fields: tuple[str, ...], rows: Iterator[Any]) -> ChainReport:
    expected, previous_id, count = GENESIS, None, 0
    row = next(rows, None)
    while row is not None:
        following = next(rows, None)
        count += 1
        content_intact = chain_hash(fields, row, row["prev_hash"]) == row["hash"]
        linked = row["prev_hash"] == expected
        if not (content_intact and linked):
            return ChainReport(table, count, expected,
                               _diagnose(row, following, expected, previous_id, content_intact, linked))
        expected, previous_id, row = row["hash"], row["id"], following
    return ChainReport(table, count, expected, None)


def _diagnose(row: Any, following: Any, expected: str, previous_id: int | None,
              content_intact: bool, linked: bool) -> ChainBreak:
    where = f"after row {previous_id}" if previous_id is not None else "at the start of the chain"
    if linked:
        return ChainBreak(row["id"], "changed",
                          f"row {row['id']} was changed: its content no longer matches its hash")
    if following is not None and following["prev_hash"] == expected:
        return ChainBreak(row["id"], "inserted",
                          f"row {row['id']} was inserted: the chain goes on from {where} to row {following['id']}")
    if content_intact:
        return ChainBreak(row["id"], "deleted",
                          f"rows are missing before row {row['id']} ({where}): deleted, "
                          "or the row before it was changed and re-hashed")
    return ChainBreak(row["id"], "inserted",
                      f"row {row['id']} was inserted: it does not continue the chain {where} "
                      "and its hash does not match its content")
