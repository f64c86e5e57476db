"""Exact totals of the lists (台账 and the public directory), kept in Redis until the listed
records next change.

Counting every matching row of a province's list reads about 42,000 index entries at 100,000
applications (about 15 ms), and a clerk paging through the list asks the same count on every
page. So a total is kept under a key made of the list, the reader's area and the search and
filters, together with the generation of the records it counted. Every commit that changes a
listed record (an application, enterprise, programme, designation, certificate, expert or
jurisdiction) moves the generation on, whichever process commits it: the next page counts
afresh, and nobody sees a total that misses a change already committed, their own included.

The generation is read before counting, so a count that raced with a commit is kept under the
generation that commit has already left behind, and never read again. A total is kept one minute
at most, which bounds what a change made outside the application (SQL by hand, a restore) can
leave unseen. Without Redis, or while Redis does not answer, every total is counted.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from models import Application, Certificate, Designation, Enterprise, Expert, Jurisdiction, Programme
from workflow import runtime

log = logging.getLogger(__name__)

LISTED = (Application, Certificate, Designation, Enterprise, Expert, Jurisdiction, Programme)
LISTED_TABLES = frozenset(model.__table__.name for model in LISTED)
GENERATION = "greencert:totals:generation"
KEPT_SECONDS = 60
# After Redis failed to answer, count without it for this long rather than wait for it each time.
REDIS_RETRY_AFTER = 15.0  # seconds

_CHANGED = "greencert.totals.changed"  # session.info: this transaction changed a listed record
_clients: dict[str, Any] = {}
_down_until = 0.0
_lock = threading.Lock()


def _redis(*, even_if_down: bool = False) -> Any:
    """This process's Redis connection, or None without Redis or, for reading, while it is down."""
    try:
        url = runtime.current().redis_url
    except RuntimeError:
        return None
    if url is None or (time.monotonic() < _down_until and not even_if_down):
        return None
    client = _clients.get(url)
    if client is None:
        from redis import Redis

        with _lock:
            client = _clients.setdefault(url, Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
    return client


def _failed(action: str, error: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + REDIS_RETRY_AFTER
    log.warning("list totals: %s without Redis: %s", action, error)


def key(*parts: Any) -> str:
    """The key of one total: the list, the area it is read in, the search and filters."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"greencert:totals:{digest}"


def total(name: str, count: Callable[[], int]) -> int:
    """The exact total kept under `name` for the current generation, or `count()` kept anew."""
    redis = _redis()
    if redis is None:
        return count()
    try:
        generation, kept = redis.mget(GENERATION, name)
    except Exception as error:  # noqa: BLE001 - any Redis failure: count instead
        _failed("counted", error)
        return count()
    generation = (generation or b"0").decode()
    if kept is not None:
        kept_generation, _, value = kept.decode().partition(":")
        if kept_generation == generation:
            return int(value)
    value = count()
    try:
        redis.set(name, f"{generation}:{value}", ex=KEPT_SECONDS)
    except Exception as error:  # noqa: BLE001
        _failed("not kept", error)
    return value


def _mark(session: Session, rows: Iterable[Any]) -> None:
    if not session.info.get(_CHANGED) and any(isinstance(row, LISTED) for row in rows):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    _mark(session, [*session.new, *session.dirty, *session.deleted])


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    """INSERT, UPDATE or DELETE statements on listed records, which bypass the flush: through the
    models, or on their tables (a transition's versioned UPDATE, workflow.machines.write_changes)."""
    if (state.is_insert or state.is_update or state.is_delete) and (
            getattr(getattr(state.statement, "table", None), "name", None) in LISTED_TABLES
            or any(issubclass(mapper.class_, LISTED) for mapper in state.all_mappers)):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, None):
        moved()


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous: Any) -> None:
    # A rollback to a savepoint keeps the outer transaction's changes; only the whole undoes them.
    if not session.in_transaction():
        session.info.pop(_CHANGED, None)


def moved() -> None:
    """Move the generation on: every kept total is counted afresh at its next reading. Tried
    even while this process reads without Redis: other processes may still be reading from it."""
    redis = _redis(even_if_down=True)
    if redis is None:
        return
    try:
        redis.incr(GENERATION)
    except Exception as error:  # noqa: BLE001 - the totals then expire within KEPT_SECONDS
        log.warning("list totals: generation not moved: %s", error)
