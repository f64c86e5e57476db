"""The API's routes and their OpenAPI description come from one declaration per endpoint."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, request
from marshmallow import Schema

from models.enums import ApplicationState, DesignationState, Kind, NoticeState, Role, Tier
from web.schemas import Base
from workflow import application_machine, designation_machine, listings


@dataclass(frozen=True)
class Endpoint:
    rule: str
    method: str
    summary: str
    body: type[Schema] | None
    status: int
    auth: bool
    tag: str
    name: str = ""
    query: type[Schema] | None = None
    produces: str = "application/json"


ENDPOINTS: list[Endpoint] = []


def route(bp: Blueprint, rule: str, method: str, summary: str, *, body: type[Schema] | None = None,
          status: int = 200, auth: bool = True, tag: str = "", query: type[Schema] | None = None,
          produces: str = "application/json") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on the API blueprint and describe it: `body` is the JSON it accepts,
    `query` a schema of its query-string arguments, `produces` the media type of a success."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        ENDPOINTS.append(Endpoint(rule, method, summary, body, status, auth, tag or _tag_of(rule), view.__name__,
                                  query, produces))
        bp.add_url_rule(rule, f"{view.__name__}", view, methods=[method])
        return view

    return decorator


def parse(schema: type[Base]) -> dict[str, Any]:
    """The JSON body, validated; marshmallow's ValidationError becomes the 422 envelope."""
    payload = request.get_json(silent=True)
    if payload is None:
        payload = {}
    return schema().load(payload)


# Tags: the first segment of a path names the part of the system it belongs to. ----------------

TAGS = {
    "accounts": "账号、登录、找回密码与个人访问令牌",
    "reference": "评价标准与本接口的文档",
    "programmes": "申报批次",
    "applications": "申报：草稿、佐证材料、提交与各级审核操作",
    "reviews": "专家评审：邀请、评分、补充说明",
    "panels": "专家组抽取、回避申请与分歧讨论",
    "experts": "专家库（工作人员）",
    "notices": "公示与异议",
    "designations": "认定与动态管理：整改、暂停、撤销、年度报告、变更",
    "certificates": "证书验证与下载（公众）",
    "public": "公开的认定名录与变动信息",
    "console": "工作台：台账、统计、导出（工作人员）",
    "notifications": "站内消息",
    "admin": "系统管理",
}
_TAG_OF_SEGMENT = {
    "auth": "accounts", "registrations": "accounts", "me": "accounts", "tokens": "accounts",
    "guidelines": "reference", "openapi.json": "reference", "evidence": "applications",
    "experts.xlsx": "experts", "objections": "notices", "changes": "designations", "directory": "public",
    "feed": "public", "stats": "console", "enterprises": "console", "calendar": "admin",
}


def _tag_of(rule: str) -> str:
    segment = rule.split("/")[1]
    if "/panel" in rule or rule.endswith("/conflicts"):
        return "panels"
    return _TAG_OF_SEGMENT.get(segment, segment)


# Query-string arguments of the endpoints declared without a `query` schema. --------------------

PAGE = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}, "description": "页码"},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200},
     "description": "每页条数"},
]
FORMAT = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["xlsx", "csv"]},
          "description": "导出全部符合条件的记录：xlsx（Excel）或 csv；不填返回 JSON"}
EXPORTS = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                     "format": "binary"}},
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
}


def _arg(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema or {"type": "string"}, "description": description}


def _enum(enum: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [m.value for m in enum]}


def _listing(listing: listings.Listing) -> list[dict[str, Any]]:
    """A console list: search, its filters (with their choices), sort, page and export format."""
    args = [_arg("q", listing.search_hint)]
    for f in listing.filters:
        schema = {"type": "string", "enum": [value for value, _ in f.choices]} if f.choices else None
        args.append(_arg(f.name, f.label, schema))
    sorts = sorted(listing.sorts)
    args.append(_arg("sort", f"排序，前加“-”为倒序；默认 {listing.default_sort}",
                     {"type": "string", "enum": sorts + [f"-{s}" for s in sorts]}))
    return args + PAGE + [FORMAT]


_EXPERT_SEARCH = [
    _arg("q", "姓名、单位或用户名"), _arg("specialty", "专业：GB/T 4754 大类代码（如 C30）或 energy、environment、carbon、safety"),
    _arg("jurisdiction", "所在地区的 GB/T 2260 代码"),
    _arg("status", "在库状态", {"type": "string", "enum": ["active", "inactive", "all"], "default": "active"}),
    _arg("available_on", "这一天可以参加评审", {"type": "string", "format": "date"}),
]
_JURISDICTION = [_arg("jurisdiction", "行政区划代码：本辖区（默认）或下级")]
QUERY: dict[str, list[dict[str, Any]]] = {
    "list_applications": _listing(listings.APPLICATIONS),
    "list_designations": _listing(listings.DESIGNATIONS),
    "list_enterprises": _listing(listings.ENTERPRISES),
    "list_experts": [*_EXPERT_SEARCH, *PAGE, {**FORMAT, "schema": {"type": "string", "enum": ["xlsx"]}}],
    "export_experts": _EXPERT_SEARCH,
    "yearly_designations": [{**_arg("year", "认定年度，如 2025", {"type": "integer", "minimum": 2000,
                                                              "maximum": 2100}), "required": True}],
    "target_progress": _JURISDICTION,
    "dashboard_stats": _JURISDICTION,
    "programmes": [_arg("status", "open 只列申报期内的；all 或不填列出全部", {"type": "string",
                                                                     "enum": ["open", "all"]})],
    "directory": [_arg("q", "单位名称（包含）"), _arg("uscc", "统一社会信用代码"), _arg("kind", "类别", _enum(Kind)),
                  _arg("tier", "层级", _enum(Tier)), _arg("jurisdiction", "所在地区的 GB/T 2260 代码（含下级）"),
                  _arg("status", "认定状态", _enum(DesignationState)), *PAGE],
    "feed": [_arg("since", "只列此时刻以后的变动（ISO-8601，须带时区）", {"type": "string", "format": "date-time"}),
             _arg("after_id", "只列编号大于此数的变动（上次返回的 next_after_id）", {"type": "integer", "minimum": 0})],
}

# Path arguments whose values are a closed set, per operation.
PATH_CHOICES: dict[tuple[str, str], dict[str, Any]] = {
    ("application_action", "trigger"): {
        "type": "string", "enum": list(application_machine.TABLE.triggers),
        "description": "操作名；当前状态下本人可执行的见申报详情的 available_actions"},
    ("designation_action", "trigger"): {
        "type": "string", "enum": list(designation_machine.TABLE.triggers),
        "description": "操作名；当前状态下本人可执行的见认定详情的 available_actions"},
    ("review_action", "action"): {"type": "string", "enum": ["accept", "decline", "clarify", "submit"]},
    ("expert_action", "action"): {"type": "string", "enum": ["deactivate", "activate"]},
    ("resolve_change", "action"): {"type": "string", "enum": ["accept", "reject"]},
    ("set_calendar_day", "day"): {"type": "string", "format": "date"},
}

# Request bodies that are files (multipart/form-data) rather than JSON.
_FILE = {"type": "string", "format": "binary"}
UPLOADS: dict[str, dict[str, Any]] = {
    "upload_evidence": {"type": "object", "required": ["file"], "properties": {
        "file": _FILE, "indicator": {"type": "string", "description": "所佐证的指标编号；空为综合材料"}}},
    "import_experts": {"type": "object", "required": ["file"], "properties": {"file": _FILE}},
    "verify_certificate_pdf": {"type": "object", "required": ["file"], "properties": {"file": _FILE}},
    "file_objection": {"type": "object", "required": ["name", "contact", "content"], "properties": {
        "application_id": {"type": "integer"}, "name": {"type": "string"}, "contact": {"type": "string"},
        "content": {"type": "string"}, "files": {"type": "array", "maxItems": 5, "items": _FILE}}},
}

# Successes that are lists rather than one object.
ARRAYS = {"guidelines", "programmes", "list_notices", "inbox", "list_tokens", "my_reviews", "list_reports",
          "list_changes", "list_conflicts", "target_progress"}
EXPORT_ONLY = {"export_experts": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "yearly_designations": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "download_evidence": "application/octet-stream",
               "objection_evidence": "application/octet-stream"}

ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string", "description": "如 not_found、forbidden、not_possible、invalid"},
        "message": {"type": "string", "description": "中文说明"},
        "details": {"type": "object", "description": "输入有误时 fields 列出各字段的问题"}}}},
}
PAGED = {
    "type": "object", "required": ["total", "page", "per_page", "items"],
    "properties": {"total": {"type": "integer", "description": "符合条件的总条数（精确值；翻页时沿用已计数的结果，"
                                                              "任何记录变更提交后重新计数）"},
                   "page": {"type": "integer"}, "per_page": {"type": "integer"},
                   "pages": {"type": "integer"}, "sort": {"type": "string"},
                   "items": {"type": "array", "items": {"type": "object"}}},
}

# The resources a success returns: the keys every answer has, with their types. ---------------

def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


_INT, _NUM, _STR = {"type": "integer"}, {"type": "number"}, {"type": "string"}
_LIST = {"type": "array", "items": {}}


def _maybe(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _states(enum: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [m.value for m in enum]}


HISTORY = _object({"trigger": _STR, "from_state": _STR, "to_state": _STR, "at": _STR},
                  {"actor": _maybe(_STR), "reason": _maybe(_STR), "note": _maybe(_STR)})
RESOURCES: dict[str, dict[str, Any]] = {
    "User": _object({"id": _INT, "username": _STR, "role": _states(Role), "name": _STR,
                     "jurisdiction": _maybe(_STR), "enterprise_id": _maybe(_INT)}),
    "Programme": _object({"id": _INT, "title": _STR, "kind": _states(Kind), "tier": _states(Tier),
                          "jurisdiction": _STR, "guideline": _STR, "opens_on": _STR, "closes_on": _STR,
                          "pass_mark": _NUM, "panel_size": _INT, "notice_working_days": _INT,
                          "validity_years": _INT, "divergence_threshold": _NUM}),
    "Application": _object({
        "id": _INT, "state": _states(ApplicationState), "version": _INT, "programme_id": _INT,
        "kind": _states(Kind), "tier": _states(Tier), "guideline": _STR,
        "enterprise": _object({"id": _INT, "uscc": _STR, "name": _STR, "jurisdiction": _STR}),
        "holding_jurisdiction": _maybe(_STR), "available_actions": {"type": "array", "items": _STR},
        "data": _maybe({"type": "object"}), "evaluation": _maybe({"type": "object"}),
        "auto_score": _maybe(_NUM), "panel_score": _maybe(_NUM), "evidence": _LIST, "reviewers": _LIST,
        "notice_id": _maybe(_INT), "submitted_at": _maybe(_STR),
        "history": {"type": "array", "items": HISTORY}, "designation_id": _maybe(_INT)}),
    "Certificate": _object({"number": _STR, "status": _STR, "issued_at": _maybe(_STR)}),
    "Designation": _object({
        "id": _INT, "state": _states(DesignationState), "version": _INT, "kind": _states(Kind),
        "tier": _states(Tier), "holder": _STR, "holder_uscc": _STR, "jurisdiction": _STR,
        "application_id": _INT, "valid_from": _STR, "valid_until": _STR, "reason_code": _maybe(_STR),
        "reason": _maybe(_STR), "available_actions": {"type": "array", "items": _STR},
        "certificate": _maybe({"$ref": "#/components/schemas/Certificate"}),
        "history": {"type": "array", "items": HISTORY}}),
    "PublicCertificate": _object({
        "number": _STR, "holder": _STR, "uscc": _STR, "kind": _states(Kind), "tier": _states(Tier),
        "issuer": _STR, "status": _STR, "certificate_status": _STR, "valid_from": _STR, "valid_until": _STR,
        "reason_code": _maybe(_STR), "reason": _maybe(_STR)}),
    "Notice": _object({"id": _INT, "title": _STR, "state": _states(NoticeState), "starts_on": _maybe(_STR),
                       "ends_on": _maybe(_STR), "working_days": _INT, "applications": _LIST,
                       "objections": _LIST}),
}
# Which resource each operation answers with (a list of them for the ARRAYS).
ANSWERS = {
    "me": "User", "confirm_password_reset": "User", "programmes": "Programme", "create_programme": "Programme",
    "create_application": "Application", "get_application": "Application", "patch_application": "Application",
    "application_action": "Application", "get_designation": "Designation", "designation_action": "Designation",
    "get_certificate": "PublicCertificate", "list_notices": "Notice", "get_notice": "Notice",
    "open_notice": "Notice",
}

ERRORS = {401: "未登录或令牌无效", 403: "无权执行", 404: "不存在或无权查看", 409: "当前状态不允许，或已被他人修改",
          422: "输入有误", 429: "尝试过于频繁，请稍后再试"}
# Operations that refuse on their own: a wrong password (401) and too many attempts (429,
# web/throttle.py and the sign-in lock-out).
THROTTLED = {"token": [401, 429], "file_objection": [429], "get_certificate": [429],
             "verify_certificate_pdf": [429]}


def openapi(server_url: str) -> dict[str, Any]:
    spec = APISpec(
        title="GreenCert API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "绿色低碳工厂、园区、供应链管理企业认定与动态管理系统接口。"
                             "用 POST /auth/token 或 POST /tokens 取得令牌，以 Authorization: Bearer <令牌> 访问；"
                             "出错时一律返回 {\"error\": {\"code\", \"message\", \"details\"}}。"},
        servers=[{"url": server_url}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                "description": "访问令牌（POST /auth/token 或 POST /tokens）"})
    spec.components.schema("Error", ERROR)
    spec.components.schema("Page", PAGED)
    for name, schema in RESOURCES.items():
        spec.components.schema(name, schema)
    for name, description in TAGS.items():
        spec.tag({"name": name, "description": description})
    paths: dict[str, dict[str, Any]] = {}
    for e in ENDPOINTS:
        path = "/api/v1" + e.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        paths.setdefault(path, {})[e.method.lower()] = _operation(spec, e)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(spec: APISpec, e: Endpoint) -> dict[str, Any]:
    path_params = [{"name": name.split(":")[-1], "in": "path", "required": True,
                    "schema": {"type": "integer"} if name.startswith("int:")
                    else PATH_CHOICES.get((e.name, name), {"type": "string"})}
                   for name in re.findall(r"<([^>]+)>", e.rule)]
    query: list[Any] = QUERY.get(e.name, [])
    if e.query is not None:
        query = [{"in": "query", "schema": e.query}]
    operation: dict[str, Any] = {
        "summary": e.summary, "tags": [e.tag], "operationId": e.name,
        "parameters": path_params + query,
        "responses": {str(e.status): _success(e, bool(query) and _paged(e, query))},
        "security": [{"bearer": []}] if e.auth else [],
    }
    if e.body is not None or e.name in UPLOADS:
        operation["requestBody"] = {"required": True, "content": _body(spec, e)}
    for status in _errors(e, path_params, query):
        operation["responses"][str(status)] = {
            "description": ERRORS[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return operation


def _paged(e: Endpoint, query: list[Any]) -> bool:
    if e.query is not None:
        return "page" in e.query().fields
    return any(p["name"] == "page" for p in query)


def _success(e: Endpoint, paged: bool) -> dict[str, Any]:
    if e.status == 204:
        return {"description": "成功，无内容"}
    if e.name in EXPORT_ONLY or e.produces != "application/json":
        return {"description": "文件", "content": {EXPORT_ONLY.get(e.name, e.produces): {"schema": _FILE}}}
    item: dict[str, Any] = {"type": "object"}
    if e.name in ANSWERS:
        item = {"$ref": f"#/components/schemas/{ANSWERS[e.name]}"}
    schema = item
    if paged:
        schema = {"$ref": "#/components/schemas/Page"}
    elif e.name in ARRAYS:
        schema = {"type": "array", "items": item}
    content = {"application/json": {"schema": schema}}
    if any(p.get("name") == "format" for p in QUERY.get(e.name, [])):
        content.update({k: v for k, v in EXPORTS.items() if k in _formats(e)})
    return {"description": "成功", "content": content}


def _formats(e: Endpoint) -> set[str]:
    (fmt,) = [p for p in QUERY[e.name] if p.get("name") == "format"]
    named = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
    return {named[v] for v in fmt["schema"]["enum"]}


def _body(spec: APISpec, e: Endpoint) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if e.body is not None:
        name = e.body.__name__
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=e.body)
        content["application/json"] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
    if e.name in UPLOADS:
        content["multipart/form-data"] = {"schema": UPLOADS[e.name]}
    return content


def _errors(e: Endpoint, path_params: list[Any], query: list[Any]) -> list[int]:
    """The refusals an operation can give: 401 and 403 when it needs a user; 404 when it names a
    record; 409 when it changes something or reads a record whose state matters; 422 when it
    reads input."""
    statuses = [401, 403] if e.auth else []
    writes = e.method != "GET"
    if path_params or e.auth:
        statuses.append(404)
    if writes or path_params:
        statuses.append(409)
    if writes or query or path_params or e.body is not None:
        statuses.append(422)
    return [*statuses, *THROTTLED.get(e.name, [])]
