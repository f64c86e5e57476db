"""Which relayed jobs the scheduler puts back on their queue, against the real PostgreSQL and a
Redis of the test's own: those Redis lost (restarted without persistence) or that failed for
want of a worker, never one a worker holds, one still waiting, or one that raised every time."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import OutboxItem
from models.enums import OutboxState
from tests.faults.conftest import RedisServer, Stack
from workflow import outbox
from workflow.clock import now

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_only_lost_and_abandoned_jobs_are_queued_again(stack: Stack, redis_server: RedisServer) -> None:
    from rq import Queue
    from rq.job import Job, JobStatus

    redis = redis_server.connection()
    names = ["lost", "held", "waiting", "abandoned", "raised", "fresh"]
    with stack.factory() as session:
        items = {name: outbox.add(session, "evaluate_report", [index], queue="evaluations", key=name)
                 for index, name in enumerate(names)}
        session.commit()
        ids = {name: item.id for name, item in items.items()}
    assert outbox.relay(stack.factory, redis) == len(names)

    redis.delete(Job.key_for(items["lost"].job_id))  # Redis restarted without its data
    redis.lrem(Queue("evaluations", connection=redis).key, 0, items["lost"].job_id)
    Job.fetch(items["held"].job_id, connection=redis).delete()  # lost too, but a worker holds the row
    for name in ("abandoned", "raised"):
        Job.fetch(items[name].job_id, connection=redis).set_status(JobStatus.FAILED)
    with stack.factory() as session:
        session.get(OutboxItem, ids["raised"]).attempts = 1 + len(outbox.RETRY_INTERVALS)
        for name in names:
            if name != "fresh":
                session.get(OutboxItem, ids[name]).relayed_at = now() - 2 * outbox.STALE_AFTER
        session.commit()

    with stack.factory() as holder:
        holder.get(OutboxItem, ids["held"], with_for_update=True)
        assert outbox.recover(stack.factory, redis) == 2
        holder.rollback()

    queued = Queue("evaluations", connection=redis).get_job_ids()
    with stack.factory() as session:
        state = {name: session.get(OutboxItem, ids[name]).state for name in names}
    assert state == {**{name: OutboxState.relayed for name in names}, "raised": OutboxState.failed}
    for name in ("lost", "abandoned"):  # back under the same id, so nothing can run twice
        assert Job.fetch(items[name].job_id, connection=redis).get_status() == JobStatus.QUEUED
        assert queued.count(items[name].job_id) == 1
    assert queued.count(items["waiting"].job_id) == 1
    assert items["held"].job_id not in queued
    assert Job.fetch(items["raised"].job_id, connection=redis).get_status() == JobStatus.FAILED

    # the held row is looked at again once its holder is gone; the rest stay as they are
    assert outbox.recover(stack.factory, redis, now=now() + timedelta(seconds=1)) == 1
    assert Queue("evaluations", connection=redis).get_job_ids().count(items["held"].job_id) == 1
    with stack.factory() as session:
        assert session.scalars(select(OutboxItem.state).where(OutboxItem.state != OutboxState.relayed)).all() == [
            OutboxState.failed]
