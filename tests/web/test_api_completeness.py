"""The API is complete: every route under /api/v1 is in the OpenAPI document with its
parameters, body, answers (the one error envelope for 401/403/404/409/422), security and tag;
the lists document their paging, sorting, filters and export formats, and accept what they
document; and every action on a page has an API counterpart."""
from __future__ import annotations

import importlib
import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import application_in, designation_in, new_enterprise
from tests.security.access_matrix import MATRIX
from tests.web.apiclient import Api
from web import create_app

# Routes under /api/v1 that are not operations of the API, with the reason.
NOT_OPERATIONS = {("GET", "/api/v1/docs"): "the browsable reference page (HTML) over the document"}

# Write operations that take no body: the path says everything.
BODILESS = {
    ("post", "/api/v1/notices/{notice_id}/actions/close"): "closing a notice needs no input",
    ("post", "/api/v1/notifications/{notification_id}/read"): "marking a message read needs no input",
    ("post", "/api/v1/notifications/read"): "marking all of one's messages read needs no input",
    ("delete", "/api/v1/tokens/{token_id}"): "revoking a token needs no input",
}

# Every action (POST) of the pages and the API operations that do the same.
PAGE_ACTIONS = {
    "pages.login": ["token"],
    "pages.logout": ["revoke_token"],
    "pages.register": ["register"],
    "pages.password_reset": ["request_password_reset"],
    "pages.password_reset_confirm": ["confirm_password_reset"],
    "pages.applicant_start": ["create_application"],
    "pages.application_form": ["patch_application", "application_action"],  # save a draft; submit
    "pages.application_evidence": ["upload_evidence"],
    "pages.application_action_form": ["application_action"],
    "pages.panel_draw_form": ["draw_panel"],
    "pages.panel_discussion_form": ["close_panel_discussion"],
    "pages.conflict_declaration_form": ["declare_conflict"],
    "pages.objection_dismiss_form": ["dismiss_objection"],
    "pages.designation_action_form": ["designation_action"],
    "pages.programme_form": ["create_programme"],
    "pages.notices_open_form": ["open_notice"],
    "pages.notice_close_form": ["close_notice"],
    "pages.notice_page": ["file_objection"],
    "pages.verify_lookup": ["get_certificate", "verify_certificate_pdf"],  # by number; by PDF
    "pages.review_page": ["save_review", "review_action"],
    "pages.expert_pool_edit": ["update_expert"],
    "pages.expert_pool_action": ["expert_action"],
    "pages.expert_pool_import": ["import_experts"],
    "pages.inbox_read": ["read"],  # 标为已读, also when opening the message's link
    "pages.inbox_read_all": ["read_all"],
}

# What the main pages show, and the operations that read the same records.
PAGE_READS = {
    "pages.index": ["list_notices", "directory"],
    "pages.notice_list": ["list_notices"],
    "pages.directory_page": ["directory"],
    "pages.verify": ["get_certificate"],
    "pages.certificate_pdf": ["certificate_pdf"],
    "pages.applicant_home": ["programmes", "my_applications", "my_designations"],
    "pages.application_page": ["get_application", "get_panel", "list_conflicts"],
    "pages.designation_page": ["get_designation", "list_reports", "list_changes"],
    "pages.expert_home": ["my_reviews"],
    "pages.staff_home": ["list_applications", "list_designations", "programmes", "list_notices"],
    "pages.console_dashboard": ["dashboard_stats", "target_progress"],
    "pages.console_list": ["list_applications", "list_designations", "list_enterprises", "list_experts"],
    "pages.console_yearly_list": ["yearly_designations"],
    "pages.notices_console": ["managed_notices", "notice_progress"],
    "pages.expert_pool_page": ["list_experts", "export_experts"],
    "pages.inbox": ["inbox"],
}

# The lists: their filters, and whether they sort and export.
LISTS: dict[str, dict[str, Any]] = {
    "list_applications": {"filters": {"q", "state", "kind", "tier", "jurisdiction", "programme", "enterprise",
                                      "holding", "submitted_from", "submitted_to"}, "sort": True,
                          "formats": {"xlsx", "csv"}},
    "list_designations": {"filters": {"q", "state", "kind", "tier", "jurisdiction", "year"}, "sort": True,
                          "formats": {"xlsx", "csv"}},
    "list_enterprises": {"filters": {"q", "jurisdiction", "industry"}, "sort": True, "formats": {"xlsx", "csv"}},
    "list_experts": {"filters": {"q", "specialty", "jurisdiction", "status", "available_on"}, "sort": False,
                     "formats": {"xlsx"}},
    "directory": {"filters": {"q", "uscc", "kind", "tier", "jurisdiction", "status"}, "sort": False,
                  "formats": set()},
    "my_applications": {"filters": {"state", "programme"}, "sort": True, "formats": set()},
    "my_designations": {"filters": {"state"}, "sort": True, "formats": set()},
    "managed_notices": {"filters": {"state"}, "sort": False, "formats": set()},
}
# Who may read each list, to try its documented arguments.
LIST_READERS = {"my_applications": "qt_newmat", "my_designations": "qt_newmat", "directory": None}


@pytest.fixture(scope="module")
def bare_app() -> Flask:
    return create_app({"TESTING": True})


@pytest.fixture(scope="module")
def document(bare_app: Flask) -> dict[str, Any]:
    response = bare_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def api_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, Flask rule, OpenAPI path) of every API route."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in NOT_OPERATIONS:
                found.append((method, rule.rule, re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)))
    return found


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId → (method, path, operation)."""
    return {op["operationId"]: (method, path, op) for path, item in document["paths"].items()
            for method, op in item.items()}


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_document_is_valid_openapi(document) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")
    assert len({op["operationId"] for item in document["paths"].values() for op in item.values()}) == sum(
        len(item) for item in document["paths"].values())


def test_every_api_route_is_an_operation_and_every_operation_a_route(bare_app, document) -> None:
    routes = {(method.lower(), path) for method, _, path in api_routes(bare_app)}
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert sorted(routes - documented) == [], "API routes missing from the OpenAPI document"
    assert sorted(documented - routes) == [], "operations in the document that no route serves"


def test_every_operation_has_its_parameters_tag_and_security(bare_app, document) -> None:
    declared_tags = {t["name"]: t.get("description") for t in document["tags"]}
    for method, rule, path in api_routes(bare_app):
        op = document["paths"][path][method.lower()]
        where = f"{method} {path}"
        assert op["summary"].strip(), where
        in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert in_path == set(re.findall(r"{([a-z_]+)}", path)), where
        assert all(p["required"] for p in op["parameters"] if p["in"] == "path"), where
        for p in op["parameters"]:
            if p["in"] == "path" and p["name"] in ("trigger", "action"):
                assert p["schema"]["enum"], (where, "a closed set of actions is listed")
        assert len(op["tags"]) == 1 and declared_tags.get(op["tags"][0]), where
        # The access matrix says who may call it; the document must say the same.
        needs_user = MATRIX[(method, rule)]["anon"] == "401"
        assert op["security"] == ([{"bearer": []}] if needs_user else []), where
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["bearer"][
            "description"]}


def test_the_listed_transitions_are_those_of_the_state_machines(document) -> None:
    ops = operations(document)
    for name, machine in (("application_action", "application"), ("designation_action", "designation")):
        _, path, op = ops[name]
        (trigger,) = [p for p in op["parameters"] if p["name"] == "trigger"]
        table = importlib.import_module(f"workflow.{machine}_machine").TABLE
        assert set(trigger["schema"]["enum"]) == {row.trigger for row in table.rows}, path


def test_every_refusal_is_documented_with_the_error_envelope(bare_app, document) -> None:
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]
    for method, rule, path in api_routes(bare_app):
        op = document["paths"][path][method.lower()]
        where = f"{method} {path}"
        expected = set()
        if MATRIX[(method, rule)]["anon"] == "401":
            expected |= {"401", "403", "404"}
        if "{" in path:
            expected |= {"404", "409"}
        if method != "GET":
            expected |= {"409", "422"}
        if any(p["in"] == "query" for p in op["parameters"]):
            expected.add("422")
        assert expected <= set(op["responses"]), (where, expected - set(op["responses"]))
        for status, answer in op["responses"].items():
            if status.startswith("4"):
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
                    where, status)
            else:
                assert answer["description"], (where, status)


def test_every_write_documents_its_request_body(bare_app, document) -> None:
    for method, _, path in api_routes(bare_app):
        if method == "GET":
            continue
        op = document["paths"][path][method.lower()]
        if (method.lower(), path) in BODILESS:
            assert "requestBody" not in op, path
            continue
        assert "requestBody" in op, f"{method} {path} documents no request body"
        for media, content in op["requestBody"]["content"].items():
            assert media in ("application/json", "multipart/form-data"), (path, media)
            schema = resolve(document, content["schema"])
            assert schema["properties"], (path, media)
    files = [path for path, item in document["paths"].items() for op in item.values()
             if "multipart/form-data" in op.get("requestBody", {}).get("content", {})]
    assert set(files) >= {"/api/v1/applications/{application_id}/evidence", "/api/v1/experts/import",
                          "/api/v1/certificates/verify", "/api/v1/notices/{notice_id}/objections"}


def test_the_lists_document_paging_sorting_filters_and_formats(document) -> None:
    ops = operations(document)
    for name, expected in LISTS.items():
        _, path, op = ops[name]
        query = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
        assert {"page", "per_page"} <= set(query), path
        assert expected["filters"] <= set(query), (path, expected["filters"] - set(query))
        assert ("sort" in query) == expected["sort"], path
        if expected["formats"]:
            assert set(query["format"]["schema"]["enum"]) == expected["formats"], path
        else:
            assert "format" not in query, path
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Page"}, path
    page = document["components"]["schemas"]["Page"]
    assert set(page["required"]) == {"total", "page", "per_page", "items"}


def test_the_lists_accept_every_value_they_document(client, document) -> None:
    """Each documented choice of a filter or sort is understood, and an undocumented one is refused."""
    ops = operations(document)
    for name in LISTS:
        _, path, op = ops[name]
        api = Api(client, LIST_READERS.get(name, "hz_city"))
        for parameter in op["parameters"]:
            if parameter["in"] != "query" or parameter["name"] == "format":
                continue
            for value in parameter["schema"].get("enum", []):
                response = api.call("GET", path.removeprefix("/api/v1"), query_string={parameter["name"]: value})
                assert response.status_code == 200, (path, parameter["name"], value, response.json)
                assert set(response.json) >= {"total", "page", "per_page", "items"}, path
        response = api.call("GET", path.removeprefix("/api/v1"), query_string={"per_page": "0"})
        assert response.status_code == 422, (path, response.json)
        assert response.json["error"]["code"] == "invalid"


def conforms(document: dict[str, Any], operation: str, response: Any) -> None:
    """The answer has the shape the document gives for its operation and status."""
    _, path, op = operations(document)[operation]
    assert str(response.status_code) in op["responses"], (path, response.status_code)
    schema = op["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    errors = [e.message for e in OAS30Validator({**schema, "components": document["components"]})
              .iter_errors(response.json)]
    assert errors == [], (operation, errors[:3])


def test_the_answers_have_the_documented_shape(client, db, document) -> None:
    NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    designation = designation_in(db, D.suspended, NOW)
    draft = application_in(db, S.draft, NOW)
    listed = application_in(db, S.public_notice, NOW, applicant=new_enterprise(db, 4))
    db.commit()
    owner, city, public = Api(client, "qt_newmat"), Api(client, "hz_city"), Api(client)
    for api, operation, path in [
        (owner, "me", "/me"), (public, "programmes", "/programmes"),
        (owner, "get_application", f"/applications/{draft.id}"),
        (city, "get_application", f"/applications/{listed.id}"),
        (city, "get_designation", f"/designations/{designation.id}"),
        (public, "get_designation", f"/designations/{designation.id}"),
        (public, "get_certificate", f"/certificates/{designation.certificate.number}"),
        (public, "list_notices", "/notices"), (public, "get_notice", f"/notices/{listed.notice_id}"),
        (owner, "my_applications", "/me/applications"), (owner, "my_designations", "/me/designations"),
        (city, "managed_notices", "/notices/managed"), (city, "list_applications", "/applications"),
    ]:
        conforms(document, operation, api.call("GET", path, 200))
    conforms(document, "patch_application", owner.call("PATCH", f"/applications/{draft.id}", 200,
                                                       json={"data": {"year": 2025}}))
    conforms(document, "application_action", owner.call("POST", f"/applications/{draft.id}/actions/submit", 409))
    conforms(document, "get_application", owner.call("GET", f"/applications/{listed.id}", 404))


def test_every_page_action_has_an_api_counterpart(bare_app, document) -> None:
    actions = {rule.endpoint for rule in bare_app.url_map.iter_rules()
               if rule.endpoint.startswith("pages.") and "POST" in rule.methods}
    assert sorted(actions - set(PAGE_ACTIONS)) == [], "page actions without an API counterpart in PAGE_ACTIONS"
    assert sorted(set(PAGE_ACTIONS) - actions) == [], "PAGE_ACTIONS names page actions that no longer exist"
    known = operations(document)
    for page, counterparts in {**PAGE_ACTIONS, **PAGE_READS}.items():
        assert all(name in known for name in counterparts), (page, [n for n in counterparts if n not in known])
    pages = {rule.endpoint for rule in bare_app.url_map.iter_rules()}
    assert set(PAGE_READS) <= pages


def test_the_reference_page_serves_the_document_from_the_project(client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "接口文档" in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert scripts and styles and all(s.startswith("/static/") for s in scripts + styles)
    assert "<script>" not in html  # the Content-Security-Policy allows no inline script
    assert 'data-spec="/api/v1/openapi.json"' in html
    for asset in scripts + styles:
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
