"""Public notices (公示) and objections (异议)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluators.messages import message
from models import Application, CalendarDay, Notice, Objection
from models.enums import ApplicationState, NoticeState, ObjectionState
from workflow import notifications
from workflow.actors import Actor
from workflow.calendar import add_working_days
from workflow.clock import local_date
from workflow.errors import Invalid, NotFound, NotPossible


MAX_OBJECTION_FILES = 5


def progress(notice: Notice) -> dict[str, Any]:
    """How far the designations of a closed notice have got: certificates issued of all."""
    from models.enums import CertificateStatus

    designated = [a for a in notice.applications if a.state is ApplicationState.designated]
    certificates = [c for a in designated for c in _designation_certificates(a)]
    issued = sum(1 for c in certificates if c.status is CertificateStatus.issued)
    return {"notice_id": notice.id, "state": str(notice.state), "listed": len(notice.applications),
            "designated": len(designated), "certificates": len(certificates), "issued": issued,
            "percent": round(100 * issued / len(certificates)) if certificates else 0}


def _designation_certificates(app: Application) -> list[Any]:
    from models import Designation

    session = Session.object_session(app)
    designation = session.scalar(select(Designation).where(Designation.application_id == app.id))
    return [designation.certificate] if designation and designation.certificate else []


def close(session: Session, actor: Actor, notice: Notice, now: datetime) -> Notice:
    """Staff close a notice whose period is over (the tick does the same on its own)."""
    from models.enums import Role
    from workflow import applications
    from workflow.actors import SYSTEM, is_role
    from workflow.errors import Forbidden

    if not (is_role(actor, Role.staff) and actor.jurisdiction_code == notice_programme(notice).jurisdiction_code):
        raise Forbidden("只有认定部门的工作人员可以结束公示")
    if notice.state is not NoticeState.open:
        raise NotPossible("公示已结束")
    if local_date(now) <= notice.ends_on:
        raise NotPossible(message("公示期至%(day)s，尚未结束", day=notice.ends_on.isoformat()))
    if any(o.state is ObjectionState.open for o in notice.objections):
        raise NotPossible("尚有未处理的异议，处理完毕后方可结束公示")
    for app in listed(notice):
        applications.act(session, SYSTEM, app, "close_notice", now)
    notice.state = NoticeState.closed
    notice.closed_at = now
    session.flush()
    return notice


def notice_programme(notice: Notice) -> Any:
    from models import Programme

    return Session.object_session(notice).get(Programme, notice.programme_id)


def open_notice(session: Session, actor: Actor, apps: Sequence[Application], now: datetime) -> Notice:
    """Put approved applications of one programme on a notice of the programme's working days."""
    programme = apps[0].programme
    start = local_date(now)
    period = add_working_days(start, programme.notice_working_days, calendar_overrides(session, start))
    notice = Notice(
        programme_id=programme.id,
        title=f"{programme.title.removesuffix('申报')}拟认定名单公示（{start.month}月{start.day}日）",
        starts_on=start,
        ends_on=period.last_day,
        working_days=programme.notice_working_days,
        calendar_warning=period.warning,
        opened_by_id=actor.id,
        opened_at=now,
    )
    session.add(notice)
    session.flush()
    for app in apps:
        app.notice_id = notice.id
    return notice


def calendar_overrides(session: Session, start: date) -> dict[date, bool]:
    """The admin's calendar corrections from `start` on (a notice lasts weeks, not years)."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.working).where(
        CalendarDay.day >= start, CalendarDay.day <= start + timedelta(days=120)))
    return {day: working for day, working in rows}


def set_calendar_day(session: Session, actor: Actor, day: date, working: bool, note: str) -> CalendarDay:
    """The admin records a day of the State Council's arrangement (放假/调休上班)."""
    from models.enums import Role
    from workflow.actors import is_role
    from workflow.errors import Forbidden

    if not is_role(actor, Role.admin):
        raise Forbidden("只有系统管理员可以维护节假日安排")
    row = session.get(CalendarDay, day) or CalendarDay(day=day, working=working)
    row.working, row.note = working, note.strip()
    session.add(row)
    session.flush()
    return row


def open_notices(session: Session) -> list[Notice]:
    return list(session.scalars(
        select(Notice).where(Notice.state == NoticeState.open).order_by(Notice.starts_on, Notice.id)
    ))


def listed(notice: Notice) -> list[Application]:
    return [a for a in notice.applications if a.state is ApplicationState.public_notice]


def file_objection(
    session: Session, notice_id: int, *, application_id: int, name: str, contact: str,
    content: str, now: datetime, evidence: Sequence[dict[str, Any]] = (),
) -> Objection:
    """Anyone may object to a unit on an open notice, by name, with a way to be reached."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("公示不存在")
    if notice.state is not NoticeState.open:
        raise NotPossible("该公示已结束，不再受理异议")
    errors: dict[str, list[str]] = {}
    if application_id not in {a.id for a in listed(notice)}:
        errors["application_id"] = ["请选择本公示名单中的单位"]
    if not (name or "").strip():
        errors["name"] = ["请填写真实姓名或单位名称（实名反映）"]
    if not (contact or "").strip():
        errors["contact"] = ["请填写联系方式，以便告知处理结果"]
    if len((content or "").strip()) < 10:
        errors["content"] = ["请具体说明异议内容（至少10个字）"]
    if errors:
        raise Invalid("异议信息不完整", {"fields": errors})
    if len(evidence) > MAX_OBJECTION_FILES:
        raise Invalid.field("files", message("最多附%(count)s个证据文件", count=MAX_OBJECTION_FILES))
    objection = Objection(
        notice_id=notice.id, application_id=application_id, name=name.strip(),
        contact=contact.strip(), content=content.strip(), filed_at=now, evidence=list(evidence),
    )
    session.add(objection)
    session.flush()
    notifications.objection_filed(session, objection, now)
    return objection


def dismiss_objection(session: Session, actor: Actor, objection: Objection, reason: str, now: datetime) -> Objection:
    from workflow import permissions
    from workflow.errors import Forbidden

    app = objection.application
    decision = permissions.application_action(session, actor, "uphold_objection", app)
    if not decision:
        raise Forbidden(decision.reason)
    if objection.state is not ObjectionState.open:
        raise NotPossible("该异议已处理")
    if not (reason or "").strip():
        raise Invalid.field("reason", "请填写异议不成立的理由，异议人可以看到")
    objection.state = ObjectionState.dismissed
    objection.resolution = reason.strip()
    objection.resolved_by_id = actor.id
    objection.resolved_at = now
    notifications.objection_decided(session, objection)
    session.flush()
    return objection
