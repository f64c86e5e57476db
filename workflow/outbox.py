"""Effects of state changes: written to the outbox in the same transaction, then relayed.

With Redis the relay puts each item on its RQ queue under a deterministic job id; without
Redis (the embedded default) it performs the item in-process. Either way `perform` runs an
item at most once to completion: it locks the row and returns early when it is done.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import OutboxItem
from models.enums import OutboxState
from workflow.clock import now as utc_now
from workflow.db import unit_of_work

log = logging.getLogger(__name__)

QUEUES = ("evaluations", "certificates", "notifications")
MAX_INLINE_ATTEMPTS = 3
JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # RQ accepts letters, digits, _ and - only


def add(session: Session, function: str, args: list[Any], *, queue: str, key: str) -> OutboxItem:
    """Record a job; the same function and key give the same job id and one row only."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    job_id = JOB_ID_UNSAFE.sub("-", f"{function}-{key}")
    existing = session.scalar(select(OutboxItem).where(OutboxItem.job_id == job_id))
    if existing is not None:
        return existing
    item = OutboxItem(job_id=job_id, queue=queue, function=function, args=args)
    session.add(item)
    return item


def pending_ids(factory: sessionmaker[Session], limit: int = 100) -> list[int]:
    with unit_of_work(factory) as session:
        return list(
            session.scalars(
                select(OutboxItem.id)
                .where(OutboxItem.state == OutboxState.pending)
                .order_by(OutboxItem.id)
                .limit(limit)
            )
        )


def relay(factory: sessionmaker[Session], redis_connection: Any = None, limit: int = 100) -> int:
    """Move pending items on: to RQ when a Redis connection is given, else perform them here."""
    moved = 0
    for item_id in pending_ids(factory, limit):
        if redis_connection is None:
            try:
                perform(item_id)
            except Exception:  # recorded on the row by perform(); the next relay retries
                log.exception("outbox item %s failed", item_id)
                continue
        elif not _enqueue(factory, item_id, redis_connection):
            break
        moved += 1
    return moved


def _enqueue(factory: sessionmaker[Session], item_id: int, redis_connection: Any) -> bool:
    from redis.exceptions import RedisError
    from rq import Queue, Retry

    with unit_of_work(factory) as session:
        item = session.get(OutboxItem, item_id, with_for_update={"skip_locked": True})
        if item is None or item.state is not OutboxState.pending:
            return True
        try:
            Queue(item.queue, connection=redis_connection).enqueue_call(
                "workflow.outbox.perform",
                args=(item.id,),
                job_id=item.job_id,
                retry=Retry(max=3, interval=[5, 30, 120]),
                timeout=300,
                result_ttl=86400,
                failure_ttl=7 * 86400,
            )
        except RedisError as error:
            log.warning("Redis unavailable, outbox item %s stays pending: %s", item_id, error)
            return False
        item.state = OutboxState.relayed
        item.relayed_at = utc_now()
        return True


def perform(item_id: int) -> str:
    """Run one outbox item to completion, once; the job and the 'done' mark commit together."""
    from workflow import jobs, runtime

    factory = runtime.current().factory
    try:
        with unit_of_work(factory) as session:
            item = session.get(OutboxItem, item_id, with_for_update=True)
            if item is None:
                return "missing"
            if item.state is OutboxState.done:
                return "already done"
            result = jobs.REGISTRY[item.function](session, *item.args)
            item.state = OutboxState.done
            item.attempts += 1
            item.done_at = utc_now()
            return str(result)
    except Exception as error:
        with unit_of_work(factory) as session:
            item = session.get(OutboxItem, item_id)
            if item is not None and item.state is not OutboxState.done:
                item.attempts += 1
                item.last_error = f"{type(error).__name__}: {error}"[:2000]
                if item.attempts >= MAX_INLINE_ATTEMPTS and item.state is OutboxState.pending:
                    item.state = OutboxState.failed
        raise
