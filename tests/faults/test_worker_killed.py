"""A worker killed with SIGKILL in the middle of a certificate job, on the real stack.

The job is caught for certain between storing the PDF and committing: the test holds the
signing-key table locked, so the job (which signs after storing the PDF) waits there inside its
transaction. Then the worker and its work horse are killed as a machine would lose them. The
scheduler puts the abandoned job back on its queue under the same id, a new worker runs it,
and the certificate comes out exactly once."""
from __future__ import annotations

import hashlib
import os
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from models import Certificate, Notification, OutboxItem, SigningKey
from models.enums import ApplicationState as S
from models.enums import CertificateStatus, OutboxState
from models.security import SentEmail
from tests.builders import after_notice, application_in
from tests.faults.conftest import Stack, wait_for
from workflow import applications, notifications, outbox
from workflow.actors import SYSTEM

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def designated(stack: Stack) -> tuple[int, str, int]:
    """An application whose notice has just closed: its certificate is numbered, not rendered."""
    with stack.factory() as session:
        app = application_in(session, S.public_notice, NOW)
        applications.act(session, SYSTEM, app, "close_notice", after_notice(app))
        # the builder ran the evaluation itself; only the certificate job is left to a worker
        for item in session.scalars(select(OutboxItem).where(OutboxItem.function != "render_certificate")):
            item.state = OutboxState.done
        session.commit()
        certificate = session.scalars(select(Certificate)).one()
        return certificate.id, certificate.number, app.enterprise_id


def count(session: Any, what: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(what).where(*where))


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def test_certificate_is_issued_once_after_the_worker_is_killed_mid_job(stack: Stack, redis_server) -> None:
    certificate_id, number, enterprise_id = designated(stack)
    redis = redis_server.connection()

    with stack.engine.connect() as blocker:
        blocker.begin()
        blocker.execute(text("LOCK TABLE signing_keys IN ACCESS EXCLUSIVE MODE"))
        assert outbox.relay(stack.factory, redis) == 1
        worker = stack.start("worker")

        def job_waits_on_the_lock() -> bool:
            return bool(blocker.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE relation = 'signing_keys'::regclass AND NOT granted")))

        wait_for("the certificate job to reach signing", job_waits_on_the_lock, 60)
        pdfs = list((stack.storage / "certificates").glob("*.pdf"))
        assert [p.name for p in pdfs] == [f"{number}.pdf"]  # rendered and stored, not yet committed
        forked = children(worker.pid)  # the work horse running the job, and RQ's scheduler
        assert forked
        os.kill(worker.pid, signal.SIGKILL)
        for pid in forked:
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        wait_for("the work horse to die", lambda: all(gone(pid) for pid in forked), 10)
        blocker.rollback()

    from rq.job import Job, JobStatus

    with stack.factory() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.function == "render_certificate")).one()
        assert item.state is OutboxState.relayed
        assert session.get(Certificate, certificate_id).status is CertificateStatus.pending
        job_id = item.job_id
    assert Job.fetch(job_id, connection=redis).get_status() == JobStatus.STARTED  # RQ still thinks it runs

    stack.start("scheduler", "--interval", "1", "--recover-after", "2")
    stack.start("worker")

    def issued_and_told() -> bool:
        with stack.factory() as session:
            return (session.get(Certificate, certificate_id).status is CertificateStatus.issued
                    and count(session, OutboxItem, OutboxItem.state != OutboxState.done) == 0)

    wait_for("the certificate to be issued again", issued_and_told, 45, stack=stack)
    stack.stop_all()

    with stack.factory() as session:
        certificate = session.scalars(select(Certificate)).one()
        assert (certificate.id, certificate.number) == (certificate_id, number)
        pdf = (stack.storage / certificate.pdf_path).read_bytes()
        assert hashlib.sha256(pdf).hexdigest() == certificate.sha256
        assert [p.name for p in (stack.storage / "certificates").glob("*.pdf")] == [f"{number}.pdf"]
        item = session.scalars(select(OutboxItem).where(OutboxItem.function == "render_certificate")).one()
        assert (item.state, item.attempts) == (OutboxState.done, 1)  # the killed run left no trace
        assert count(session, SigningKey) == 1
        holders = notifications.enterprise_users(session, enterprise_id)
        assert holders
        for holder in holders:
            told = session.scalars(select(Notification).where(
                Notification.user_id == holder.id, Notification.key == f"certificate-issued-{certificate_id}")).all()
            assert len(told) == 1
            mails = [i for i in session.scalars(select(OutboxItem).where(OutboxItem.function == "send_email"))
                     if i.args == ["notification", told[0].id]]
            assert [(i.state, i.attempts) for i in mails] == [(OutboxState.done, 1)] * len(mails)
            # the designation's own e-mails were left unsent above: this is the certificate's
            assert count(session, SentEmail, SentEmail.recipient == holder.email) == len(mails) <= 1
    assert Job.fetch(job_id, connection=redis).get_status() == JobStatus.FINISHED
