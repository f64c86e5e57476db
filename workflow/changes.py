"""Reported changes of a designated unit (名称、范围、地址或边界变更): re-checked by the bureau;
an accepted change re-issues the certificate, the old one shows as superseded."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from evaluators.messages import Joined, message
from models import ChangeReport, Designation
from models.enums import DesignationState, Role
from workflow import certificates, notifications
from workflow.actors import Actor, is_role
from workflow.errors import Forbidden, Invalid, NotFound, NotPossible

FIELDS = {"name": "单位名称", "address": "认定范围（地址）"}
LIVE = (DesignationState.active, DesignationState.rectifying, DesignationState.suspended)


def report(session: Session, actor: Actor, designation: Designation, *, changes: dict[str, Any],
           description: str, now: datetime) -> ChangeReport:
    if not (is_role(actor, Role.applicant) and actor.enterprise_id == designation.enterprise_id):
        raise Forbidden("只有持有单位可以报告变更")
    if designation.state not in LIVE:
        raise NotPossible("认定已终止，无需报告变更")
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise Invalid.field("changes", message("可报告的变更为：%(fields)s",
                                               fields=Joined(tuple(message(f) for f in FIELDS.values()))))
    clean = {k: str(v).strip() for k, v in changes.items() if str(v or "").strip()}
    if not clean and not (description or "").strip():
        raise Invalid.field("description", "请说明变更内容（如组织边界变化）")
    row = ChangeReport(designation_id=designation.id, changes=clean, description=(description or "").strip(),
                       filed_by_id=actor.id, filed_at=now)
    session.add(row)
    session.flush()
    notifications.notify(session, notifications.staff_of(session, designation.jurisdiction_code),
                         key=f"change-{row.id}",
                         subject=message("%(enterprise)s报告了变更，请复核", enterprise=designation.enterprise.name),
                         body=row.description, link=f"/designations/{designation.id}", now=now)
    return row


def load(session: Session, change_id: int) -> ChangeReport:
    row = session.get(ChangeReport, change_id)
    if row is None:
        raise NotFound("变更报告不存在")
    return row


def resolve(session: Session, actor: Actor, row: ChangeReport, *, accept: bool, reason: str,
            now: datetime) -> ChangeReport:
    """Accept: the record takes the new name or address and a new certificate is issued.
    Reject: the finding is recorded (a revocation for boundary change is proposed separately)."""
    designation = row.designation
    if not (is_role(actor, Role.staff) and actor.jurisdiction_code == designation.jurisdiction_code):
        raise Forbidden("只有认定部门的工作人员可以复核变更")
    if row.state != "open":
        raise NotPossible("该变更报告已处理")
    if not (reason or "").strip():
        raise Invalid.field("reason", "请填写复核意见")
    row.state = "accepted" if accept else "rejected"
    row.resolution = reason.strip()
    row.resolved_by_id = actor.id
    row.resolved_at = now
    if accept:
        enterprise = designation.enterprise
        enterprise.name = row.changes.get("name", enterprise.name)
        enterprise.address = row.changes.get("address", enterprise.address)
        if row.changes:
            certificates.supersede(session, designation, now)
    notifications.notify(session, notifications.enterprise_users(session, designation.enterprise_id),
                         key=f"change-{row.id}-resolved",
                         subject=message("变更复核结果：已同意，证书将换发") if accept else message("变更复核结果：不予同意"),
                         body=message("复核意见：%(resolution)s", resolution=row.resolution),
                         link=f"/designations/{designation.id}", now=now)
    session.flush()
    return row
