"""Dynamic management by the calendar: yearly reports due on 15 April, reminders, warnings,
rectification, suspension and a revocation proposal — each step once, whatever the tick count."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from models import Notification, OutboxItem, YearlyReport
from models.enums import DesignationState as D
from models.enums import OutboxState, ReportState
from sqlalchemy import select

from evaluators.examples import example_document
from tests.builders import designation_in, user
from workflow import outbox, reports
from workflow.clock import CHINA
from workflow.tick import tick

GRANTED = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHINA)


def test_a_missed_report_walks_the_whole_ladder(db) -> None:
    designation = designation_in(db, D.active, GRANTED)
    # 1 January 2027: the 2026 report is opened, due 15 April 2027.
    summary = tick(db, at(date(2027, 1, 2)))
    (report_id,) = summary["reports_opened"]
    report = db.get(YearlyReport, report_id)
    assert (report.year, report.due_on, report.state) == (2026, date(2027, 4, 15), ReportState.due)
    assert tick(db, at(date(2027, 1, 3)))["reports_opened"] == []
    # 30 and 7 days before: reminders, once each.
    assert tick(db, at(date(2027, 3, 20)))["reminders"] == 1
    assert tick(db, at(date(2027, 3, 21)))["reminders"] == 0
    assert tick(db, at(date(2027, 4, 9)))["reminders"] == 1
    subjects = db.scalars(select(Notification.subject).where(Notification.user_id == user(db, "qt_newmat").id,
                                                             Notification.key.startswith("report-"))
                          .order_by(Notification.id)).all()
    assert subjects == ["请报送2026年度动态管理表（4月15日前）"] + ["请在4月15日前报送2026年度动态管理表"] * 2
    # The day after: overdue, a warning to the unit and the bureau.
    summary = tick(db, at(date(2027, 4, 16)))
    assert summary["overdue"] == [report_id] and summary["rectification"] == []
    assert designation.state is D.active
    # After the 30-day grace period: rectification with a 90-day deadline.
    summary = tick(db, at(date(2027, 5, 16)))
    assert summary["rectification"] == [designation.id]
    assert designation.state is D.rectifying and designation.rectify_by == date(2027, 8, 14)
    assert "未按期报送2026年度动态管理表" in designation.reason
    # The deadline passes unconfirmed: suspension, at most six months.
    summary = tick(db, at(date(2027, 8, 15)))
    assert summary["suspended"] == [designation.id] and designation.state is D.suspended
    # The suspension runs out: the system proposes revocation, a person confirms it.
    summary = tick(db, at(designation.suspended_until + timedelta(days=1)))
    assert summary["revocation_proposed"] == [designation.id]
    assert designation.proposal["reason_code"] == "missed_report"
    assert designation.state is D.suspended
    again = tick(db, at(date(2028, 3, 1)))
    assert again["revocation_proposed"] == [] and again["suspended"] == []
    from workflow import designations

    designations.act(db, user(db, "hz_city"), designation, "revoke", at(date(2028, 3, 1)))
    assert designation.state is D.revoked and designation.reason_code.value == "missed_report"


def test_a_filed_report_is_re_evaluated_and_a_drop_opens_rectification(db) -> None:
    designation = designation_in(db, D.active, GRANTED)
    tick(db, at(date(2027, 1, 2)))
    applicant = user(db, "qt_newmat")
    good = reports.file(db, applicant, designation, 2026, example_document("factory-gbt36132-2018", "pass"),
                        at(date(2027, 3, 1)))
    assert reports.evaluate(db, good.id) == "ok"
    assert good.state is ReportState.evaluated and good.total > 80
    assert reports.evaluate(db, good.id) == "skipped: evaluated"
    assert tick(db, at(date(2027, 4, 16)))["overdue"] == []
    # The next year the indicators fall far below the designation's score of 88.
    tick(db, at(date(2028, 1, 2)))
    poor = reports.file(db, applicant, designation, 2027, example_document("factory-gbt36132-2018", "fail"),
                        at(date(2028, 3, 1)))
    assert reports.evaluate(db, poor.id) == "rectification"
    assert designation.state is D.rectifying
    assert "下降超过10分" in poor.finding and poor.finding == designation.reason


def filed_reports(session) -> list[int]:
    """The reports on 2026, 2027 and 2028, filed together in March 2029, waiting in the outbox."""
    applicant = user(session, "qt_newmat")
    designation = designation_in(session, D.active, GRANTED)
    return [reports.file(session, applicant, designation, year, example_document("factory-gbt36132-2018", "pass"),
                         at(date(2029, 3, 1))).id
            for year in (2026, 2027, 2028)]


def report_items(session) -> list[OutboxItem]:
    return list(session.scalars(select(OutboxItem).where(OutboxItem.function == "evaluate_report")
                                .order_by(OutboxItem.id)))


def test_one_job_re_evaluates_the_waiting_reports_once_in_one_transaction(factory, app) -> None:
    with factory() as session:
        filed = filed_reports(session)
        session.commit()
        item_ids = [item.id for item in report_items(session)]
    assert len(item_ids) == len(filed) == 3
    assert outbox.perform_batch(item_ids[0]) == "ok"
    with factory() as session:
        assert {session.get(YearlyReport, i).state for i in filed} == {ReportState.evaluated}
        assert {(item.state, item.attempts) for item in report_items(session)} == {(OutboxState.done, 1)}
    # The others' own jobs find their work done.
    assert [outbox.perform_batch(i) for i in item_ids[1:]] == ["already done"] * 2


def test_a_report_the_evaluator_fails_on_is_left_to_its_own_job(factory, app, monkeypatch) -> None:
    import evaluators

    with factory() as session:
        filed = filed_reports(session)
        broken = filed[1]
        session.get(YearlyReport, broken).data = {**session.get(YearlyReport, broken).data, "broken": True}
        session.commit()
        item_ids = [item.id for item in report_items(session)]
    evaluate = evaluators.evaluate

    def failing(guideline, data, *args, **kwargs):
        if data.get("broken"):
            raise RuntimeError("指标数据无法解析")
        return evaluate(guideline, data, *args, **kwargs)

    monkeypatch.setattr(evaluators, "evaluate", failing)
    assert outbox.perform_batch(item_ids[0]) == "ok"
    with factory() as session:
        states = {i: session.get(YearlyReport, i).state for i in filed}
        assert states == {**{i: ReportState.evaluated for i in filed}, broken: ReportState.submitted}
        assert session.get(OutboxItem, item_ids[1]).state is OutboxState.pending
    with pytest.raises(RuntimeError, match="指标数据无法解析"):
        outbox.perform_batch(item_ids[1])  # alone now, so the error is recorded for the retries
    with factory() as session:
        item = session.get(OutboxItem, item_ids[1])
        assert (item.state, item.attempts) == (OutboxState.pending, 1) and "指标数据无法解析" in item.last_error
