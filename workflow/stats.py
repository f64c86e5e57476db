"""The bureau's dashboard over its jurisdiction's subtree (统计分析): designations by kind, tier,
status and district; the application funnel; review turnaround; overdue yearly reports.

Everything counts enterprises by where they are located (Enterprise.jurisdiction_code), as the
console does: a county sees the designations of its enterprises whoever granted them. Each
figure is one grouped query, so the dashboard stays fast with 100,000 applications.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import (
    Application,
    Designation,
    Enterprise,
    Jurisdiction,
    Programme,
    TransitionLog,
    YearlyReport,
)
from models.enums import (
    KIND_LABELS,
    TIER_LABELS,
    ApplicationState,
    DesignationState,
    Kind,
    ReportState,
    Tier,
)
from workflow import targets
from workflow.jurisdictions import parents
from workflow.machines import state_label

ON_RECORD = (DesignationState.active, DesignationState.rectifying, DesignationState.suspended)
# The stages an application passes on the way to a designation, and the state that marks each.
FUNNEL = (
    (ApplicationState.submitted, "已提交"),
    (ApplicationState.evaluating, "受理并自动评价"),
    (ApplicationState.under_review, "进入专家评审"),
    (ApplicationState.reviewed, "评审完成"),
    (ApplicationState.public_notice, "公示"),
    (ApplicationState.designated, "认定"),
)
STATE_ORDER = [s for s in ApplicationState if s is not ApplicationState.draft]


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Turnaround:
    """Days from submission to designation (calendar days), over designated applications."""

    count: int
    median_days: float | None
    fastest_days: int | None
    slowest_days: int | None
    by_kind: list[tuple[str, int, float]] = field(default_factory=list)  # label, count, median


@dataclass(frozen=True)
class OverdueReport:
    report_id: int
    designation_id: int
    holder: str
    place: str
    year: int
    due_on: date
    days_late: int
    designation_state: str


@dataclass(frozen=True)
class Dashboard:
    jurisdiction: Jurisdiction
    today: date
    on_record: int
    by_kind: list[Count]
    by_tier: list[Count]
    by_state: list[Count]
    by_district: list[Count]
    funnel: list[Count]
    by_application_state: list[Count]
    turnaround: Turnaround
    overdue_reports: list[OverdueReport]
    targets: list[dict[str, Any]]


def dashboard(session: Session, code: str, today: date) -> Dashboard:
    inside = targets.subtree(session, code)
    return Dashboard(
        jurisdiction=session.get(Jurisdiction, code), today=today,
        on_record=sum(c.value for c in designations_by(session, inside, Designation.kind, ON_RECORD)),
        by_kind=_labelled(designations_by(session, inside, Designation.kind, ON_RECORD), Kind, KIND_LABELS),
        by_tier=_labelled(designations_by(session, inside, Designation.tier, ON_RECORD), Tier, TIER_LABELS),
        by_state=_labelled(designations_by(session, inside, Designation.state, None), DesignationState,
                           {s: state_label(s) for s in DesignationState}),
        by_district=by_district(session, code, inside),
        funnel=funnel(session, inside),
        by_application_state=applications_by_state(session, inside),
        turnaround=turnaround(session, inside),
        overdue_reports=overdue_reports(session, inside, today),
        targets=targets.progress(session, code, today),
    )


def designations_by(session: Session, inside: list[str], column: Any,
                    states: tuple[DesignationState, ...] | None) -> list[Count]:
    query = (select(column, func.count(Designation.id))
             .join(Enterprise, Designation.enterprise_id == Enterprise.id)
             .where(Enterprise.jurisdiction_code.in_(inside)).group_by(column))
    if states is not None:
        query = query.where(Designation.state.in_(states))
    return [Count(str(key), str(key), n) for key, n in session.execute(query)]


def _labelled(counts: list[Count], enum: Any, labels: dict[Any, str]) -> list[Count]:
    """Every member of `enum` in its own order, with its Chinese label, zero when absent."""
    found = {c.key: c.value for c in counts}
    return [Count(str(m), labels[m], found.get(str(m), 0)) for m in enum]


def by_district(session: Session, code: str, inside: list[str]) -> list[Count]:
    """Designations on record per child of `code` (a city's districts and counties, a province's
    cities); a county is its own single district."""
    tree = parents(session)
    children = [c for c, p in tree.items() if p == code] or [code]
    names = {c: name for c, name in session.execute(select(Jurisdiction.code, Jurisdiction.name)
                                                    .where(Jurisdiction.code.in_(children)))}
    totals = dict.fromkeys(children, 0)
    rows = session.execute(
        select(Enterprise.jurisdiction_code, func.count(Designation.id))
        .join(Enterprise, Designation.enterprise_id == Enterprise.id)
        .where(Enterprise.jurisdiction_code.in_(inside), Designation.state.in_(ON_RECORD))
        .group_by(Enterprise.jurisdiction_code))
    for place, n in rows:
        current: str | None = place
        while current is not None and current not in totals:
            current = tree.get(current)
        if current is not None:
            totals[current] += n
    return [Count(c, names[c], totals[c]) for c in sorted(children)]


def funnel(session: Session, inside: list[str]) -> list[Count]:
    """How many applications reached each stage, from the transition log (an application that
    was returned and submitted again counts once)."""
    wanted = [str(state) for state, _ in FUNNEL]
    rows = {state: n for state, n in session.execute(
        select(TransitionLog.to_state, func.count(func.distinct(TransitionLog.entity_id)))
        .join(Application, Application.id == TransitionLog.entity_id)
        .join(Enterprise, Application.enterprise_id == Enterprise.id)
        .where(TransitionLog.entity == "application", TransitionLog.to_state.in_(wanted),
               Enterprise.jurisdiction_code.in_(inside))
        .group_by(TransitionLog.to_state))}
    return [Count(str(state), label, rows.get(str(state), 0)) for state, label in FUNNEL]


def applications_by_state(session: Session, inside: list[str]) -> list[Count]:
    rows = {state: n for state, n in session.execute(
        select(Application.state, func.count(Application.id))
        .join(Enterprise, Application.enterprise_id == Enterprise.id)
        .where(Enterprise.jurisdiction_code.in_(inside), Application.state != ApplicationState.draft)
        .group_by(Application.state))}
    return [Count(str(s), state_label(s), rows.get(s, 0)) for s in STATE_ORDER]


def turnaround(session: Session, inside: list[str]) -> Turnaround:
    rows = session.execute(
        select(Programme.kind, Application.submitted_at, Application.designated_at)
        .join(Enterprise, Application.enterprise_id == Enterprise.id)
        .join(Programme, Application.programme_id == Programme.id)
        .where(Enterprise.jurisdiction_code.in_(inside), Application.state == ApplicationState.designated,
               Application.submitted_at.is_not(None)))
    days: dict[Kind, list[int]] = {}
    for kind, submitted, designated in rows:
        days.setdefault(kind, []).append((designated - submitted).days)
    every = [d for values in days.values() for d in values]
    if not every:
        return Turnaround(0, None, None, None)
    return Turnaround(
        count=len(every), median_days=statistics.median(every), fastest_days=min(every),
        slowest_days=max(every),
        by_kind=[(KIND_LABELS[k], len(days[k]), statistics.median(days[k])) for k in Kind if k in days],
    )


def overdue_reports(session: Session, inside: list[str], today: date) -> list[OverdueReport]:
    """Yearly reports past their due date and not filed, also before the tick has marked them."""
    rows = session.execute(
        select(YearlyReport, Designation, Enterprise, Jurisdiction.name)
        .join(Designation, YearlyReport.designation_id == Designation.id)
        .join(Enterprise, Designation.enterprise_id == Enterprise.id)
        .join(Jurisdiction, Enterprise.jurisdiction_code == Jurisdiction.code)
        .where(Enterprise.jurisdiction_code.in_(inside),
               or_(YearlyReport.state == ReportState.overdue,
                   (YearlyReport.state == ReportState.due) & (YearlyReport.due_on < today)))
        .order_by(YearlyReport.due_on, Enterprise.name))
    return [OverdueReport(r.id, d.id, e.name, place, r.year, r.due_on, (today - r.due_on).days, str(d.state))
            for r, d, e, place in rows]
