"""Who may do what: decisions with a reason (HTTP 403), shared by services and templates.

Staff act at one jurisdiction and see its whole subtree (ARCHITECTURE §2). Applicants act
for their own enterprise; experts only on panels they accepted; the system fires the
automatic triggers. Separation of duties: no one decides an application on whose panel they
sat, and the proposer of a revocation cannot confirm it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import Application, Designation, User
from models.enums import ApplicationState, ReviewState, Role
from workflow.actors import Actor, SystemActor, is_role
from workflow.jurisdictions import is_within


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)

APPLICANT_TRIGGERS = {"submit", "withdraw", "answer_clarification"}
HOLDING_STAFF_TRIGGERS = {"return_for_changes", "recommend", "accept", "refuse"}
DECIDING_STAFF_TRIGGERS = {"approve_for_notice", "reject", "uphold_objection"}
SYSTEM_TRIGGERS = {"complete_evaluation", "complete_review", "close_notice", "expire"}
DESIGNATION_STAFF_TRIGGERS = {
    "require_rectification", "confirm_rectified", "suspend", "reinstate",
    "propose_revocation", "revoke", "renew",
}


def _owns(actor: Actor, enterprise_id: int) -> bool:
    return is_role(actor, Role.applicant) and actor.enterprise_id == enterprise_id


def _staff_at(actor: Actor, code: str | None) -> bool:
    return is_role(actor, Role.staff) and code is not None and actor.jurisdiction_code == code


def _on_panel(actor: Actor, app: Application, *, accepted: bool = False) -> bool:
    if not isinstance(actor, User) or app.panel is None or actor.expert is None:
        return False
    wanted = {ReviewState.accepted, ReviewState.submitted} if accepted else {
        ReviewState.invited, ReviewState.accepted, ReviewState.submitted}
    return any(r.expert_id == actor.expert.id and r.state in wanted for r in app.panel.reviews)


def application_action(session: Session, actor: Actor, trigger: str, app: Application) -> Decision:
    if trigger in SYSTEM_TRIGGERS:
        return ALLOW if isinstance(actor, SystemActor) else Decision(False, "该操作由系统自动执行")
    if trigger in APPLICANT_TRIGGERS:
        if _owns(actor, app.enterprise_id):
            return ALLOW
        return Decision(False, "只有申报单位本身可以执行该操作")
    if trigger in HOLDING_STAFF_TRIGGERS:
        if _staff_at(actor, app.holding_jurisdiction_code):
            return ALLOW
        return Decision(False, "只有当前审核层级的经信部门工作人员可以执行该操作")
    if trigger in DECIDING_STAFF_TRIGGERS:
        if not _staff_at(actor, app.programme.jurisdiction_code):
            return Decision(False, "只有本批次认定部门的工作人员可以执行该操作")
        if _on_panel(actor, app):
            return Decision(False, "参加本项评审的专家不得作出认定决定")
        return ALLOW
    if trigger == "request_clarification":
        if _on_panel(actor, app, accepted=True) or _staff_at(actor, app.programme.jurisdiction_code):
            return ALLOW
        return Decision(False, "只有本项评审专家或认定部门工作人员可以要求补充说明")
    return Decision(False, f"未知操作“{trigger}”")


# Dynamic management steps the tick takes by itself: a missed report opens rectification, an
# unconfirmed rectification suspends, an expired suspension proposes revocation (a person confirms).
SYSTEM_DESIGNATION_STEPS = {"require_rectification", "suspend", "propose_revocation"}


def designation_action(
    session: Session, actor: Actor, trigger: str, designation: Designation
) -> Decision:
    if isinstance(actor, SystemActor) and trigger in SYSTEM_DESIGNATION_STEPS:
        return ALLOW
    if trigger in SYSTEM_TRIGGERS:
        return ALLOW if isinstance(actor, SystemActor) else Decision(False, "该操作由系统自动执行")
    if trigger == "withdraw":
        if _owns(actor, designation.enterprise_id):
            return ALLOW
        return Decision(False, "只有持有单位可以申请主动退出")
    if trigger in DESIGNATION_STAFF_TRIGGERS:
        if not _staff_at(actor, designation.jurisdiction_code):
            return Decision(False, "只有认定部门的工作人员可以执行该操作")
        proposal = designation.proposal or {}
        if trigger == "revoke" and proposal.get("proposed_by") == actor.id:
            return Decision(False, "撤销须由提议人以外的另一名工作人员确认")
        return ALLOW
    return Decision(False, f"未知操作“{trigger}”")


def can_view_application(session: Session, actor: Actor | None, app: Application) -> bool:
    if actor is None:
        return False
    if isinstance(actor, SystemActor) or is_role(actor, Role.admin):
        return True
    if is_role(actor, Role.applicant):
        return actor.enterprise_id == app.enterprise_id
    if is_role(actor, Role.staff):
        return app.state is not ApplicationState.draft and is_within(
            session, app.enterprise.jurisdiction_code, actor.jurisdiction_code
        )
    if is_role(actor, Role.expert):  # an invitation shows only what a conflict declaration needs
        return _on_panel(actor, app, accepted=True)
    return False


def can_view_designation(session: Session, actor: Actor | None, designation: Designation) -> bool:
    """Designations are public records; this guards the management view of one."""
    if actor is None:
        return False
    if isinstance(actor, SystemActor) or is_role(actor, Role.admin):
        return True
    if is_role(actor, Role.applicant):
        return actor.enterprise_id == designation.enterprise_id
    if is_role(actor, Role.staff):
        return is_within(session, designation.enterprise.jurisdiction_code, actor.jurisdiction_code)
    return False


def is_staff_over(session: Session, actor: Actor | None, code: str) -> bool:
    """Staff whose jurisdiction is `code` or one of its ancestors."""
    return is_role(actor, Role.staff) and is_within(session, code, actor.jurisdiction_code)
