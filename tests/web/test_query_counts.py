"""No list costs one query per row: the number of queries a page takes stays the same whatever
the page size and however many records there are (no N+1), for the bureau's lists (API and
console pages) and the public directory (API and page)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import (Application, Certificate, Designation, Enterprise, EvidenceFile, Expert, Programme, TransitionLog,
                    User)
from models.enums import ApplicationState, DesignationState, Role
from tests.conftest import statements_sent
from tests.web.apiclient import Api
from workflow.demo import with_check

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
COUNTIES = ["330114", "330106", "330109", "340811"]  # Hangzhou's and Anqing's, to exercise the scope

API_LISTS = [
    "/applications?per_page={n}&sort=-submitted_at",
    "/applications?per_page={n}&sort=name&state=designated",
    "/designations?per_page={n}",
    "/designations?per_page={n}&sort=name&kind=factory",
    "/enterprises?per_page={n}&sort=-applications",
]
PAGES = [
    "/console",
    "/console/applications?per_page={n}",
    "/console/designations?per_page={n}",
    "/console/enterprises?per_page={n}",
    "/console/experts?per_page={n}",
]
PUBLIC = [
    "/api/v1/directory?per_page={n}",
    "/api/v1/directory?per_page={n}&kind=factory&status=active",
    "/directory",
]


def grow(session: Session, first: int, count: int) -> None:
    """`count` more pairs of enterprises, one with a designated application (its evidence, its log,
    its designation and certificate), the other with one still submitted, and one more expert."""
    programme = session.scalars(select(Programme).where(Programme.jurisdiction_code == "330100")).first()
    staff = session.scalars(select(User).where(User.username == "hz_city")).one()
    for number in range(first, first + count):
        county = COUNTIES[number % len(COUNTIES)]
        # One enterprise designated, another with an application only: a page that read each
        # row's enterprise one at a time would not find the second among the designations'.
        enterprises = [Enterprise(uscc=with_check(f"91{county}MA2{letter}{number:04d}X"),
                                  name=f"杭州计数测试{suffix}有限公司{number}", jurisdiction_code=county,
                                  industry_codes=["C3011"], created_at=NOW)
                       for letter, suffix in (("Q", ""), ("R", "申报"))]
        user = User(username=f"counted{number}", password_hash="x", role=Role.expert, name=f"专家{number}")
        session.add_all([*enterprises, user])
        session.flush()
        session.add(Expert(user_id=user.id, name=f"专家{number}", specialties=["energy", "C30"],
                           jurisdiction_code=county))
        for state, enterprise in zip((ApplicationState.designated, ApplicationState.submitted), enterprises):
            designated = state is ApplicationState.designated
            app = Application(programme_id=programme.id, enterprise_id=enterprise.id, state=state,
                              holding_jurisdiction_code="330100", guideline=programme.guideline, data={},
                              auto_score=85.0, panel_score=86.0 if designated else None, submitted_at=NOW,
                              designated_at=NOW if designated else None, created_at=NOW, updated_at=NOW)
            session.add(app)
            session.flush()
            session.add(EvidenceFile(application_id=app.id, indicator="", original_name="能源审计报告.pdf",
                                     stored_name=f"counted-{app.id}.pdf", content_type="application/pdf", size=1,
                                     sha256="0" * 64, uploaded_by_id=staff.id))
            session.add(TransitionLog(entity="application", entity_id=app.id, trigger="submit",
                                      from_state="draft", to_state="submitted", actor_label="申报单位", at=NOW))
            if designated:
                designation = Designation(
                    application_id=app.id, enterprise_id=enterprise.id, programme_id=programme.id,
                    kind=programme.kind, tier=programme.tier, jurisdiction_code="330100",
                    state=DesignationState.active, valid_from=date(2026, 1, 5) + timedelta(days=number),
                    valid_until=date(2029, 1, 4), created_at=NOW, changed_at=NOW)
                session.add(designation)
                session.flush()
                session.add(Certificate(designation_id=designation.id, number=f"330100-GF-2026-{9000 + number}",
                                        jurisdiction_code="330100", kind_code="GF", year=2026,
                                        sequence=9000 + number, holder=enterprise.name))
    session.commit()


def queries(engine: Engine, client: FlaskClient, path: str, headers: dict[str, str]) -> int:
    client.get(path, headers=headers)  # warm: reference data read once per process is not the point
    with statements_sent(engine) as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)


def sign_in(client: FlaskClient, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = client.post("/login", data={"username": username, "password": "greencert-demo", "csrf_token": token})
    assert response.status_code == 302


def counts(engine: Engine, client: FlaskClient, paths: list[str], prefix: str,
           headers: dict[str, str]) -> dict[tuple[str, int], int]:
    return {(path, n): queries(engine, client, prefix + path.format(n=n), headers) for path in paths for n in (20, 200)}


@pytest.mark.parametrize("who, paths, prefix", [
    ("zj_province", API_LISTS, "/api/v1"), ("admin", API_LISTS, "/api/v1"),
    ("zj_province", PAGES, ""), (None, PUBLIC, ""),
])
def test_queries_per_page_do_not_grow_with_page_size_or_data(engine, db, client, who, paths, prefix) -> None:
    grow(db, 0, 5)
    headers: dict[str, str] = {}
    if who and prefix:
        headers = Api(client, who).headers
    elif who:
        sign_in(client, who)
    few = counts(engine, client, paths, prefix, headers)
    grow(db, 5, 60)
    many = counts(engine, client, paths, prefix, headers)
    for path in paths:
        assert few[(path, 20)] == few[(path, 200)] == many[(path, 20)] == many[(path, 200)], (
            path, few[(path, 20)], few[(path, 200)], many[(path, 20)], many[(path, 200)])


def test_an_application_read_takes_the_same_statements_whatever_its_parts(engine, db, client) -> None:
    """The token, the application, and its files, reviewers and history in one statement: a read
    of a designated application with a panel and a long history costs what a new one costs."""
    from tests.builders import application_in, new_enterprise

    moment = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    submitted = application_in(db, ApplicationState.submitted, moment, new_enterprise(db, 7))
    designated = application_in(db, ApplicationState.designated, moment)
    staff = db.scalars(select(User).where(User.username == "hz_city")).one()
    for number in range(3):
        db.add(EvidenceFile(application_id=designated.id, indicator="", original_name=f"佐证{number}.pdf",
                            stored_name=f"read-{designated.id}-{number}.pdf", content_type="application/pdf",
                            size=number + 1, sha256="0" * 64, uploaded_by_id=staff.id))
    db.commit()
    headers = Api(client, "hz_city").headers
    paths = [f"/api/v1/applications/{a.id}" for a in (submitted, designated)]
    assert [queries(engine, client, path, headers) for path in paths] == [3, 3]
    body = client.get(paths[1], headers=headers).json
    assert [f["name"] for f in body["evidence"]] == ["佐证0.pdf", "佐证1.pdf", "佐证2.pdf"]
    assert body["reviewers"] and all(r["state"] == "submitted" for r in body["reviewers"])
    assert [h["trigger"] for h in body["history"]][:2] == ["submit", "recommend"]
    assert body["designation_id"] is not None
