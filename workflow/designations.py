"""Designations and their dynamic management (有进有出): rectify, suspend, revoke, expire."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Application, Designation, TransitionLog
from models.enums import DesignationState, RevocationReason
from workflow import certificates, notifications, permissions
from workflow.actors import Actor
from workflow.clock import add_years, local_date
from workflow.designation_machine import TABLE
from workflow.errors import Invalid, NotFound, NotPossible
from workflow.machines import Context

# Suspension lasts at most six months, then revocation unless reinstated (issue: dynamic management).
MAX_SUSPENSION_DAYS = 183
DEFAULT_RECTIFICATION_DAYS = 90
REASON_REQUIRED = {
    "require_rectification": "请填写整改要求",
    "suspend": "请填写暂停的理由",
    "propose_revocation": "请填写撤销的事实和理由",
}


def grant(session: Session, app: Application, now: datetime) -> Designation:
    """The designation at the close of the notice, valid for the programme's years."""
    start = local_date(now)
    programme = app.programme
    designation = Designation(
        application_id=app.id, enterprise_id=app.enterprise_id, programme_id=programme.id,
        kind=programme.kind, tier=programme.tier, jurisdiction_code=programme.jurisdiction_code,
        valid_from=start, valid_until=add_years(start, programme.validity_years) - timedelta(days=1),
        created_at=now, changed_at=now,
    )
    session.add(designation)
    session.flush()
    session.add(TransitionLog(
        entity="designation", entity_id=designation.id, trigger="grant", from_state="",
        to_state=str(DesignationState.active), actor_id=None, actor_label="系统",
        details={"application_id": app.id}, at=now,
    ))
    certificates.issue(session, designation, now)
    notifications.designation_granted(session, designation, now)
    return designation


def load(session: Session, designation_id: int) -> Designation:
    designation = session.get(Designation, designation_id)
    if designation is None:
        raise NotFound("认定记录不存在")
    return designation


def for_application(session: Session, app: Application) -> Designation | None:
    return session.scalar(select(Designation).where(Designation.application_id == app.id))


def available_actions(session: Session, actor: Actor | None, designation: Designation) -> list[str]:
    """Triggers this actor may fire now: state, permission and the guards of the table."""
    if actor is None:
        return []
    return [
        t for t in TABLE.triggers
        if TABLE.can_fire_from(designation.state, t)
        and permissions.designation_action(session, actor, t, designation)
        and TABLE.guards_hold(designation, t, Context(session, actor, now_for_guards()))
        and not (t == "propose_revocation" and designation.proposal)
    ]


def now_for_guards() -> datetime:
    from workflow.clock import now

    return now()


def _date_input(inputs: dict[str, Any], name: str) -> date | None:
    value = inputs.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid.field(name, "日期格式应为“年-月-日”，如 2027-03-31") from None


def act(
    session: Session, actor: Actor, designation: Designation, trigger: str, now: datetime, *,
    reason: str = "", expected_version: int | None = None, **inputs: Any,
) -> Designation:
    reason = TABLE.admit(designation, trigger,
                         lambda: permissions.designation_action(session, actor, trigger, designation),
                         expected_version=expected_version, reason=reason, reasons_required=REASON_REQUIRED)
    today = local_date(now)
    details: dict[str, Any] = {}
    if trigger == "require_rectification":
        deadline = _date_input(inputs, "deadline") or today + timedelta(days=DEFAULT_RECTIFICATION_DAYS)
        if deadline <= today:
            raise Invalid.field("deadline", "整改期限应晚于今天")
        details["deadline"] = deadline.isoformat()
    elif trigger == "suspend":
        until = _date_input(inputs, "until") or today + timedelta(days=MAX_SUSPENSION_DAYS)
        if not today < until <= today + timedelta(days=MAX_SUSPENSION_DAYS):
            raise Invalid.field("until", "暂停期限应在今天之后、最长6个月")
        details["until"] = until.isoformat()
    elif trigger == "propose_revocation":
        code = inputs.get("reason_code")
        if code not in RevocationReason.__members__:
            raise Invalid.field("reason_code", "请选择撤销原因类别")
        if designation.proposal:
            raise NotPossible("已有撤销提议等待另一名工作人员确认")
        details["reason_code"] = code
    elif trigger == "revoke" and designation.proposal:
        details = dict(designation.proposal)
        reason = reason or designation.proposal.get("reason", "")
    ctx = Context(session, actor, now, reason, inputs, details)
    TABLE.fire(designation, trigger, ctx)
    _after(session, actor, designation, trigger, ctx)
    designation.changed_at = now
    session.flush()
    return designation


def _after(session: Session, actor: Actor, designation: Designation, trigger: str, ctx: Context) -> None:
    now = ctx.now
    if trigger == "require_rectification":
        designation.rectify_by = date.fromisoformat(ctx.details["deadline"])
        designation.reason = ctx.reason
    elif trigger == "confirm_rectified":
        designation.rectify_by = None
    elif trigger == "suspend":
        designation.suspended_until = date.fromisoformat(ctx.details["until"])
        designation.reason = ctx.reason
    elif trigger == "reinstate":
        designation.suspended_until = None
        designation.rectify_by = None
    elif trigger == "propose_revocation":
        designation.proposal = {
            "proposed_by": actor.id, "proposed_by_name": actor.display_name,
            "reason_code": ctx.details["reason_code"], "reason": ctx.reason, "at": now.isoformat(),
        }
    elif trigger == "revoke":
        proposal = designation.proposal or {}
        designation.reason_code = RevocationReason(proposal["reason_code"])
        designation.reason = proposal.get("reason", ctx.reason)
        designation.proposal = None
        certificates.void(designation, now)
    elif trigger in ("expire", "withdraw"):
        if trigger == "withdraw":
            designation.reason_code = RevocationReason.voluntary
            designation.reason = ctx.reason
        certificates.void(designation, now)
    elif trigger == "renew":
        designation.valid_until = add_years(designation.valid_until, designation_validity(designation))
        certificates.supersede(session, designation, now)
    notifications.designation_changed(session, designation, trigger, ctx.reason, actor.id, now)


def designation_validity(designation: Designation) -> int:
    return designation.application.programme.validity_years
