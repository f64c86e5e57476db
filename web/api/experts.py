"""API of the expert pool (专家库) for staff: search, edit, deactivate, Excel export and import.

(Adding an expert, POST /experts, lives with the other account endpoints.)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema, fields

from models import Expert
from models.enums import Role
from web import db
from web.api import bp
from web.api import representations as rep
from web.api.spec import parse, route
from web.auth import current_actor, login_required
from web.schemas import NOT_BLANK, Base
from workflow import expert_pool, panels
from workflow.clock import now
from workflow.errors import Invalid, NotFound

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 5 * 1024 * 1024


class FormerEmployerIn(Schema):
    name = fields.String(required=True, validate=NOT_BLANK)
    uscc = fields.String(load_default=None, allow_none=True)
    from_ = fields.Date(data_key="from", load_default=None, allow_none=True)
    until = fields.Date(load_default=None, allow_none=True)


class ExpertPatch(Base):
    name = fields.String(validate=NOT_BLANK)
    title = fields.String()
    employer = fields.String(validate=NOT_BLANK)
    employer_uscc = fields.String(allow_none=True)
    specialties = fields.List(
        fields.String(),
        metadata={
            "description": "GB/T 4754 大类代码（如 C30）或 energy、environment、carbon、safety"
        },
    )
    jurisdiction = fields.String()
    former_employers = fields.List(fields.Nested(FormerEmployerIn))
    unavailable_from = fields.Date(allow_none=True)
    unavailable_until = fields.Date(allow_none=True)
    version = fields.Integer(load_default=None)


class DeactivateIn(Base):
    reason = fields.String(required=True, validate=NOT_BLANK)


def expert_body(expert: Expert, load: int, editable: bool) -> dict[str, Any]:
    return {
        **rep.expert(expert),
        "username": expert.user.username,
        "email": expert.user.email,
        "specialty_labels": [panels.specialty_label(s) for s in expert.specialties or []],
        "former_employers": expert.former_employers or [],
        "unavailable_from": _iso(expert.unavailable_from),
        "unavailable_until": _iso(expert.unavailable_until),
        "deactivated_at": _iso(expert.deactivated_at),
        "deactivated_by": expert.deactivated_by,
        "deactivation_reason": expert.deactivation_reason,
        "version": expert.version,
        "open_reviews": load,
        "editable": editable,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, str(default)).strip()
    if not raw.isdecimal() or not low <= int(raw) <= high:
        raise Invalid.field(name, f"{name} 应为 {low} 至 {high} 之间的整数")
    return int(raw)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise Invalid.field(name, "日期格式应为“年-月-日”，如 2026-12-31") from None


def _search(export: bool = False) -> expert_pool.Page:
    """One page of the search; an export takes every match unless a page is asked for."""
    args = request.args
    return expert_pool.search(
        db.session(),
        current_actor(),
        q=args.get("q", ""),
        specialty=args.get("specialty", ""),
        jurisdiction=args.get("jurisdiction", "").strip(),
        status=args.get("status", "active"),
        available_on=_date_arg("available_on"),
        page=_int("page", 1, 1, 100000),
        per_page=_int(
            "per_page",
            expert_pool.MAX_ROWS if export else 20,
            1,
            expert_pool.MAX_ROWS if export else 100,
        ),
    )


def _wants_xlsx() -> bool:
    return request.path.endswith(".xlsx") or request.args.get("format") == "xlsx"


def _xlsx(page: expert_pool.Page) -> Response:
    data = expert_pool.export_workbook(db.session(), page.items)
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E4%B8%93%E5%AE%B6%E5%BA%93.xlsx"
    )
    return response


@route(
    bp,
    "/experts",
    "GET",
    "专家库（工作人员）：q、specialty、jurisdiction、status（active/inactive/all）、available_on、"
    "page、per_page；format=xlsx 导出 Excel",
)
@login_required(Role.staff, Role.admin)
def list_experts() -> Any:
    if _wants_xlsx():
        return _xlsx(_search(export=True))
    page = _search()
    session, actor = db.session(), current_actor()
    load = expert_pool.open_reviews(session, page.items)
    return jsonify(
        {
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "items": [
                expert_body(e, load[e.id], bool(expert_pool.can_manage(session, actor, e)))
                for e in page.items
            ],
        }
    )


@route(
    bp, "/experts.xlsx", "GET", "导出专家库为 Excel（筛选条件同专家库列表；中文表头，可修改后导入）"
)
@login_required(Role.staff, Role.admin)
def export_experts() -> Any:
    return _xlsx(_search(export=True))


@route(bp, "/experts/<int:expert_id>", "GET", "专家详情（工作人员）")
@login_required(Role.staff, Role.admin)
def get_expert(expert_id: int) -> Any:
    session, actor = db.session(), current_actor()
    expert = expert_pool.load(session, actor, expert_id)
    return jsonify(
        expert_body(
            expert,
            expert_pool.open_reviews(session, [expert])[expert.id],
            bool(expert_pool.can_manage(session, actor, expert)),
        )
    )


@route(
    bp,
    "/experts/<int:expert_id>",
    "PATCH",
    "修改专家信息（本辖区的专家；带 version 防止覆盖他人修改）",
    body=ExpertPatch,
)
@login_required(Role.staff, Role.admin)
def update_expert(expert_id: int) -> Any:
    args = parse(ExpertPatch)
    session, actor = db.session(), current_actor()
    expert = expert_pool.load(session, actor, expert_id, for_update=True)
    version = args.pop("version", None)
    if "former_employers" in args:
        args["former_employers"] = [
            {**f, "from": f.pop("from_", None)} for f in args["former_employers"]
        ]
    expert_pool.update(session, actor, expert, args, version)
    db.commit()
    return jsonify(
        expert_body(expert, expert_pool.open_reviews(session, [expert])[expert.id], True)
    )


@route(
    bp,
    "/experts/<int:expert_id>/actions/<action>",
    "POST",
    "停用（deactivate，须写明原因；保留其全部评审记录）或恢复（activate）专家",
    body=DeactivateIn,
)
@login_required(Role.staff, Role.admin)
def expert_action(expert_id: int, action: str) -> Any:
    session, actor = db.session(), current_actor()
    expert = expert_pool.load(session, actor, expert_id, for_update=True)
    if action == "deactivate":
        args = parse(DeactivateIn)
        expert_pool.deactivate(session, actor, expert, args["reason"], now())
    elif action == "activate":
        expert_pool.reactivate(session, actor, expert)
    else:
        raise NotFound(f"未知操作“{action}”")
    db.commit()
    return jsonify(
        expert_body(expert, expert_pool.open_reviews(session, [expert])[expert.id], True)
    )


@route(
    bp,
    "/experts/import",
    "POST",
    "从 Excel 导入专家（multipart: file）：逐行校验，任何一行有误则不导入任何专家并列出行号和原因",
    status=201,
)
@login_required(Role.staff, Role.admin)
def import_experts() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid.field("file", "请选择要导入的 Excel 文件（.xlsx）")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid.field("file", "文件过大，专家名单不超过5MB")
    session, actor = db.session(), current_actor()
    result = expert_pool.import_workbook(session, actor, data)
    db.commit()
    return jsonify(
        {
            "created": len(result.created),
            "updated": len(result.updated),
            "experts": [
                {"id": e.id, "username": e.user.username, "name": e.name}
                for e in result.created + result.updated
            ],
        }
    ), 201
