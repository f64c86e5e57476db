"""The access-control matrix, one test per route: each actor gets the answer the table says."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ApiToken, EvidenceFile, Expert
from models.enums import ApplicationState as S
from models.enums import CertificateStatus
from models.enums import DesignationState as D
from models.enums import Role
from tests.builders import application_in, designation_in, hangzhou_programme, new_enterprise, user
from tests.conftest import app_over
from tests.security.access_matrix import ACTORS, MATRIX
from web import create_app
from workflow import accounts, changes, notices, notifications, panels, reviews, runtime

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
PDF = b"%PDF-1.4\n% GreenCert access test\n%%EOF\n"
TRIGGERS = {"application": "request_clarification", "designation": "suspend"}


@dataclass
class World:
    ids: dict[str, Any]
    usernames: dict[str, str]


def routes(app: Flask) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    app = create_app({"TESTING": True})
    assert sorted(routes(app) - set(MATRIX)) == [], "routes without a row in tests/security/access_matrix.py"
    assert sorted(set(MATRIX) - routes(app)) == [], "rows of the access matrix for routes that no longer exist"


@pytest.fixture
def matrix_app(factory, tmp_path) -> Flask:
    return app_over(factory, tmp_path, WTF_CSRF_ENABLED=False)


@pytest.fixture
def world(db, matrix_app) -> World:
    designation = designation_in(db, D.active, NOW)
    # Whoever reviewed the designation may not review the same enterprise again within 3 years:
    # give the pool a second specialist of the applicant's industry.
    reviewed = {r.expert_id for r in designation.application.panel.reviews}
    second = next(e for e in db.scalars(select(Expert).order_by(Expert.id))
                  if e.id not in reviewed and "C30" not in e.specialties)
    second.specialties = [*second.specialties, "C30"]
    certificate = designation.certificate
    runtime.current().storage.save("certificates/access.pdf", PDF)
    certificate.status, certificate.pdf_path, certificate.issued_at = CertificateStatus.issued, "certificates/access.pdf", NOW
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="access-matrix")
    review = panel.reviews[0]
    reviews.respond(db, review.expert.user, review, True, NOW)
    on_panel = {r.expert.user.username for r in panel.reviews}
    other_expert = next(u for u in ("expert_wang", "expert_li", "expert_zhang", "expert_chen", "expert_zhao",
                                    "expert_sun", "expert_zhou") if u not in on_panel)
    runtime.current().storage.save("evidence/access.pdf", PDF)
    evidence = EvidenceFile(application_id=app.id, indicator="", original_name="能源审计报告.pdf",
                            stored_name="access.pdf", content_type="application/pdf", size=len(PDF), sha256="0" * 64,
                            uploaded_by_id=user(db, "qt_newmat").id, uploaded_at=NOW)
    db.add(evidence)
    other = new_enterprise(db, 8)
    listed = application_in(db, S.public_notice, NOW, applicant=other)
    runtime.current().storage.save("objections/access.pdf", PDF)
    objection = notices.file_objection(db, listed.notice_id, application_id=listed.id, name="李四", contact="lisi@example.com",
                                       content="该企业固废台账与申报数据不符，请核实", now=NOW,
                                       evidence=[{"name": "台账.pdf", "stored_name": "access.pdf",
                                                  "content_type": "application/pdf", "size": len(PDF), "sha256": ""}])
    owner = user(db, "qt_newmat")
    change = changes.report(db, owner, designation, changes={"address": "杭州市钱塘区新址"}, description="搬迁", now=NOW)
    notifications.notify(db, [owner], key="access", subject="测试消息", now=NOW)
    accounts.issue_token(db, owner, NOW, label="access")
    accounts.add_user(db, username="nb_city", password="greencert-demo", role=Role.staff, jurisdiction="330200",
                      name="宁波市经信局")
    db.flush()
    ids = {
        "application_id": app.id, "designation_id": designation.id, "notice_id": listed.notice_id,
        "objection_id": objection.id, "evidence_id": evidence.id, "review_id": review.id, "change_id": change.id,
        "notification_id": _notification_id(db, owner),
        "token_id": db.scalar(select(ApiToken.id).where(ApiToken.user_id == owner.id)),
        "number": certificate.number, "key": "factory-gbt36132-2018", "day": "2027-02-08", "index": 0,
        "token": "not-a-reset-token", "programme_id": hangzhou_programme(db).id,
        "expert_id": db.scalar(select(Expert.id).where(Expert.name == "王建国")),
    }
    db.commit()
    return World(ids, {
        "owner": "qt_newmat", "other_applicant": other.username, "panel_expert": review.expert.user.username,
        "other_expert": other_expert, "holding_staff": "hz_city", "parent_staff": "zj_province",
        "sibling_staff": "nb_city", "admin": "admin"})


def _notification_id(db, owner) -> int:
    from models import Notification

    return db.scalar(select(Notification.id).where(Notification.user_id == owner.id))


def url_for_rule(rule: str, world: World) -> str:
    path = rule
    for name, value in world.ids.items():
        for converter in ("int:", ""):
            path = path.replace(f"<{converter}{name}>", str(value))
    kind = "designation" if "/designations/" in rule else "application"
    path = path.replace("<trigger>", TRIGGERS[kind])
    path = path.replace("<action>", "accept" if "/changes/" in rule else "deactivate" if "/experts/" in rule
                        else "submit")
    path = path.replace("<any(applications, designations, enterprises, experts):name>", "applications")
    assert "<" not in path, path
    return path


def payload(method: str, rule: str, world: World) -> dict[str, Any]:
    if method in ("GET", "DELETE"):
        return {}
    api = rule.startswith("/api/")
    if rule.endswith("/evidence"):
        return {"data": {"file": (io.BytesIO(PDF), "报告.pdf")}, "content_type": "multipart/form-data"}
    bodies = {
        "/api/v1/applications": {"programme_id": world.ids["programme_id"]},
        "/api/v1/applications/<int:application_id>": {"data": {}},
        "/api/v1/notices": {"application_ids": [world.ids["application_id"]]},
        "/api/v1/designations/<int:designation_id>/reports": {"year": 2026, "data": {}},
        "/api/v1/designations/<int:designation_id>/changes": {"changes": {}, "description": "名称变更"},
        "/api/v1/calendar/<day>": {"working": True},
        "/api/v1/tokens": {"label": "测试"},
        "/api/v1/reviews/<int:review_id>": {"scores": {}},
        "/api/v1/applications/<int:application_id>/panel/discussion": {"conclusion": "经讨论，维持各自评分"},
        "/applications/<int:application_id>/panel/discussion": {"conclusion": "经讨论，维持各自评分"},
        "/applications/<int:application_id>/actions": {"trigger": "request_clarification", "reason": "请补充"},
        "/designations/<int:designation_id>/actions": {"trigger": "suspend", "reason": "暂停"},
        "/desk/reviews/<int:review_id>": {"action": "save"},
        "/login": {"username": "qt_newmat", "password": "greencert-demo"},
        "/console/notices": {"application_ids": str(world.ids["application_id"])},
        "/portal/applications": {"programme_id": str(world.ids["programme_id"])},
        "/portal/applications/<int:application_id>/form": {"action": "save"},
    }
    body = bodies.get(rule, {"reason": "依据核查结论"} if ("/actions" in rule or "dismiss" in rule) else {})
    return {"json": body} if api else {"data": body}


def outcome(response: Any, api: bool) -> str:
    if not api and response.status_code == 302 and "/login" in response.headers.get("Location", ""):
        return "login"
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    return "ok"


def signed_in(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    if username:
        password = "password-123" if username.startswith("applicant") else "greencert-demo"  # tests.builders
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, username
    return client


@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX), ids=[f"{m} {r}" for m, r in sorted(MATRIX)])
def test_route(method: str, rule: str, matrix_app, world, factory) -> None:
    connection = factory.kw["bind"]
    clients = {actor: signed_in(matrix_app, world.usernames.get(actor)) for actor in ACTORS}
    answers = {}
    for actor in ACTORS:
        savepoint = connection.begin_nested()
        try:
            response = clients[actor].open(url_for_rule(rule, world), method=method, **payload(method, rule, world))
            answers[actor] = outcome(response, rule.startswith("/api/"))
            response.close()
        finally:
            savepoint.rollback()
    assert {a: v for a, v in answers.items() if v != MATRIX[(method, rule)][a]} == {}
