"""The outbox: one row per effect, performed once, retried and finally marked failed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import OutboxItem
from models.enums import OutboxState
from workflow import jobs, outbox

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def test_the_same_effect_is_recorded_once(db) -> None:
    a = outbox.add(db, "evaluate_application", [1], queue="evaluations", key="1-100")
    b = outbox.add(db, "evaluate_application", [1], queue="evaluations", key="1-100")
    assert a is b and a.job_id == "evaluate_application-1-100"


def test_several_effects_are_recorded_together_each_once(db) -> None:
    outbox.add(db, "send_email", ["notification", 1], queue="notifications", key="notification-1")
    added = outbox.add_all(db, "send_email", [(["notification", n], f"notification-{n}") for n in (1, 2, 3)],
                           queue="notifications")
    assert added == 2
    items = db.scalars(select(OutboxItem).where(OutboxItem.function == "send_email").order_by(OutboxItem.id)).all()
    assert [(i.job_id, i.args, i.state) for i in items] == [
        (f"send_email-notification-{n}", ["notification", n], OutboxState.pending) for n in (1, 2, 3)]


def test_inline_relay_performs_once_and_retries_failures(factory, app, monkeypatch) -> None:
    calls: list[int] = []

    def flaky(session, number):
        calls.append(number)
        if number == 2:
            raise RuntimeError("报表服务暂不可用")
        return "ok"

    monkeypatch.setitem(jobs.REGISTRY, "flaky", flaky)
    with factory() as session:
        outbox.add(session, "flaky", [1], queue="notifications", key="one")
        outbox.add(session, "flaky", [2], queue="notifications", key="two")
        session.commit()
    assert outbox.relay(factory) == 1
    assert outbox.relay(factory) == 0
    assert outbox.relay(factory) == 0
    with factory() as session:
        items = {i.job_id: i for i in session.scalars(select(OutboxItem))}
        assert items["flaky-one"].state is OutboxState.done
        failed = items["flaky-two"]
        assert failed.state is OutboxState.failed and failed.attempts == 3
        assert "报表服务暂不可用" in failed.last_error
    assert calls == [1, 2, 2, 2]
    assert outbox.perform(items["flaky-one"].id) == "already done"


def test_an_item_rolled_back_with_its_change_is_recorded_again(factory) -> None:
    with factory() as session:
        outbox.add(session, "evaluate_application", [1], queue="evaluations", key="1-200")
        session.rollback()
        again = outbox.add(session, "evaluate_application", [1], queue="evaluations", key="1-200")
        assert outbox.add(session, "evaluate_application", [1], queue="evaluations", key="1-200") is again
        session.commit()
    with factory() as session:
        rows = session.scalars(select(OutboxItem).where(OutboxItem.job_id == "evaluate_application-1-200")).all()
        assert [(row.id, row.state) for row in rows] == [(again.id, OutboxState.pending)]
