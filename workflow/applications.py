"""Service functions for programmes and applications.

Each state change reads in one order: check permission → fire → change rows → audit (the
machine writes the log) → outbox effects → flush. Nothing here commits.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.util import identity_key

import evaluators
from evaluators.messages import message
from models import Application, Designation, EvidenceFile, Jurisdiction, Objection, Programme
from models.enums import (
    ApplicationState,
    DesignationState,
    JurisdictionLevel,
    Kind,
    KIND_LABELS,
    TIER_LABELS,
    ObjectionState,
    Role,
    Tier,
)
from workflow import audit, documents, jurisdictions, notifications, outbox, panels, permissions
from workflow.actors import Actor, is_role
from workflow.application_machine import TABLE
from workflow.clock import local_date
from workflow.errors import Forbidden, Invalid, NotFound, NotPossible
from workflow.machines import Context, check_version, write_changes

TERMINAL = {ApplicationState.ineligible, ApplicationState.designated,
            ApplicationState.rejected, ApplicationState.withdrawn}
REASON_REQUIRED = {
    "return_for_changes": "请填写退回修改的原因",
    "refuse": "请填写不予受理的理由",
    "reject": "请填写不予认定的理由",
    "request_clarification": "请填写需要补充说明的问题",
    "answer_clarification": "请填写补充说明的内容",
    "uphold_objection": "请填写异议成立的理由",
}
TIER_LEVEL = {Tier.county: JurisdictionLevel.county, Tier.city: JurisdictionLevel.city,
              Tier.province: JurisdictionLevel.province}
# A provincial designation needs the city one; a national one the provincial one (STANDARDS §1).
PREREQUISITE = {Tier.province: Tier.city, Tier.national: Tier.province}
PREREQUISITE_MISSING = {Tier.province: "申报省级须已获得有效的市级认定", Tier.national: "申报国家级须已获得有效的省级认定"}
# The expert review's settings of a programme (load cap, deadlines, divergence threshold).
REVIEW_SETTINGS = ("review_load_cap", "invitation_working_days", "review_working_days", "divergence_threshold")
MIN_PANEL = {Tier.county: 3, Tier.city: 3, Tier.province: 5, Tier.national: 5}


# Programmes ---------------------------------------------------------------------------------

def create_programme(session: Session, actor: Actor, **fields: Any) -> Programme:
    """A bureau opens a call for applications (申报批次) at its own jurisdiction."""
    if not is_role(actor, Role.staff):
        raise Forbidden("只有经信部门工作人员可以创建申报批次")
    errors: dict[str, list[str]] = {}
    kind, tier = fields["kind"], fields["tier"]
    code = fields["jurisdiction"]
    if code != actor.jurisdiction_code:
        errors["jurisdiction"] = ["只能以本单位所在行政区划创建申报批次"]
    place = session.get(Jurisdiction, code)
    if place is None:
        errors["jurisdiction"] = [message("行政区划代码“%(code)s”不存在", code=code)]
    elif tier is Tier.national:
        errors["tier"] = ["国家级批次由工业和信息化部组织，本系统只办理推荐"]
    elif TIER_LEVEL[tier] is not place.level:
        errors["tier"] = [message("%(place)s只能创建与其层级相同的批次", place=place.name)]
    try:
        guideline = evaluators.load(fields["guideline"])
    except evaluators.GuidelineError:
        errors["guideline"] = [message("评价标准“%(key)s”不存在", key=fields["guideline"])]
    else:
        if guideline.kind != str(kind):
            errors["guideline"] = ["评价标准与申报类别不一致"]
    if fields["closes_on"] < fields["opens_on"]:
        errors["closes_on"] = ["截止日期不能早于开始日期"]
    size = fields.get("panel_size") or MIN_PANEL[tier]
    if size % 2 == 0 or size < MIN_PANEL[tier]:
        errors["panel_size"] = [message("专家组人数应为奇数，且不少于%(least)s人", least=MIN_PANEL[tier])]
    if not 0 < fields["pass_mark"] <= 100:
        errors["pass_mark"] = ["合格分数线应在0至100之间"]
    if errors:
        raise Invalid("申报批次设置有误", {"fields": errors})
    programme = Programme(
        title=fields.get("title") or _default_title(place, kind, tier, fields["opens_on"]),
        kind=kind, tier=tier, jurisdiction_code=code, guideline=fields["guideline"],
        opens_on=fields["opens_on"], closes_on=fields["closes_on"], pass_mark=fields["pass_mark"],
        panel_size=size, notice_working_days=fields.get("notice_working_days") or 5,
        validity_years=fields.get("validity_years") or 3, created_by_id=actor.id,
        **{name: fields[name] for name in REVIEW_SETTINGS if fields.get(name) is not None},
    )
    session.add(programme)
    session.flush()
    return programme


def _default_title(place: Any, kind: Kind, tier: Tier, opens_on: date) -> str:
    return f"{opens_on.year}年{place.name}{TIER_LABELS[tier]}{KIND_LABELS[kind]}申报"


def open_programmes(session: Session, today: date) -> list[Programme]:
    return list(session.scalars(
        select(Programme).where(Programme.opens_on <= today, Programme.closes_on >= today)
        .order_by(Programme.closes_on, Programme.id)
    ))


# Applications -------------------------------------------------------------------------------

# The enterprise is read with the application: whether staff may see it depends on where the
# enterprise is. An application about to change is read with its programme too: every
# transition's checks and effects read it. (Built once: building the options costs more than
# the look-up of the statement they lead to.)
_READ = (joinedload(Application.enterprise, innerjoin=True),)
_FOR_CHANGE = (*_READ, joinedload(Application.programme, innerjoin=True))
# The same look-ups as statements built once: a statement keeps its cache key, where
# `session.get` builds a new statement, and its key, on every call.
_BY_ID = select(Application).where(Application.id == bindparam("application_id"))
_READ_BY_ID = _BY_ID.options(*_READ)
_FOR_CHANGE_BY_ID = _BY_ID.options(*_FOR_CHANGE).with_for_update(of=Application)


def load(session: Session, actor: Actor | None, application_id: int, *, for_update: bool = False) -> Application:
    """The application, or 404 for anyone who may not see it (its existence is private)."""
    if identity_key(Application, application_id) in session.identity_map:
        # `session.get` answers from the session, or for an update checks its version against the row's
        app = session.get(Application, application_id, options=_FOR_CHANGE if for_update else _READ,
                          with_for_update={"of": Application} if for_update else None)
    else:
        app = session.scalars(_FOR_CHANGE_BY_ID if for_update else _READ_BY_ID,
                              {"application_id": application_id}).one_or_none()
    if app is None or not permissions.can_view_application(session, actor, app):
        raise NotFound("申报不存在或无权查看")
    return app


def create_application(session: Session, actor: Actor, programme_id: int, now: datetime) -> Application:
    if not is_role(actor, Role.applicant):
        raise Forbidden("只有申报单位可以发起申报")
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise Invalid.field("programme_id", "申报批次不存在")
    if not programme.is_open_on(local_date(now)):
        raise NotPossible(message("“%(title)s”不在申报期内（%(opens)s至%(closes)s）", title=programme.title,
                                  opens=str(programme.opens_on), closes=str(programme.closes_on)))
    enterprise = actor.enterprise
    if not jurisdictions.is_within(session, enterprise.jurisdiction_code, programme.jurisdiction_code):
        raise NotPossible(message("本单位不在“%(place)s”辖区内，不能申报该批次", place=programme.jurisdiction.name))
    needed = PREREQUISITE.get(programme.tier)
    if needed is not None and session.scalar(
        select(Designation.id).where(
            Designation.enterprise_id == enterprise.id, Designation.kind == programme.kind,
            Designation.tier == needed, Designation.state == DesignationState.active,
        )
    ) is None:
        raise NotPossible(message(PREREQUISITE_MISSING[programme.tier]))
    existing = session.scalar(
        select(Application).where(
            Application.programme_id == programme.id, Application.enterprise_id == enterprise.id,
            Application.state.not_in(TERMINAL),
        )
    )
    if existing is not None:
        raise NotPossible("本单位在该批次已有一份进行中的申报", {"application_id": existing.id})
    app = Application(
        programme=programme, enterprise=enterprise, place_code=enterprise.jurisdiction_code,
        guideline=programme.guideline, data={"year": local_date(now).year - 1}, created_by_id=actor.id,
        created_at=now,
    )
    session.add(app)
    session.flush()
    return app


def save_draft(
    session: Session, actor: Actor, app: Application, changes: dict[str, Any],
    now: datetime, expected_version: int | None = None,
) -> Application:
    """Merge form data into the draft (409 unless draft or returned)."""
    if not (is_role(actor, Role.applicant) and actor.enterprise_id == app.enterprise_id):
        raise Forbidden("只有申报单位本身可以修改申报数据")
    check_version(app, expected_version)
    if app.state not in (ApplicationState.draft, ApplicationState.returned):
        raise NotPossible("申报已提交，当前状态下不能修改")
    app.data = documents.merge(app.data or {}, changes)
    app.updated_at = now
    session.flush()
    return app


def add_evidence(
    session: Session, actor: Actor, app: Application, *, indicator: str, original_name: str,
    stored_name: str, content_type: str, size: int, sha256: str, now: datetime,
) -> EvidenceFile:
    if not (is_role(actor, Role.applicant) and actor.enterprise_id == app.enterprise_id):
        raise Forbidden("只有申报单位本身可以上传佐证材料")
    if app.state not in (ApplicationState.draft, ApplicationState.returned,
                         ApplicationState.awaiting_clarification):
        raise NotPossible("当前状态下不能上传佐证材料")
    guideline = evaluators.load(app.guideline).to_dict()
    known = {item["id"] for part in ("indicators", "basic_requirements", "vetoes") for item in guideline[part]}
    if indicator and indicator not in known:
        raise Invalid.field("indicator", message("指标“%(indicator)s”不属于本评价标准", indicator=indicator))
    evidence = EvidenceFile(
        application_id=app.id, indicator=indicator, original_name=original_name,
        stored_name=stored_name, content_type=content_type, size=size, sha256=sha256,
        uploaded_by_id=actor.id, uploaded_at=now,
    )
    session.add(evidence)
    session.flush()
    return evidence


def available_actions(session: Session, actor: Actor | None, app: Application) -> list[str]:
    """Triggers this actor may fire from the current state (conditions are checked on firing)."""
    if actor is None:
        return []
    return [
        t for t in TABLE.triggers
        if TABLE.can_fire_from(app.state, t) and permissions.application_action(session, actor, t, app)
    ]


def act(
    session: Session, actor: Actor, app: Application, trigger: str, now: datetime, *,
    reason: str = "", expected_version: int | None = None, **inputs: Any,
) -> Application:
    """Fire `trigger` on the application and perform what follows from it."""
    reason = TABLE.admit(app, trigger, lambda: permissions.application_action(session, actor, trigger, app),
                         expected_version=expected_version, reason=reason, reasons_required=REASON_REQUIRED)
    if trigger == "uphold_objection":
        inputs["objection"] = _objection(session, app, inputs.get("objection_id"))
    ctx = Context(session, actor, now, reason, inputs)
    if trigger == "recommend":  # the handover between bureaus, for the history
        ctx.details = {"from_jurisdiction": app.holding_jurisdiction_code,
                       "to_jurisdiction": jurisdictions.parents(session)[app.holding_jurisdiction_code]}
    before = app.state
    TABLE.fire(app, trigger, ctx)
    app.updated_at = now  # before anything flushes, so that one UPDATE (and one version) carries both
    _after(session, actor, app, trigger, before, ctx)
    write_changes(session, app)
    panels.review_entered_or_left(session, app, before)
    return app


def _objection(session: Session, app: Application, objection_id: Any) -> Objection:
    objection = session.get(Objection, objection_id) if objection_id is not None else None
    if objection is None or objection.application_id != app.id:
        raise Invalid.field("objection_id", "请指明本申报的一条异议")
    return objection


def _after(session: Session, actor: Actor, app: Application, trigger: str,
           before: ApplicationState, ctx: Context) -> None:
    from workflow import designations, notices

    now = ctx.now
    if trigger == "submit":
        app.submitted_at = now
        app.holding_jurisdiction_code = app.enterprise.jurisdiction_code
        app.clarification_question = None
    elif trigger == "recommend":
        app.holding_jurisdiction_code = jurisdictions.parents(session)[app.holding_jurisdiction_code]
    elif trigger == "accept":  # the row only: nothing reads an item object, which costs more to build
        key = f"{app.id}-{int(app.submitted_at.timestamp())}"
        outbox.add_all(session, "evaluate_application", [([app.id], key)], queue="evaluations")
    elif trigger == "request_clarification":
        app.clarification_question = ctx.reason
        app.clarification_answer = None
        audit.application_event(session, "clarification_requested", app.id, now, actor=actor, question=ctx.reason)
    elif trigger == "answer_clarification":
        app.clarification_answer = ctx.reason
        audit.application_event(session, "clarification_answered", app.id, now, actor=actor, answer=ctx.reason)
    elif trigger == "approve_for_notice" and not ctx.inputs.get("batch"):
        notices.open_notice(session, actor, [app], now)  # a batch opens one notice for all
    elif trigger == "uphold_objection":
        objection: Objection = ctx.inputs["objection"]
        objection.state = ObjectionState.upheld
        objection.resolution = ctx.reason
        objection.resolved_by_id = actor.id
        objection.resolved_at = now
        app.notice_id = None
        notifications.objection_decided(session, objection)
    elif trigger == "close_notice":
        app.designated_at = now
        designations.grant(session, app, now)
    notifications.application_changed(session, app, trigger, ctx.reason, now)
