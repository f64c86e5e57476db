"""Time-based work in one idempotent function: run twice at the same time, it changes nothing."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Designation, Notice
from models.enums import DesignationState, NoticeState, ObjectionState
from workflow import applications, designations, notices, reports, reviews
from workflow.actors import SYSTEM
from workflow.clock import local_date


def tick(session: Session, now: datetime) -> dict[str, Any]:
    today = local_date(now)
    summary: dict[str, Any] = {"at": now.isoformat(), "designated": [], "notices_closed": [],
                               "notices_waiting": [], "expired": []}
    for notice in session.scalars(
        select(Notice).where(Notice.state == NoticeState.open, Notice.ends_on < today).order_by(Notice.id)
    ):
        if any(o.state is ObjectionState.open for o in notice.objections):
            summary["notices_waiting"].append(notice.id)
            continue
        summary["designated"] += [a.id for a in notices.listed(notice)]
        for app in notices.listed(notice):
            applications.act(session, SYSTEM, app, "close_notice", now)
        notice.state = NoticeState.closed
        notice.closed_at = now
        summary["notices_closed"].append(notice.id)
    for designation in session.scalars(
        select(Designation).where(
            Designation.state.in_([DesignationState.active, DesignationState.rectifying,
                                   DesignationState.suspended]),
            Designation.valid_until < today,
        ).order_by(Designation.id)
    ):
        designations.act(session, SYSTEM, designation, "expire", now)
        summary["expired"].append(designation.id)
    summary["reports_opened"] = reports.open_reports(session, today)
    summary["reminders"] = reports.remind(session, today, now)
    summary.update(reports.mark_overdue(session, today, now))
    summary.update(reports.escalate(session, today, now))
    summary.update(reviews.tick(session, now))  # invitations lapse and are replaced; reminders
    session.flush()
    return summary
