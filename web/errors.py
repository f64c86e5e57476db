"""One JSON error envelope for the API, `{"error": {"code", "message", "details"}}`, and
friendly Chinese error pages for the browser."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import IntegerConverter

from web import db
from workflow.errors import WorkflowError
from workflow.storage import StorageError

log = logging.getLogger(__name__)

MESSAGES = {
    400: "请求格式不正确",
    401: "请先登录",
    403: "无权执行该操作",
    404: "页面或记录不存在",
    405: "不支持该请求方法",
    409: "与当前状态冲突",
    413: "上传的文件过大",
    415: "不支持的内容类型",
    422: "输入有误",
    500: "服务器内部错误，请稍后再试",
    503: "系统暂时无法处理请求，请稍后再试",
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid", 500: "internal_error", 503: "unavailable"}
# A dropped database connection or an unreachable file store: nothing was kept, and the same
# request is likely to succeed in a moment.
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def envelope(status: int, message: str, details: dict[str, Any] | None = None,
             code: str | None = None) -> Response:
    response = jsonify({"error": {"code": code or CODES.get(status, "error"), "message": message,
                                  "details": details or {}}})
    response.status_code = status
    return response


def _respond(status: int, message: str, details: dict[str, Any] | None = None,
             code: str | None = None) -> Any:
    db.session().rollback()
    if wants_json():
        return envelope(status, message, details, code)
    if status == 401:
        return redirect(url_for("pages.login", next=request.full_path))
    return render_template("error.html", status=status, message=message, details=details or {}), status


# Row ids are 32-bit integers on every database we run on (INTEGER on PostgreSQL); a larger
# number in a URL names no record, so it is a 404 like any other missing record.
LARGEST_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond any row id is a missing record (404), also
    where the same path takes other methods (a converter that merely failed would make it 405)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > LARGEST_ID:
            raise NotFound()
        return number


def register(app: Flask) -> None:
    # Before any blueprint adds its routes, which take their converters when they are added.
    app.url_map.converters["int"] = RowIdConverter

    @app.errorhandler(WorkflowError)
    def workflow_error(error: WorkflowError) -> Any:
        response = make_response(_respond(error.status, error.message, error.details, error.code))
        if error.status == 429 and "retry_after_seconds" in error.details:
            response.headers["Retry-After"] = str(error.details["retry_after_seconds"])
        return response

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError) -> Any:
        fields = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        return _respond(422, "输入有误，请按提示修改", {"fields": fields}, "invalid")

    @app.errorhandler(StaleDataError)
    def stale(error: StaleDataError) -> Any:
        return _respond(409, "该记录已被他人修改，请刷新后再操作", None, "conflict")

    @app.errorhandler(IntegrityError)
    def integrity(error: IntegrityError) -> Any:
        log.info("integrity error: %s", error)
        return _respond(409, "与已有记录冲突，请刷新后再试", None, "conflict")

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Any:
        if not (error.connection_invalidated or isinstance(error, OperationalError)):
            return unexpected(error)
        log.warning("database unavailable: %s", error)
        return unavailable()

    @app.errorhandler(StorageError)
    def storage_error(error: StorageError) -> Any:
        log.warning("file store unavailable: %s", error)
        return unavailable()

    def unavailable() -> Any:
        response = make_response(_respond(503, MESSAGES[503], None))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(CSRFError)
    def csrf(error: CSRFError) -> Any:
        return _respond(400, "页面已过期或来源不明，请刷新页面后重新提交", None, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        return _respond(status, MESSAGES.get(status, error.description or ""), None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        log.exception("unhandled error")
        return _respond(500, MESSAGES[500], None)
