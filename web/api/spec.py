"""The API's routes and their OpenAPI description come from one declaration per endpoint."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, request
from marshmallow import Schema

from web.schemas import Base


@dataclass(frozen=True)
class Endpoint:
    rule: str
    method: str
    summary: str
    body: type[Schema] | None
    status: int
    auth: bool
    tag: str


ENDPOINTS: list[Endpoint] = []


def route(bp: Blueprint, rule: str, method: str, summary: str, *, body: type[Schema] | None = None,
          status: int = 200, auth: bool = True, tag: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        ENDPOINTS.append(Endpoint(rule, method, summary, body, status, auth, tag or rule.split("/")[1]))
        bp.add_url_rule(rule, f"{view.__name__}", view, methods=[method])
        return view

    return decorator


def parse(schema: type[Base]) -> dict[str, Any]:
    """The JSON body, validated; marshmallow's ValidationError becomes the 422 envelope."""
    payload = request.get_json(silent=True)
    if payload is None:
        payload = {}
    return schema().load(payload)


ERROR = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}},
}


def openapi(server_url: str) -> dict[str, Any]:
    spec = APISpec(
        title="GreenCert API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "绿色低碳工厂、园区、供应链管理企业认定与动态管理系统接口"},
        servers=[{"url": server_url}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    paths: dict[str, dict[str, Any]] = {}
    for e in ENDPOINTS:
        path = "/api/v1" + e.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        operation: dict[str, Any] = {
            "summary": e.summary, "tags": [e.tag], "operationId": f"{e.method.lower()}_{e.rule}",
            "responses": {str(e.status): {"description": "成功", "content": {
                "application/json": {"schema": {"type": "object"}}}}},
        }
        for status in ([401, 403] if e.auth else []) + [404, 409, 422]:
            operation["responses"][str(status)] = {
                "description": {401: "未登录", 403: "无权", 404: "不存在", 409: "状态冲突", 422: "输入有误"}[status],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        params = [
            {"name": name.split(":")[-1], "in": "path", "required": True,
             "schema": {"type": "integer" if name.startswith("int:") else "string"}}
            for name in _path_params(e.rule)
        ]
        if params:
            operation["parameters"] = params
        if e.auth:
            operation["security"] = [{"bearer": []}]
        if e.body is not None:
            name = e.body.__name__
            if name not in spec.components.schemas:
                spec.components.schema(name, schema=e.body)
            content_type = "multipart/form-data" if name == "EvidenceIn" else "application/json"
            operation["requestBody"] = {"required": True, "content": {
                content_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}}}
        paths.setdefault(path, {})[e.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _path_params(rule: str) -> list[str]:
    import re

    return re.findall(r"<([^>]+)>", rule)
