"""API for the bureau console: progress against plan targets, the dashboard, and the lists of
applications, designations, enterprises and experts (JSON, or Excel and CSV with ?format=)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, request
from werkzeug.datastructures import MultiDict

from evaluators.messages import message
from models import Jurisdiction
from models.enums import Role
from web import db
from web.api import bp
from web.api.spec import route
from web.auth import current_actor, login_required
from workflow import listings, permissions, stats, targets
from workflow.actors import is_role
from workflow.clock import local_date, now
from workflow.errors import Forbidden, Invalid
from workflow.listings import Listing, ListQuery

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
LIST_PARAMETERS = "q、sort（如 -submitted_at）、page、per_page、format=xlsx|csv"


# Shared with the console pages ----------------------------------------------------------------------

def list_query(listing: Listing, args: MultiDict[str, str]) -> ListQuery:
    """The search, filters, sort and page of a list from the query string."""
    def number(name: str, default: int) -> int:
        value = args.get(name, "").strip()
        if not value:
            return default
        if not value.isdecimal() or len(value) > 9:
            raise Invalid.field(name, message("%(name)s 应为不超过9位的正整数", name=name))
        return int(value)

    known = {f.name for f in listing.filters}
    return ListQuery(q=args.get("q", ""), filters={k: v for k, v in args.items() if k in known and v.strip()},
                     sort=args.get("sort", ""), page=number("page", 1),
                     per_page=number("per_page", listings.DEFAULT_PER_PAGE))


def jurisdiction_in_scope(code: str | None) -> str:
    """The jurisdiction a staff member asks about: their own by default, or one in their subtree."""
    actor = current_actor()
    session = db.session()
    code = (code or actor.jurisdiction_code or "").strip()
    if not code:
        raise Invalid.field("jurisdiction", "请指定行政区划代码")
    if session.get(Jurisdiction, code) is None:
        raise Invalid.field("jurisdiction", message("行政区划代码“%(code)s”不存在", code=code))
    if not (is_role(actor, Role.admin) or permissions.is_staff_over(session, actor, code)):
        raise Forbidden("只能查看本辖区及下级行政区划的统计")
    return code


def export(listing: Listing, query: ListQuery, fmt: str, scope: list[str] | None) -> Response:
    session = db.session()
    if fmt not in FORMATS:
        raise Invalid.field("format", "format 只能为 xlsx 或 csv")
    rows = listings.every_row(session, listing, scope, query)
    stamp = local_date(now())
    if fmt == "xlsx":
        body = listings.to_xlsx(session, listing, rows, listing.title)
    else:
        body = listings.to_csv(session, listing, rows)
    return download(body, f"{listing.title}-{stamp:%Y%m%d}.{fmt}", f"{listing.name}-{stamp:%Y%m%d}.{fmt}",
                    FORMATS[fmt])


def download(body: bytes, filename: str, ascii_name: str, mimetype: str) -> Response:
    """An attachment under its Chinese name (RFC 6266), with a plain name for old clients."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")
    response.headers["Cache-Control"] = "no-store"
    return response


def yearly_list(args: MultiDict[str, str]) -> Response:
    """The designations granted in a year, in the layout of a submission to the ministry."""
    session = db.session()
    actor = current_actor()
    value = args.get("year", "").strip()
    if not (value.isdecimal() and 2000 <= int(value) <= 2100):
        raise Invalid.field("year", "请指定认定年度，如 2025")
    scope = listings.scope_of(session, actor)
    bureau = actor.jurisdiction.bureau_name if actor.jurisdiction else "系统管理员"
    body = listings.ministry_xlsx(session, scope, int(value), bureau, local_date(now()))
    return download(body, f"{value}年度认定名单.xlsx", f"designations-{value}.xlsx", FORMATS["xlsx"])


PLAIN = frozenset((str, int, float, bool, type(None)))  # most cells of a page: written as they are


def _json(value: Any) -> Any:
    if type(value) in PLAIN:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return str(value)
    return value


def _list(listing: Listing) -> Any:
    session = db.session()
    scope = listings.scope_of(session, current_actor())
    query = list_query(listing, request.args)
    fmt = request.args.get("format", "").strip()
    if fmt:
        return export(listing, query, fmt, scope)
    page = listings.fetch(session, listing, scope, query)
    items = []
    counted = listing.extra() != ()  # rows of (entity, count, ...) rather than entities
    cells = [(c.key, c.get) for c in listing.columns]
    for row in page.rows:
        item = {"id": (row[0] if counted else row).id}
        for key, get in cells:
            value = get(row, session)
            item[key] = value if type(value) in PLAIN else _json(value)
        items.append(item)
    return jsonify({"total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages,
                    "sort": page.sort, "items": items})


# Endpoints --------------------------------------------------------------------------------------------

@route(bp, "/applications", "GET", "申报台账（工作人员，本辖区，不含草稿）：state、kind、tier、jurisdiction、programme、"
       "enterprise、holding、submitted_from、submitted_to、" + LIST_PARAMETERS)
@db.reads_only
@login_required(Role.staff, Role.admin)
def list_applications() -> Any:
    return _list(listings.APPLICATIONS)


@route(bp, "/designations", "GET", "认定台账（工作人员，本辖区）：state、kind、tier、jurisdiction、year、" + LIST_PARAMETERS)
@db.reads_only
@login_required(Role.staff, Role.admin)
def list_designations() -> Any:
    return _list(listings.DESIGNATIONS)


@route(bp, "/designations/yearly", "GET", "年度认定名单（报部格式 Excel）：year")
@login_required(Role.staff, Role.admin)
def yearly_designations() -> Any:
    return yearly_list(request.args)


@route(bp, "/enterprises", "GET", "企业名录（工作人员，本辖区）：jurisdiction、industry（如 C30）、" + LIST_PARAMETERS)
@db.reads_only
@login_required(Role.staff, Role.admin)
def list_enterprises() -> Any:
    return _list(listings.ENTERPRISES)


@route(bp, "/stats/targets", "GET", "规划目标完成情况：jurisdiction（本辖区或下级）")
@login_required(Role.staff, Role.admin)
def target_progress() -> Any:
    code = jurisdiction_in_scope(request.args.get("jurisdiction"))
    rows = targets.progress(db.session(), code, local_date(now()))
    return jsonify(rows)


@route(bp, "/stats/dashboard", "GET", "统计分析：认定分布、申报漏斗、评审周期、逾期年报、目标进度：jurisdiction")
@login_required(Role.staff, Role.admin)
def dashboard_stats() -> Any:
    code = jurisdiction_in_scope(request.args.get("jurisdiction"))
    board = stats.dashboard(db.session(), code, local_date(now()))
    return jsonify(dashboard_json(board))


def dashboard_json(board: stats.Dashboard) -> dict[str, Any]:
    def counts(values: list[stats.Count]) -> list[dict[str, Any]]:
        return [{"key": c.key, "label": c.label, "count": c.value} for c in values]

    t = board.turnaround
    return {
        "jurisdiction": {"code": board.jurisdiction.code, "name": board.jurisdiction.name},
        "today": board.today.isoformat(), "on_record": board.on_record,
        "designations": {"by_kind": counts(board.by_kind), "by_tier": counts(board.by_tier),
                         "by_state": counts(board.by_state), "by_district": counts(board.by_district)},
        "applications": {"funnel": counts(board.funnel), "by_state": counts(board.by_application_state)},
        "turnaround": {"count": t.count, "median_days": t.median_days, "fastest_days": t.fastest_days,
                       "slowest_days": t.slowest_days,
                       "by_kind": [{"kind": k, "count": n, "median_days": m} for k, n, m in t.by_kind]},
        "overdue_reports": [{"report_id": r.report_id, "designation_id": r.designation_id, "holder": r.holder,
                             "place": r.place, "year": r.year, "due_on": r.due_on.isoformat(),
                             "days_late": r.days_late, "designation_state": r.designation_state}
                            for r in board.overdue_reports],
        "targets": board.targets,
    }
