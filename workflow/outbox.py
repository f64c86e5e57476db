"""Effects of state changes: written to the outbox in the same transaction, then relayed.

With Redis the relay puts each item on its RQ queue under a deterministic job id; without
Redis (the embedded default) it performs the item in-process. Either way `perform` runs an
item at most once to completion: it locks the row and returns early when it is done.

A job lost with Redis, or abandoned by a worker that died in the middle of it, is put back on
its queue under the same job id by `recover`, which the scheduler runs every round.

The jobs of `workflow.jobs.BATCHES` (re-evaluating yearly reports) keep one job per item, but
each job takes up to a hundred waiting items of its kind at once (`perform_batch`).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker

from models import OutboxItem
from models.enums import OutboxState
from workflow.clock import now as utc_now
from workflow.db import insert_new, unit_of_work

log = logging.getLogger(__name__)

QUEUES = ("evaluations", "certificates", "notifications")
MAX_INLINE_ATTEMPTS = 3
RETRY_INTERVALS = [5, 30, 120]  # seconds before RQ's 2nd, 3rd and 4th attempt
# How long a relayed item may sit without a worker holding it before `recover` looks at it:
# longer than a worker takes from marking a job started to locking its row.
STALE_AFTER = timedelta(minutes=1)
JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # RQ accepts letters, digits, _ and - only


def add(session: Session, function: str, args: list[Any], *, queue: str, key: str) -> OutboxItem:
    """Record a job; the same function and key give the same job id and one row only.

    The row is inserted at once, unless its job id is recorded already (INSERT ... ON CONFLICT
    DO NOTHING): one round trip, where looking the id up first and inserting at the next flush
    took two. Only when the job id was there already is the existing row read."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    values = {"job_id": JOB_ID_UNSAFE.sub("-", f"{function}-{key}"), "queue": queue, "function": function,
              "args": args, "state": OutboxState.pending, "attempts": 0, "last_error": "", "created_at": utc_now(),
              "relayed_at": None, "done_at": None}
    with session.no_autoflush:
        connection = session.connection()
        item_id = connection.scalar(_insert_new(connection.dialect.name), values)
        if item_id is None:
            return session.scalars(select(OutboxItem).where(OutboxItem.job_id == values["job_id"])).one()
    item = OutboxItem(id=item_id, **values)
    make_transient_to_detached(item)  # the row exists: the session holds it as loaded, not as new
    session.add(item)
    return item


def add_all(session: Session, function: str, jobs: Sequence[tuple[list[Any], str]], *, queue: str) -> int:
    """`add` for several jobs of one function, (args, key) each, in one INSERT ... ON CONFLICT DO
    NOTHING: a job id recorded already keeps its row. The number of jobs that were new."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    if not jobs:
        return 0
    moment = utc_now()
    rows = [{"job_id": JOB_ID_UNSAFE.sub("-", f"{function}-{key}"), "queue": queue, "function": function,
             "args": args, "state": OutboxState.pending, "attempts": 0, "last_error": "", "created_at": moment,
             "relayed_at": None, "done_at": None} for args, key in jobs]
    connection = session.connection()
    return len(connection.execute(_insert_new(connection.dialect.name), rows).all())


def _insert_new(dialect_name: str) -> Any:
    return insert_new(dialect_name, OutboxItem.__table__, ("job_id",), ("id",))


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


def relay(factory: sessionmaker[Session], redis_connection: Any = None, limit: int = 100, *,
          on_redis_error: Callable[[Exception], None] | None = None) -> int:
    """Move pending items on: to RQ when a Redis connection is given, else perform them here.

    When Redis does not answer, the items stay pending for the next relay and `on_redis_error`
    hears of it."""
    if redis_connection is not None:
        return _enqueue_pending(factory, pending_ids(factory, limit), redis_connection, on_redis_error)
    moved = 0
    for item_id in pending_ids(factory, limit):
        try:
            perform(item_id)
        except Exception:  # recorded on the row by perform(); the next relay retries
            log.exception("outbox item %s failed", item_id)
            continue
        moved += 1
    return moved


RELAY_BATCH = 100  # items put on their queues in one Redis round trip and one transaction


def _enqueue_pending(factory: sessionmaker[Session], item_ids: list[int], redis_connection: Any,
                     on_redis_error: Callable[[Exception], None] | None) -> int:
    """Put items on RQ a batch at a time: one pipeline and one commit per batch. A batch Redis
    refuses stays pending, with every later one, for the next relay."""
    from redis.exceptions import RedisError

    moved = 0
    for start in range(0, len(item_ids), RELAY_BATCH):
        batch = item_ids[start:start + RELAY_BATCH]
        try:
            moved += _enqueue(factory, batch, redis_connection)
        except RedisError as error:
            log.warning("Redis unavailable, outbox items from %s on stay pending: %s", batch[0], error)
            if on_redis_error is not None:
                on_redis_error(error)
            break
    return moved


def _enqueue(factory: sessionmaker[Session], item_ids: list[int], redis_connection: Any) -> int:
    """Lock the batch's items still pending (skipping any another relay holds), put them on
    their queues in one pipeline, and mark them relayed in the same transaction."""
    with unit_of_work(factory) as session:
        items = list(session.scalars(
            select(OutboxItem)
            .where(OutboxItem.id.in_(item_ids), OutboxItem.state == OutboxState.pending)
            .order_by(OutboxItem.id)
            .with_for_update(skip_locked=True)
        ))
        if not items:
            return 0
        _put(items, redis_connection)
        moment = utc_now()
        for item in items:
            item.state = OutboxState.relayed
            item.relayed_at = moment
        return len(items)


def _put(items: list[OutboxItem], redis_connection: Any) -> None:
    """Enqueue each item under its own job id, all in one Redis transaction."""
    from rq import Queue, Retry

    from workflow import jobs

    by_queue: dict[str, list[OutboxItem]] = {}
    for item in items:
        by_queue.setdefault(item.queue, []).append(item)
    with redis_connection.pipeline() as pipeline:
        for name, queued in by_queue.items():
            Queue(name, connection=redis_connection).enqueue_many(
                [Queue.prepare_data(
                    "workflow.outbox.perform_batch" if item.function in jobs.BATCHES else "workflow.outbox.perform",
                    args=(item.id,),
                    job_id=item.job_id,
                    retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                    timeout=300,
                    result_ttl=86400,
                    failure_ttl=7 * 86400,
                ) for item in queued],
                pipeline=pipeline,
            )
        pipeline.execute()


def recover(factory: sessionmaker[Session], redis_connection: Any, *, stale_after: timedelta = STALE_AFTER,
            now: datetime | None = None, limit: int = 100) -> int:
    """Put relayed items whose job was lost or abandoned back on their queue, under the same id.

    A running job holds its outbox row locked from start to commit (`perform`), so a relayed row
    nobody holds, relayed more than `stale_after` ago, is still waiting in the queue or was lost:
    with Redis (no such job), or with a worker that died mid-job (started, silent since, or failed
    as abandoned). Running it again is safe: `perform` returns early once the item is done. An item
    whose job itself raised on every attempt is marked failed instead, for someone to look at.
    """
    from redis.exceptions import RedisError

    cutoff = (now or utc_now()) - stale_after
    with unit_of_work(factory) as session:
        candidates = list(session.scalars(
            select(OutboxItem.id)
            .where(OutboxItem.state == OutboxState.relayed, OutboxItem.relayed_at < cutoff)
            .order_by(OutboxItem.id)
            .limit(limit)
        ))
    recovered = 0
    for item_id in candidates:
        try:
            recovered += _recover_one(factory, item_id, redis_connection, cutoff)
        except RedisError as error:
            log.warning("Redis unavailable, outbox recovery stops at item %s: %s", item_id, error)
            break
    return recovered


def _recover_one(factory: sessionmaker[Session], item_id: int, redis_connection: Any, cutoff: datetime) -> int:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    with unit_of_work(factory) as session:
        item = session.get(OutboxItem, item_id, with_for_update={"skip_locked": True})
        if item is None or item.state is not OutboxState.relayed:
            return 0  # a worker holds it, or it finished meanwhile
        try:
            job: Job | None = Job.fetch(item.job_id, connection=redis_connection)
        except NoSuchJobError:
            job = None
        if job is None:
            reason = "job lost from Redis"
        else:
            status = job.get_status()
            if status == JobStatus.STARTED and _silent_since(job, cutoff):
                reason = "worker died during the job"
            elif status == JobStatus.FAILED and item.attempts <= len(RETRY_INTERVALS):
                reason = "job abandoned"  # failed without raising each time: its workers died
            elif status == JobStatus.FAILED:
                item.state = OutboxState.failed
                log.error("outbox item %s failed on every attempt: %s", item.id, item.last_error)
                return 0
            else:
                return 0  # queued, scheduled for a retry, finished or stopped on purpose
            job.delete()
        _put([item], redis_connection)
        item.relayed_at = utc_now()
        log.warning("outbox item %s (%s) queued again: %s", item.id, item.job_id, reason)
        return 1


def _silent_since(job: Any, cutoff: datetime) -> bool:
    moments = [moment for moment in (job.last_heartbeat, job.started_at) if moment is not None]
    return not moments or max(_aware(moment) for moment in moments) < cutoff


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


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
            _mark_done([item], utc_now())
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


def _mark_done(items: list[OutboxItem], moment: datetime) -> None:
    """Items whose job has run: committed together with what the job did."""
    for item in items:
        item.state = OutboxState.done
        item.attempts += 1
        item.done_at = moment


BATCH_SIZE = 100  # items of one kind a batched job takes at most


class BatchLeaderFailed(Exception):
    """The item a batched job was started for failed in its batch; it runs again alone."""


def perform_batch(item_id: int) -> str:
    """Run the item and up to BATCH_SIZE - 1 other waiting items of the same kind (one of
    `jobs.BATCHES`) in one transaction: one read of them all, one write of their results, and
    their 'done' marks in the same commit, so each still runs exactly once.

    The others are taken newest first and only when no one else holds them (SKIP LOCKED): a
    worker starting on the oldest jobs of the queue seldom meets a row another batch holds, and
    their own jobs, left in the queue, are dropped from Redis once the batch has committed (RQ
    passes over a queued id without its job). If the batch fails, the item runs alone as in
    `perform`, and the others wait for their own jobs."""
    from workflow import jobs, runtime

    factory = runtime.current().factory
    try:
        with unit_of_work(factory) as session:
            leader = session.get(OutboxItem, item_id, with_for_update=True)
            if leader is None:
                return "missing"
            if leader.state is OutboxState.done:
                return "already done"
            items = [leader, *session.scalars(
                select(OutboxItem)
                .where(OutboxItem.function == leader.function, OutboxItem.id != leader.id,
                       OutboxItem.state.in_([OutboxState.pending, OutboxState.relayed]))
                .order_by(OutboxItem.id.desc())
                .limit(BATCH_SIZE - 1)
                .with_for_update(skip_locked=True))]
            outcomes = jobs.BATCHES[leader.function](session, [item.args for item in items])
            done = [item for item, outcome in zip(items, outcomes) if outcome is not None]
            _mark_done(done, utc_now())
            if leader not in done:  # the leader's own evaluation failed: run it alone, to record why
                raise BatchLeaderFailed(item_id)
            done_job_ids = [item.job_id for item in done if item is not leader]
            result = str(outcomes[0])
    except BatchLeaderFailed:
        return perform(item_id)
    except Exception:
        log.exception("outbox batch led by item %s failed; the item runs alone", item_id)
        return perform(item_id)
    _drop_jobs(done_job_ids)
    return result


def _drop_jobs(job_ids: list[str]) -> None:
    """Delete the queued jobs of items a batch has done, so that workers pass over them; if this
    fails, the jobs run and find their items done."""
    from redis.exceptions import RedisError
    from rq import get_current_job
    from rq.job import Job

    current = get_current_job()
    if current is None or not job_ids:
        return
    try:
        current.connection.delete(*[Job.key_for(job_id) for job_id in job_ids])
    except RedisError as error:
        log.warning("could not drop the jobs of %d items done in a batch: %s", len(job_ids), error)
