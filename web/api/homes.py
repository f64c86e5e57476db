"""What each audience's home page shows, for programs: the applicant's own applications and
designations (/portal), the bureau's own notices in every state (/console/notices), and a
certificate's PDF (/certificates/<number>.pdf)."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import Select, func, select

from models import Application, Designation, Notice, Programme
from models.enums import ApplicationState, CertificateStatus, DesignationState, NoticeState, Role
from web import db
from web.api import bp
from web.api import representations as rep
from web.api.spec import route
from web.auth import current_actor, login_required
from web.downloads import send_stored
from workflow import certificates, jurisdictions, listings, notices
from workflow.errors import NotFound


class PageArgs(Schema):
    """page and per_page of a list; the list's own filters and sort are added by each list."""

    class Meta:
        unknown = EXCLUDE  # other query-string arguments are not this schema's business

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000),
                          metadata={"description": "页码，从1开始"})
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200),
                              metadata={"description": "每页条数（1至200）"})


def _choices(enum: Any) -> validate.OneOf:
    return validate.OneOf([m.value for m in enum])


class MyApplicationsArgs(PageArgs):
    state = fields.String(validate=_choices(ApplicationState), metadata={"description": "申报状态"})
    programme = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={"description": "申报批次编号"})
    sort = fields.String(load_default="-id", validate=validate.OneOf(["id", "-id", "updated_at", "-updated_at"]),
                         metadata={"description": "排序：id、updated_at，前加“-”为倒序"})


class MyDesignationsArgs(PageArgs):
    state = fields.String(validate=_choices(DesignationState), metadata={"description": "认定状态"})
    sort = fields.String(load_default="-id", validate=validate.OneOf(["id", "-id", "valid_until", "-valid_until"]),
                         metadata={"description": "排序：id、valid_until，前加“-”为倒序"})


class ManagedNoticesArgs(PageArgs):
    state = fields.String(validate=_choices(NoticeState), metadata={"description": "公示状态"})


def _args(schema: type[Schema]) -> dict[str, Any]:
    """The query string, validated; marshmallow's ValidationError becomes the 422 envelope."""
    return schema().load(request.args.to_dict())


def _page(query: Select[Any], args: dict[str, Any], order: Any) -> listings.Page:
    session = db.session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.order_by(order).offset((args["page"] - 1) * args["per_page"])
                                .limit(args["per_page"])))
    return listings.Page(rows, total, args["page"], args["per_page"], args.get("sort", ""))


def _paged(page: listings.Page, items: list[dict[str, Any]]) -> Any:
    return jsonify({"total": page.total, "page": page.page, "per_page": page.per_page,
                    "pages": page.pages, "items": items})


def _order(column: Any, sort: str) -> Any:
    return column.desc() if sort.startswith("-") else column.asc()


@route(bp, "/me/applications", "GET", "本单位的申报（申报单位，同“我的申报”页）：state、programme、sort、page、per_page",
       query=MyApplicationsArgs, tag="applications")
@login_required(Role.applicant)
def my_applications() -> Any:
    args = _args(MyApplicationsArgs)
    actor = current_actor()
    query = select(Application).where(Application.enterprise_id == actor.enterprise_id)
    if "state" in args:
        query = query.where(Application.state == ApplicationState(args["state"]))
    if "programme" in args:
        query = query.where(Application.programme_id == args["programme"])
    column = {"id": Application.id, "updated_at": Application.updated_at}[args["sort"].lstrip("-")]
    page = _page(query, args, _order(column, args["sort"]))
    return _paged(page, [{
        "id": a.id, "state": str(a.state), "version": a.version, "programme_id": a.programme_id,
        "programme": a.programme.title, "kind": str(a.programme.kind), "tier": str(a.programme.tier),
        "holding_jurisdiction": a.holding_jurisdiction_code, "auto_score": a.auto_score,
        "panel_score": a.panel_score, "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
        "updated_at": a.updated_at.isoformat(), "notice_id": a.notice_id} for a in page.rows])


@route(bp, "/me/designations", "GET", "本单位的认定（申报单位，同“我的申报”页）：state、sort、page、per_page",
       query=MyDesignationsArgs, tag="designations")
@login_required(Role.applicant)
def my_designations() -> Any:
    args = _args(MyDesignationsArgs)
    actor = current_actor()
    query = select(Designation).where(Designation.enterprise_id == actor.enterprise_id)
    if "state" in args:
        query = query.where(Designation.state == DesignationState(args["state"]))
    column = {"id": Designation.id, "valid_until": Designation.valid_until}[args["sort"].lstrip("-")]
    page = _page(query, args, _order(column, args["sort"]))
    return _paged(page, [{
        "id": d.id, "state": str(d.state), "version": d.version, "kind": str(d.kind), "tier": str(d.tier),
        "jurisdiction": d.jurisdiction_code, "application_id": d.application_id,
        "valid_from": d.valid_from.isoformat(), "valid_until": d.valid_until.isoformat(),
        "certificate": rep.certificate(d.certificate)} for d in page.rows])


@route(bp, "/notices/managed", "GET", "本辖区的公示，含已结束的，附认定和制证进度（工作人员，同公示管理页）：state、page、per_page",
       query=ManagedNoticesArgs, tag="notices")
@login_required(Role.staff)
def managed_notices() -> Any:
    args = _args(ManagedNoticesArgs)
    session, actor = db.session(), current_actor()
    own = [p.id for p in session.scalars(select(Programme))
           if jurisdictions.is_within(session, p.jurisdiction_code, actor.jurisdiction_code)]
    query = select(Notice).where(Notice.programme_id.in_(own))
    if "state" in args:
        query = query.where(Notice.state == NoticeState(args["state"]))
    page = _page(query, args, Notice.id.desc())
    return _paged(page, [{**rep.notice(n, staff=True), "progress": notices.progress(n)} for n in page.rows])


@route(bp, "/certificates/<number>/pdf", "GET", "下载证书 PDF（公众；已作废或未出证的返回404）", auth=False,
       tag="certificates", produces="application/pdf")
def certificate_pdf(number: str) -> Any:
    certificate = certificates.find(db.session(), number)
    if certificate is None or certificate.status is not CertificateStatus.issued:
        raise NotFound(f"证书编号“{number}”没有可下载的证书")
    return send_stored(certificate.pdf_path or "", mimetype="application/pdf", download_name=f"{number}.pdf")

