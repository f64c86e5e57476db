"""Yearly reports (动态管理表) and the dynamic-management steps of the tick (有进有出).

Every designated unit files the previous year's key indicators by the programme's date
(default 15 April, STANDARDS §6 [S]); the report is re-evaluated with the same guideline. A
missed report or a large deterioration opens rectification; an unconfirmed rectification
suspends; a suspension that runs out proposes revocation for a person to confirm.
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, joinedload, lazyload, load_only

import evaluators
from evaluators.messages import Day, Joined, message
from models import Application, Designation, YearlyReport
from models.enums import DesignationState, ReportState, Role
from workflow import designations, notifications, outbox
from workflow.actors import SYSTEM, Actor, is_role
from workflow.clock import CHINA, local_date
from workflow.errors import Forbidden, NotPossible

log = logging.getLogger(__name__)

LIVE = [DesignationState.active, DesignationState.rectifying, DesignationState.suspended]
REMIND_DAYS_BEFORE = (30, 7)


def due_date(designation: Designation, year: int) -> date:
    """The report on `year` is due in the following year on the programme's month and day."""
    programme = designation.application.programme
    return date(year + 1, programme.report_due_month, programme.report_due_day)


def report_for(session: Session, designation: Designation, year: int) -> YearlyReport | None:
    return session.scalar(select(YearlyReport).where(YearlyReport.designation_id == designation.id,
                                                     YearlyReport.year == year))


def open_reports(session: Session, today: date, now: datetime | None = None) -> list[int]:
    """Ask every live designation held during last year for last year's report."""
    now = now or datetime.combine(today, time(), CHINA)
    year = today.year - 1
    opened = []
    for designation in session.scalars(select(Designation).where(Designation.state.in_(LIVE))):
        if designation.valid_from > date(year, 12, 31) or report_for(session, designation, year):
            continue
        report = YearlyReport(designation_id=designation.id, year=year, due_on=due_date(designation, year))
        session.add(report)
        session.flush()
        notifications.notify(
            session, notifications.enterprise_users(session, designation.enterprise_id),
            key=f"report-{report.id}-opened",
            subject=message("请报送%(year)s年度动态管理表（%(due_on)s前）", year=str(year),
                            due_on=Day(report.due_on, year=False)),
            body=message("请填报上一年度的关键指标，系统将按认定时的评价标准复核。"),
            link=_link(designation), now=now)
        opened.append(report.id)
    return opened


def _link(designation: Designation) -> str:
    return f"/designations/{designation.id}"


def remind(session: Session, today: date, now: datetime) -> int:
    sent = 0
    for report in session.scalars(select(YearlyReport).where(YearlyReport.state == ReportState.due,
                                                             YearlyReport.due_on >= today)):
        for days in REMIND_DAYS_BEFORE:
            if today >= report.due_on - timedelta(days=days):
                d = report.designation
                sent += notifications.notify(
                    session, notifications.enterprise_users(session, d.enterprise_id),
                    key=f"report-{report.id}-remind-{days}",
                    subject=message("请在%(due_on)s前报送%(year)s年度动态管理表",
                                    due_on=Day(report.due_on, year=False), year=str(report.year)),
                    body=message("逾期未报送将被责令整改，整改期满仍未报送的将暂停直至撤销认定。"),
                    link=_link(d), now=now)
    return sent


def mark_overdue(session: Session, today: date, now: datetime) -> dict[str, list[int]]:
    """Warn when a report is late; open rectification when it is later than the grace period."""
    result: dict[str, list[int]] = {"overdue": [], "rectification": []}
    for report in session.scalars(select(YearlyReport).where(
            YearlyReport.state.in_([ReportState.due, ReportState.overdue]), YearlyReport.due_on < today)):
        d = report.designation
        if report.state is ReportState.due:
            report.state = ReportState.overdue
            report.warned_at = now
            result["overdue"].append(report.id)
            notifications.notify(
                session, notifications.enterprise_users(session, d.enterprise_id) + notifications.staff_of(
                    session, d.jurisdiction_code),
                key=f"report-{report.id}-overdue",
                subject=message("%(enterprise)s逾期未报送%(year)s年度动态管理表", enterprise=d.enterprise.name,
                                year=str(report.year)),
                body=message("请尽快报送；宽限期满仍未报送的将被责令整改。"), link=_link(d), now=now)
        grace = d.application.programme.report_grace_days
        if today > report.due_on + timedelta(days=grace) and d.state is DesignationState.active:
            designations.act(session, SYSTEM, d, "require_rectification", now,
                             reason=message("未按期报送%(year)s年度动态管理表（应于%(due_on)s前报送）",
                                            year=str(report.year), due_on=report.due_on.isoformat()))
            result["rectification"].append(d.id)
    return result


def escalate(session: Session, today: date, now: datetime) -> dict[str, list[int]]:
    """Rectification past its deadline → suspension; suspension past its end → a revocation proposal."""
    result: dict[str, list[int]] = {"suspended": [], "revocation_proposed": []}
    for d in session.scalars(select(Designation).where(Designation.state == DesignationState.rectifying,
                                                       Designation.rectify_by < today)):
        designations.act(session, SYSTEM, d, "suspend", now,
                         reason=message("整改期限（%(rectify_by)s）届满，整改未经确认",
                                        rectify_by=d.rectify_by.isoformat()))
        result["suspended"].append(d.id)
    for d in session.scalars(select(Designation).where(Designation.state == DesignationState.suspended,
                                                       Designation.suspended_until < today,
                                                       Designation.proposal.is_(None))):
        missed = session.scalar(select(YearlyReport.id).where(YearlyReport.designation_id == d.id,
                                                              YearlyReport.state == ReportState.overdue))
        designations.act(session, SYSTEM, d, "propose_revocation", now,
                         reason_code="missed_report" if missed else "non_compliant",
                         reason=message("暂停期满（%(suspended_until)s）未恢复，提请撤销认定",
                                        suspended_until=d.suspended_until.isoformat()))
        result["revocation_proposed"].append(d.id)
    return result


def file(session: Session, actor: Actor, designation: Designation, year: int, data: dict[str, Any],
         now: datetime) -> YearlyReport:
    """The unit files (or refiles, until it is evaluated) its report for `year`."""
    if not (is_role(actor, Role.applicant) and actor.enterprise_id == designation.enterprise_id):
        raise Forbidden("只有持有单位可以报送动态管理表")
    if designation.state not in LIVE:
        raise NotPossible("认定已终止，无需报送")
    report = report_for(session, designation, year)
    if report is None:
        if not designation.valid_from.year <= year < local_date(now).year:
            raise NotPossible(message("无需报送%(year)s年度动态管理表：认定于%(designated)s年，报送的是认定后各年度的数据",
                                      year=str(year), designated=str(designation.valid_from.year)))
        report = YearlyReport(designation_id=designation.id, year=year, due_on=due_date(designation, year))
        session.add(report)
    if report.state is ReportState.evaluated:
        raise NotPossible(message("%(year)s年度动态管理表已复核，不能再修改", year=str(year)))
    report.data = {**data, "year": year}
    report.state = ReportState.submitted
    report.submitted_at = now
    session.flush()
    outbox.add(session, "evaluate_report", [report.id], queue="evaluations",
               key=f"{report.id}-{int(now.timestamp())}")
    return report


def evaluate(session: Session, report_id: int) -> str:
    """The job: re-evaluate a filed report; a failure or a large deterioration opens rectification."""
    return evaluate_many(session, [report_id])[report_id]


def evaluate_many(session: Session, report_ids: list[int]) -> dict[int, str]:
    """Re-evaluate many filed reports in one transaction, with one read of them all (issue #8:
    a job per report spent more time in the queue and the database than in the evaluation).

    Returns each report's outcome; a report the evaluator fails on is left out, untouched, for
    its own job to run and record the error (alone, the error is raised)."""
    from workflow.clock import now as utc_now

    # One query for the reports, their designations, applications and programmes; a holder and
    # its certificates are read only if rectification opens. Of the application only what the
    # evaluation needs: its form and evaluation trace are large JSON documents to decode.
    reports = session.scalars(
        select(YearlyReport).where(YearlyReport.id.in_(report_ids))
        .options(defer(YearlyReport.evaluation), joinedload(YearlyReport.designation).options(
            lazyload(Designation.enterprise), lazyload(Designation.certificates),
            joinedload(Designation.application).options(
                load_only(Application.guideline, Application.auto_score, Application.panel_score,
                          Application.programme_id),
                joinedload(Application.programme))))
        .order_by(YearlyReport.id)
        .with_for_update(of=YearlyReport)).unique().all()
    outcomes = {report_id: "missing" for report_id in report_ids}
    with _collector_paused():
        for report in reports:
            if report.state is not ReportState.submitted:
                outcomes[report.id] = f"skipped: {report.state}"
                continue
            app = report.designation.application
            try:
                result = evaluators.evaluate(app.guideline, report.data, None, app.programme.pass_mark,
                                             as_of=local_date(report.submitted_at))
            except Exception:
                if len(report_ids) == 1:
                    raise
                log.exception("yearly report %s could not be evaluated; its own job will retry it", report.id)
                del outcomes[report.id]
                continue
            outcomes[report.id] = _record(session, report, result, utc_now())
    return outcomes


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector paused while a batch is evaluated. A batch keeps up to a hundred traces
    (thousands of objects each) until it commits, and every collection their allocations set off
    walks them all again: about a third of the batch's time. The batch's garbage is collected as
    usual afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _record(session: Session, report: YearlyReport, result: Any, moment: datetime) -> str:
    d = report.designation
    app = d.application
    report.evaluation = result.to_dict()
    report.total = result.total
    report.eligible = result.eligible
    report.evaluated_at = moment
    report.state = ReportState.evaluated
    reference = app.panel_score if app.panel_score is not None else app.auto_score
    threshold = app.programme.deterioration_points
    if not result.eligible:
        report.finding = message("年度复核不符合要求：%(reasons)s", reasons=Joined(result.reasons, "；"))
    elif reference is not None and result.total < reference - threshold:
        report.finding = message("年度复核得分%(total)s分，较认定时的%(reference)s分下降超过%(threshold)s分",
                                 total=f"{result.total:.2f}", reference=f"{reference:.2f}",
                                 threshold=f"{threshold:g}")
    if report.finding and d.state is DesignationState.active:
        designations.act(session, SYSTEM, d, "require_rectification", moment, reason=report.finding)
    return "rectification" if report.finding else "ok"
