"""Public notices (公示) and objections (异议)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Application, Notice, Objection
from models.enums import ApplicationState, NoticeState, ObjectionState
from workflow.actors import Actor
from workflow.calendar import add_working_days
from workflow.clock import local_date
from workflow.errors import Invalid, NotFound, NotPossible


def open_notice(session: Session, actor: Actor, apps: Sequence[Application], now: datetime) -> Notice:
    """Put approved applications of one programme on a notice of the programme's working days."""
    programme = apps[0].programme
    start = local_date(now)
    period = add_working_days(start, programme.notice_working_days)
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


def open_notices(session: Session) -> list[Notice]:
    return list(session.scalars(
        select(Notice).where(Notice.state == NoticeState.open).order_by(Notice.starts_on, Notice.id)
    ))


def listed(notice: Notice) -> list[Application]:
    return [a for a in notice.applications if a.state is ApplicationState.public_notice]


def file_objection(
    session: Session, notice_id: int, *, application_id: int, name: str, contact: str,
    content: str, now: datetime,
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
    objection = Objection(
        notice_id=notice.id, application_id=application_id, name=name.strip(),
        contact=contact.strip(), content=content.strip(), filed_at=now,
    )
    session.add(objection)
    session.flush()
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
    session.flush()
    return objection
