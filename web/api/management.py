"""API for dynamic management and the public record: yearly reports, notices in batches,
the directory of designations, the feed of changes, the notification inbox."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask import jsonify, request
from marshmallow import fields, validate
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from models import Certificate, ChangeReport, Designation, Enterprise, Notice, Notification, TransitionLog, YearlyReport
from models.enums import CertificateStatus, DesignationState, Kind, Role, Tier
from web import db
from web.errors import LARGEST_ID
from web.api import bp
from web.api import representations as rep
from web.api.spec import parse, route
from web.auth import current_actor, login_required
from web.schemas import Base, NoticeIn, load_document
from workflow import applications, changes, jurisdictions, notices, notifications, permissions, reports, totals
from workflow import db as workflow_db
from workflow.clock import now
from workflow.errors import Invalid, NotFound, NotPossible

PAGE_SIZE = validate.Range(min=1, max=200, error="每页条数应在1至200之间")


class ReportIn(Base):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100, error="年度不正确"))
    data = fields.Dict(required=True)


def report(r: YearlyReport) -> dict[str, Any]:
    return {"id": r.id, "designation_id": r.designation_id, "year": r.year, "due_on": r.due_on.isoformat(),
            "state": str(r.state), "total": r.total, "eligible": r.eligible, "finding": r.finding,
            "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
            "evaluation": r.evaluation, "data": r.data}


def _designation_for(designation_id: int) -> Designation:
    designation = db.session().get(Designation, designation_id)
    if designation is None or not permissions.can_view_designation(db.session(), current_actor(), designation):
        raise NotFound("认定记录不存在")
    return designation


@route(bp, "/designations/<int:designation_id>/reports", "GET", "年度动态管理表列表")
@login_required()
def list_reports(designation_id: int) -> Any:
    designation = _designation_for(designation_id)
    rows = db.session().scalars(select(YearlyReport).where(YearlyReport.designation_id == designation.id)
                                .order_by(YearlyReport.year.desc()))
    return jsonify([report(r) for r in rows])


@route(bp, "/designations/<int:designation_id>/reports", "POST", "报送年度动态管理表（持有单位）", body=ReportIn,
       status=201)
@login_required(Role.applicant)
def file_report(designation_id: int) -> Any:
    designation = _designation_for(designation_id)
    args = parse(ReportIn)
    document = load_document(designation.application.guideline, args["data"])
    filed = reports.file(db.session(), current_actor(), designation, args["year"], document, now())
    db.commit()
    return jsonify(report(filed)), 201


@route(bp, "/notices", "POST", "将评审完成的一批申报列入同一公示（工作人员）", body=NoticeIn, status=201)
@login_required(Role.staff)
def open_notice() -> Any:
    args = parse(NoticeIn)
    actor = current_actor()
    session = db.session()
    apps = [applications.load(session, actor, i, for_update=True) for i in dict.fromkeys(args["application_ids"])]
    if len({a.programme_id for a in apps}) > 1:
        raise Invalid.field("application_ids", "一次公示只能包含同一申报批次的申报")
    for app in apps:
        applications.act(session, actor, app, "approve_for_notice", now(), batch=True)
    notice = notices.open_notice(session, actor, apps, now())
    db.commit()
    return jsonify(rep.notice(notice)), 201


@route(bp, "/directory", "GET", "认定名录查询（公众）：q、uscc、kind、tier、jurisdiction、status、page、per_page",
       auth=False)
@db.reads_only
def directory() -> Any:
    args = request.args
    per_page = _int(args.get("per_page", "50"), "per_page", 1, 200)
    page = _int(args.get("page", "1"), "page", 1, 100000)
    searched = tuple((n, args.get(n, "")) for n in ("q", "uscc", "kind", "tier", "status", "jurisdiction"))
    rows_statement, counted = _directory_statements(searched)
    total = totals.total(totals.key("directory", list(searched)), lambda: db.session().scalar(counted))
    rows = db.session().execute(rows_statement, {"page_offset": (page - 1) * per_page, "page_limit": per_page}).all()
    current = _current_certificates(row.id for row in rows)
    return jsonify({"total": total, "page": page, "per_page": per_page, "items": [{
        "id": r.id, "holder": r.name, "uscc": r.uscc, "kind": str(r.kind), "tier": str(r.tier),
        "jurisdiction": r.jurisdiction_code, "state": str(r.state),
        "valid_from": r.valid_from.isoformat(), "valid_until": r.valid_until.isoformat(),
        "certificate": current.get(r.id)} for r in rows]})


def _directory_statements(searched: tuple[tuple[str, str], ...]) -> tuple[Select[Any], Select[Any]]:
    """The page's rows (the page as parameters) and the count for a search of the directory, built
    once for the search (`jurisdictions.kept`, as the lists' statements are); refused as a whole
    when a condition is not understood."""
    session = db.session()
    return jurisdictions.kept(session, ("directory", searched), lambda: _directory_built(session, dict(searched)))


def _directory_built(session: Session, args: dict[str, str]) -> tuple[Select[Any], Select[Any]]:
    query = select(Designation)
    if args["q"]:
        query = query.where(Enterprise.name.contains(args["q"].strip()))
    if args["uscc"]:
        query = query.where(Enterprise.uscc == args["uscc"].strip().upper())
    for name, enum, column in (("kind", Kind, Designation.kind), ("tier", Tier, Designation.tier),
                               ("status", DesignationState, Designation.state)):
        if args[name]:
            if args[name] not in enum.__members__:
                raise Invalid.field(name, f"{name} 取值不正确，可选：{'、'.join(enum.__members__)}")
            query = query.where(column == enum(args[name]))
    if args["jurisdiction"]:
        inside = [c for c in jurisdictions.parents(session) if jurisdictions.is_within(session, c, args["jurisdiction"])]
        if not inside:
            raise Invalid.field("jurisdiction", "行政区划代码不存在")
        query = query.where(Enterprise.jurisdiction_code.in_(inside))
    holder = query.join(Enterprise, Designation.enterprise_id == Enterprise.id)
    # Counted without the holders unless a condition is on them; the count is kept until the
    # register next changes (workflow.totals).
    counted = (holder if any(args[n] for n in ("q", "uscc", "jurisdiction")) else query).with_only_columns(
        func.count(), maintain_column_froms=True)
    # The columns the page shows rather than whole records (a designation carries its proposal).
    rows = (holder.with_only_columns(Designation.id, Enterprise.name, Enterprise.uscc, Designation.kind,
                                     Designation.tier, Enterprise.jurisdiction_code, Designation.state,
                                     Designation.valid_from, Designation.valid_until, maintain_column_froms=True)
            .order_by(Designation.id.desc())
            .offset(bindparam("page_offset", type_=Integer())).limit(bindparam("page_limit", type_=Integer())))
    return rows, counted


_CURRENT_CERTIFICATES = (
    select(Certificate.designation_id, Certificate.number, Certificate.status, Certificate.issued_at)
    .where(workflow_db.one_of(Certificate.designation_id, bindparam("ids")),
           Certificate.status != CertificateStatus.superseded)
    .order_by(Certificate.id))


def _current_certificates(designation_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """designation id → its current certificate as `rep.certificate` shows it: the newest one not
    superseded (`Designation.certificate`), read for a whole page at once."""
    ids = list(designation_ids)
    if not ids:
        return {}
    rows = db.session().execute(_CURRENT_CERTIFICATES, {"ids": ids})
    return {r.designation_id: rep.certificate(r) for r in rows}  # type: ignore[arg-type]


@route(bp, "/feed", "GET", "认定变动信息（公众，供其他系统轮询）：since（ISO 时间）、after_id", auth=False)
def feed() -> Any:
    query = select(TransitionLog).where(TransitionLog.entity == "designation")
    if request.args.get("since"):
        try:
            since = datetime.fromisoformat(request.args["since"])
        except ValueError:
            raise Invalid.field("since", "since 应为 ISO-8601 时间，如 2026-11-01T00:00:00+08:00") from None
        if since.tzinfo is None:
            raise Invalid.field("since", "since 须带时区，如 +08:00")
        query = query.where(TransitionLog.at >= since)
    if request.args.get("after_id"):
        query = query.where(TransitionLog.id > _int(request.args["after_id"], "after_id", 0, LARGEST_ID))
    rows = list(db.session().scalars(query.order_by(TransitionLog.id).limit(500)))
    items = []
    for row in rows:
        d = db.session().get(Designation, row.entity_id)
        items.append({"id": row.id, "at": row.at.isoformat(), "designation_id": d.id, "holder": d.enterprise.name,
                      "uscc": d.enterprise.uscc, "kind": str(d.kind), "tier": str(d.tier), "event": row.trigger,
                      "from_state": row.from_state, "to_state": row.to_state,
                      "reason": row.reason if row.to_state in ("revoked", "suspended", "rectifying", "withdrawn") else "",
                      "certificate": d.certificate.number if d.certificate else None})
    return jsonify({"items": items, "next_after_id": rows[-1].id if rows else request.args.get("after_id")})


@route(bp, "/notifications", "GET", "我的站内消息（最新在前）")
@login_required()
def inbox() -> Any:
    return jsonify([_message(n) for n in notifications.inbox(db.session(), current_actor())])


@route(bp, "/notifications/<int:notification_id>/read", "POST", "标记一条消息为已读（只能是自己的消息）")
@login_required()
def read(notification_id: int) -> Any:
    message = notifications.mark_read(db.session(), current_actor(), notification_id, now())
    db.commit()
    return jsonify(_message(message))


@route(bp, "/notifications/read", "POST", "全部标为已读")
@login_required()
def read_all() -> Any:
    marked = notifications.mark_all_read(db.session(), current_actor(), now())
    db.commit()
    return jsonify({"marked": marked, "unread": 0})


def _message(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "subject": n.subject, "body": n.body, "link": n.link,
            "created_at": n.created_at.isoformat(), "read": n.read_at is not None}


def _int(value: str, name: str, low: int, high: int) -> int:
    if not value.isdecimal() or not low <= int(value) <= high:
        raise Invalid.field(name, f"{name} 应为{low}至{high}之间的整数")
    return int(value)




class CalendarDayIn(Base):
    working = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=100))


class ChangeIn(Base):
    changes = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    description = fields.String(load_default="")


class ResolutionIn(Base):
    reason = fields.String(load_default="")


@route(bp, "/calendar/<day>", "PUT", "维护节假日安排：某日放假或调休上班（系统管理员）", body=CalendarDayIn)
@login_required(Role.admin)
def set_calendar_day(day: str) -> Any:
    args = parse(CalendarDayIn)
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Invalid.field("day", "日期格式应为“年-月-日”，如 2027-02-08") from None
    row = notices.set_calendar_day(db.session(), current_actor(), parsed, args["working"], args["note"])
    db.commit()
    return jsonify({"day": row.day.isoformat(), "working": row.working, "note": row.note})


@route(bp, "/notices/<int:notice_id>/progress", "GET", "公示结束后认定和制证进度")
@login_required(Role.staff)
def notice_progress(notice_id: int) -> Any:
    notice = _notice(notice_id)
    if not permissions.is_staff_over(db.session(), current_actor(), notices.notice_programme(notice).jurisdiction_code):
        raise NotFound("公示不存在")
    return jsonify(notices.progress(notice))


@route(bp, "/notices/<int:notice_id>/actions/close", "POST", "结束公示并认定（工作人员；公示期满且无待处理异议）")
@login_required(Role.staff)
def close_notice(notice_id: int) -> Any:
    notice = notices.close(db.session(), current_actor(), _notice(notice_id), now())
    db.commit()
    return jsonify(notices.progress(notice))


def _notice(notice_id: int) -> Notice:
    notice = db.session().get(Notice, notice_id)
    if notice is None:
        raise NotFound("公示不存在")
    return notice


def change(row: ChangeReport) -> dict[str, Any]:
    return {"id": row.id, "designation_id": row.designation_id, "changes": row.changes,
            "description": row.description, "state": row.state, "resolution": row.resolution,
            "filed_at": row.filed_at.isoformat()}


@route(bp, "/designations/<int:designation_id>/changes", "POST", "报告名称、地址或边界变更（持有单位）", body=ChangeIn,
       status=201)
@login_required(Role.applicant)
def report_change(designation_id: int) -> Any:
    designation = _designation_for(designation_id)
    args = parse(ChangeIn)
    row = changes.report(db.session(), current_actor(), designation, now=now(), **args)
    db.commit()
    return jsonify(change(row)), 201


@route(bp, "/designations/<int:designation_id>/changes", "GET", "变更报告列表")
@login_required()
def list_changes(designation_id: int) -> Any:
    designation = _designation_for(designation_id)
    rows = db.session().scalars(select(ChangeReport).where(ChangeReport.designation_id == designation.id)
                                .order_by(ChangeReport.id.desc()))
    return jsonify([change(r) for r in rows])


@route(bp, "/changes/<int:change_id>/actions/<action>", "POST", "复核变更：accept（换发证书）或 reject（工作人员）",
       body=ResolutionIn)
@login_required(Role.staff)
def resolve_change(change_id: int, action: str) -> Any:
    row = changes.load(db.session(), change_id)
    _designation_for(row.designation_id)
    args = parse(ResolutionIn)
    if action not in ("accept", "reject"):
        raise NotPossible(f"未知操作“{action}”")
    changes.resolve(db.session(), current_actor(), row, accept=action == "accept", reason=args["reason"], now=now())
    db.commit()
    return jsonify(change(row))
