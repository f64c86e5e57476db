"""Jobs through the real stack: outbox → Redis → a real `greencert worker` process → PostgreSQL.

Every effect happens exactly once: relaying an item twice, or running its job twice, leaves one
evaluation and one certificate."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Certificate, OutboxItem
from models.security import SentEmail
from models.enums import ApplicationState as S
from models.enums import CertificateStatus, OutboxState
from tests.builders import after_notice, application_in, user
from tests.conftest import PG_URL, REDIS_URL, drop_postgres_schema, new_postgres_schema, seeded, unavailable
from workflow import applications, outbox, runtime
from workflow.actors import SYSTEM
from workflow.db import session_factory
from workflow.storage import LocalStorage

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


@pytest.fixture
def redis_connection() -> Iterator[Any]:
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as error:
        unavailable("Redis", str(error))
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def stack(tmp_path: Path, redis_connection: Any) -> Iterator[dict[str, Any]]:
    engine, schema = new_postgres_schema()
    seeded(engine)
    factory = session_factory(engine)
    storage = tmp_path / "files"
    runtime.configure(runtime.Runtime(factory=factory, storage=LocalStorage(storage),
                                      base_url="http://greencert.test", redis_url=REDIS_URL))
    separator = "&" if "?" in PG_URL else "?"
    env = {**os.environ, "DATABASE_URL": f"{PG_URL}{separator}options=-csearch_path%3D{schema}",
           "REDIS_URL": REDIS_URL, "STORAGE_DIR": str(storage), "BASE_URL": "http://greencert.test",
           "GREENCERT_INSTANCE": str(tmp_path / "instance")}
    yield {"factory": factory, "env": env, "redis": redis_connection, "storage": storage}
    engine.dispose()
    drop_postgres_schema(schema)


def run_worker(env: dict[str, str], *options: str) -> None:
    greencert = Path(sys.executable).parent / "greencert"
    done = subprocess.run([str(greencert), "worker", "--burst", *options], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


# The e-mails of the accepted application: the county told of the submission, both city clerks
# of the recommendation; then the evaluation asks both clerks to draw the panel.
EMAILS = 3
DRAW_EMAILS = [("send_email", OutboxState.pending)] * 2


def accepted(factory: Any) -> int:
    """An application the city has just accepted: its evaluation and e-mails wait in the outbox."""
    with factory() as session:
        app = application_in(session, S.submitted, NOW)
        applications.act(session, user(session, "qt_county"), app, "recommend", NOW)
        applications.act(session, user(session, "hz_city"), app, "accept", NOW)
        session.commit()
        return app.id


def test_evaluation_and_certificate_jobs_run_once_on_a_real_worker(stack) -> None:
    factory = stack["factory"]
    app_id = accepted(factory)
    assert outbox.relay(factory, stack["redis"]) == 1 + EMAILS
    assert outbox.relay(factory, stack["redis"]) == 0  # relayed items are not sent again
    run_worker(stack["env"])
    with factory() as session:
        app = session.get(applications.Application, app_id)
        assert app.state is S.under_review
        assert app.evaluation["eligible"] is True
        items = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        assert [(i.function, i.state) for i in items] == (
            [("send_email", OutboxState.done)] * EMAILS + [("evaluate_application", OutboxState.done)]
            + DRAW_EMAILS)
        assert sorted(session.scalars(select(SentEmail.recipient))) == [
            "hz_city2@example.gov.cn", "hz_city@example.gov.cn", "qt_county@example.gov.cn"]

        from tests.builders import review_all

        review_all(session, app, NOW)
        applications.act(session, user(session, "hz_city"), app, "approve_for_notice", NOW)
        applications.act(session, SYSTEM, app, "close_notice", after_notice(app))
        session.commit()

    # Relay the certificate job twice over, as after a crash between enqueue and the mark.
    outbox.relay(factory, stack["redis"])
    with factory() as session:
        for item in session.scalars(select(OutboxItem)).all():
            if item.function == "render_certificate":
                item.state = OutboxState.pending
        session.commit()
    outbox.relay(factory, stack["redis"])
    run_worker(stack["env"])
    run_worker(stack["env"])

    with factory() as session:
        certificates = session.scalars(select(Certificate)).all()
        assert len(certificates) == 1
        certificate = certificates[0]
        assert certificate.status is CertificateStatus.issued
        pdf = (stack["storage"] / certificate.pdf_path).read_bytes()
        assert pdf.startswith(b"%PDF")
    # The certificate job's own e-mail (证书已签发) goes out on the next relay, once.
    outbox.relay(factory, stack["redis"])
    run_worker(stack["env"])
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)
                              .where(OutboxItem.state != OutboxState.done)) == 0
        issued = session.scalars(select(SentEmail.subject).where(SentEmail.subject.contains("证书已签发"))).all()
        assert issued == [f"【绿色低碳认定系统】证书已签发：{certificate.number}"]


def test_outbox_items_wait_while_redis_is_down(stack) -> None:
    from redis import Redis

    factory = stack["factory"]
    accepted(factory)
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    assert outbox.relay(factory, unreachable) == 0
    with Session(bind=factory.kw["bind"]) as session:
        assert session.scalars(select(OutboxItem.state)).all() == [OutboxState.pending] * (1 + EMAILS)
    assert outbox.relay(factory, stack["redis"]) == 1 + EMAILS
    run_worker(stack["env"])
    with factory() as session:
        states = session.scalars(select(OutboxItem.state).order_by(OutboxItem.id)).all()
        assert states == [OutboxState.done] * (1 + EMAILS) + [state for _, state in DRAW_EMAILS]


def test_a_simple_worker_re_evaluates_many_reports_in_one_job_and_drops_the_jobs_it_made_redundant(stack) -> None:
    from rq import Queue
    from rq.job import Job

    from evaluators.examples import example_document
    from models import YearlyReport
    from models.enums import DesignationState, ReportState
    from tests.builders import designation_in
    from workflow import reports
    from workflow.clock import CHINA

    factory = stack["factory"]
    with factory() as session:
        designation = designation_in(session, DesignationState.active, NOW)
        filed = [reports.file(session, user(session, "qt_newmat"), designation, year,
                              example_document("factory-gbt36132-2018", "pass"), datetime(2029, 3, 1, tzinfo=CHINA)).id
                 for year in (2026, 2027, 2028)]
        for other in session.scalars(select(OutboxItem).where(OutboxItem.function != "evaluate_report")):
            other.state = OutboxState.done  # the designation's own effects are not under test here
        session.commit()
        items = session.scalars(select(OutboxItem).where(OutboxItem.function == "evaluate_report")
                                .order_by(OutboxItem.id)).all()
    redis = stack["redis"]
    assert outbox.relay(factory, redis) == len(filed)
    # One job is run: it takes the other two reports, and their jobs are dropped from Redis.
    run_worker(stack["env"], "--simple", "--max-jobs", "1")
    with factory() as session:
        assert {session.get(YearlyReport, i).state for i in filed} == {ReportState.evaluated}
        done = session.scalars(select(OutboxItem).where(OutboxItem.function == "evaluate_report")).all()
        assert {(item.state, item.attempts) for item in done} == {(OutboxState.done, 1)}
    assert [Job.exists(item.job_id, connection=redis) for item in items] == [True, False, False]
    run_worker(stack["env"], "--simple")  # the queue's leftover ids are passed over
    assert Queue("evaluations", connection=redis).count == 0
