"""Bad input at every endpoint of the path gets the one error envelope with a clear Chinese
message, and nothing already saved is lost."""
from __future__ import annotations

import io
from datetime import datetime

import pytest

from evaluators.examples import example_document
from models.enums import ApplicationState as S
from tests.builders import application_in, new_enterprise
from tests.web.apiclient import Api
from workflow.demo import with_check

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def envelope(body: dict, code: str) -> dict:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_token_and_authentication(client) -> None:
    public = Api(client)
    envelope(public.post("/auth/token", {"username": "hz_city", "password": "wrong"}, expect=401), "unauthorized")
    envelope(public.post("/auth/token", {"username": "nobody", "password": "x"}, expect=401), "unauthorized")
    envelope(public.post("/auth/token", {"username": ""}, expect=422), "invalid")
    envelope(public.get("/me", expect=401), "unauthorized")
    public.headers = {"Authorization": "Bearer forged-token"}
    envelope(public.get("/me", expect=401), "unauthorized")


REGISTRATION = {"uscc": "", "name": "杭州测试化纤有限公司", "jurisdiction": "330114", "industry_codes": ["C2822"],
                "username": "huaxian", "password": "huaxian-2026", "email": "hx@example.com"}


@pytest.mark.parametrize(("uscc", "message"), [
    ("91350100M000100Y44", "校验码错误"),
    ("91350100M000100Y4", "应为18位"),
    ("91350100M0001I0Y43", "不含I、O、S、V、Z"),
])
def test_registration_rejects_bad_credit_codes(client, uscc, message) -> None:
    error = envelope(Api(client).post("/registrations", {**REGISTRATION, "uscc": uscc}, expect=422), "invalid")
    assert message in error["details"]["fields"]["uscc"][0]


def test_registration_conflicts_and_field_errors(client) -> None:
    public = Api(client)
    taken = {**REGISTRATION, "uscc": "91330114MA2H3X4Y5" + "U"}  # the demo enterprise's code
    taken["uscc"] = with_check(taken["uscc"][:17])
    envelope(public.post("/registrations", taken, expect=409), "conflict")
    error = envelope(public.post("/registrations", {**REGISTRATION, "uscc": with_check("91330114MA2K0001X"),
                                                     "jurisdiction": "330100", "industry_codes": ["G5411"],
                                                     "password": "short", "username": "qt_newmat"}, expect=422),
                     "invalid")
    assert set(error["details"]["fields"]) == {"jurisdiction", "industry_codes", "password", "username"}
    envelope(public.post("/registrations", {"uscc": 5}, expect=422), "invalid")


def test_staff_only_endpoints(client) -> None:
    applicant = Api(client, "qt_newmat")
    programme = {"kind": "factory", "tier": "city", "jurisdiction": "330100", "guideline": "factory-gbt36132-2018",
                 "opens_on": "2026-12-01", "closes_on": "2027-01-31", "pass_mark": 80}
    envelope(applicant.post("/programmes", programme, expect=403), "forbidden")
    city = Api(client, "hz_city")
    error = envelope(city.post("/programmes", {**programme, "closes_on": "2026-11-01", "panel_size": 4},
                               expect=422), "invalid")
    assert set(error["details"]["fields"]) == {"closes_on", "panel_size"}
    error = envelope(city.post("/programmes", {**programme, "jurisdiction": "340800"}, expect=422), "invalid")
    assert "jurisdiction" in error["details"]["fields"]
    assert city.post("/programmes", programme, expect=201)["title"] == "2026年杭州市市级绿色低碳工厂申报"
    envelope(Api(client, "qt_newmat").post("/experts", {}, expect=403), "forbidden")
    error = envelope(city.post("/experts", {"username": "e1", "password": "expert-2026", "name": "钱专家",
                                            "employer": "某研究院", "employer_uscc": "123", "specialties": ["energy"],
                                            "jurisdiction": "330106"}, expect=422), "invalid")
    assert "employer_uscc" in error["details"]["fields"]
    envelope(Api(client).get("/programmes?status=closed", expect=422), "invalid")


def test_draft_saves_refuse_bad_values_and_keep_the_saved_draft(client, db) -> None:
    applicant = Api(client, "qt_newmat")
    app = application_in(db, S.draft, NOW)
    db.commit()
    url = f"/applications/{app.id}"
    applicant.patch(url, {"data": {"indicators": {"perf_floor_area_ratio": "1.8"}}})
    error = envelope(applicant.patch(url, {"data": {"indicators": {"perf_floor_area_ratio": "abc",
                                                                   "perf_building_density": "45"}}}, expect=422),
                     "invalid")
    assert error["details"]["fields"]["indicators"]["perf_floor_area_ratio"] == ["请输入数字"]
    error = envelope(applicant.patch(url, {"data": {"indicators": {"no_such_indicator": 1}}}, expect=422), "invalid")
    assert "no_such_indicator" in error["details"]["fields"]["indicators"]
    envelope(applicant.patch(url, {"data": {"energy": {"electricity_kwh": -5}}}, expect=422), "invalid")
    saved = applicant.get(url)["data"]["indicators"]
    assert saved == {"perf_floor_area_ratio": 1.8}
    stale = applicant.get(url)["version"] - 1
    envelope(applicant.patch(url, {"data": {"year": 2025}, "version": stale}, expect=409), "conflict")
    error = envelope(applicant.post(f"{url}/actions/submit", expect=409), "conflict")
    assert "必填指标尚未填写完整" in error["message"]


def test_submitted_applications_are_not_editable(client, db) -> None:
    app = application_in(db, S.submitted, NOW)
    db.commit()
    applicant = Api(client, "qt_newmat")
    envelope(applicant.patch(f"/applications/{app.id}", {"data": {"year": 2024}}, expect=409), "conflict")
    envelope(applicant.call("POST", f"/applications/{app.id}/evidence", 409, data={
        "file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")}, content_type="multipart/form-data").json, "conflict")


def test_evidence_is_checked_by_content(client, db) -> None:
    app = application_in(db, S.draft, NOW)
    db.commit()
    applicant = Api(client, "qt_newmat")
    url = f"/applications/{app.id}/evidence"
    error = envelope(applicant.call("POST", url, 422, data={"file": (io.BytesIO(b"MZ\x90\x00binary"), "report.pdf")},
                                    content_type="multipart/form-data").json, "invalid")
    assert "只接受" in error["details"]["fields"]["file"][0]
    envelope(applicant.call("POST", url, 422, data={}, content_type="multipart/form-data").json, "invalid")
    envelope(applicant.call("POST", url, 422, data={"file": (io.BytesIO(b"%PDF-1.4"), "a.pdf"), "indicator": "zzz"},
                            content_type="multipart/form-data").json, "invalid")
    done = applicant.call("POST", url, 201, data={"file": (io.BytesIO(b"%PDF-1.4 report"), "../../etc/排污许可证.pdf")},
                          content_type="multipart/form-data").json
    assert done["name"] == "排污许可证.pdf" and done["content_type"] == "application/pdf"


def test_actions_refused_with_the_right_status(client, db) -> None:
    app = application_in(db, S.submitted, NOW)
    other = new_enterprise(db, 7)
    db.commit()
    url = f"/applications/{app.id}"
    envelope(Api(client, "aq_city").get(url, expect=404), "not_found")  # another city's staff
    envelope(Api(client, "expert_wang").get(url, expect=404), "not_found")  # not on a panel
    stranger = Api(client, other.username, "password-123")
    envelope(stranger.get(url, expect=404), "not_found")
    envelope(stranger.post(f"{url}/actions/withdraw", expect=404), "not_found")
    city = Api(client, "hz_city")
    assert city.get(url)["state"] == "submitted"  # the parent jurisdiction sees its subtree
    envelope(city.post(f"{url}/actions/recommend", expect=403), "forbidden")  # held at the county
    county = Api(client, "qt_county")
    envelope(county.post(f"{url}/actions/accept", expect=409), "conflict")
    envelope(county.post(f"{url}/actions/fly_to_the_moon", expect=409), "conflict")
    error = envelope(county.post(f"{url}/actions/return_for_changes", {"reason": "  "}, expect=422), "invalid")
    assert error["details"]["fields"]["reason"] == ["请填写退回修改的原因"]
    envelope(county.post(f"{url}/actions/recommend", {"version": "x"}, expect=422), "invalid")
    envelope(city.post(f"{url}/panel", expect=409), "conflict")
    envelope(Api(client).get("/applications/999999", expect=401), "unauthorized")
    envelope(city.get("/applications/999999", expect=404), "not_found")


def test_reviews_are_private_and_complete(client, db) -> None:
    app = application_in(db, S.under_review, NOW)
    from workflow import panels
    from tests.builders import user

    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="x")
    db.commit()
    review = panel.reviews[0]
    mine = Api(client, review.expert.user.username)
    someone_else = next(u for u in ("expert_wang", "expert_li", "expert_zhang", "expert_chen", "expert_zhao",
                                    "expert_sun", "expert_zhou") if u not in {r.expert.user.username for r in panel.reviews})
    envelope(Api(client, someone_else).post(f"/reviews/{review.id}/actions/accept", expect=404), "not_found")
    envelope(mine.post(f"/reviews/{review.id}/actions/submit", expect=409), "conflict")
    mine.post(f"/reviews/{review.id}/actions/accept")
    error = envelope(mine.post(f"/reviews/{review.id}/actions/submit", expect=422), "invalid")
    # The scores start from the automatic evaluation; the expert's own verdict is still missing.
    assert error["details"]["fields"] == {"recommendation": ["请给出评审意见"]}
    error = envelope(mine.put(f"/reviews/{review.id}", {"scores": {"infrastructure": 25}}, expect=422), "invalid")
    assert error["details"]["fields"]["scores.infrastructure"] == ["应在0至20分之间"]
    envelope(mine.put(f"/reviews/{review.id}", {"recommendation": "maybe"}, expect=422), "invalid")


def test_public_endpoints(client, db) -> None:
    app = application_in(db, S.public_notice, NOW)
    db.commit()
    public = Api(client)
    envelope(public.post("/notices/999/objections", {"application_id": app.id, "name": "a", "contact": "b",
                                                      "content": "c"}, expect=404), "not_found")
    error = envelope(public.post(f"/notices/{app.notice_id}/objections", {"application_id": app.id, "name": "",
                                                                          "contact": "", "content": "太短"},
                                 expect=422), "invalid")
    assert set(error["details"]["fields"]) == {"name", "contact", "content"}
    envelope(public.get("/certificates/330100-GF-2026-9999", expect=404), "not_found")
    envelope(public.get("/no/such/endpoint", expect=404), "not_found")
    envelope(public.call("DELETE", "/programmes", 405).json, "method_not_allowed")
    envelope(public.call("POST", "/registrations", 422, data="not json", content_type="application/json").json,
             "invalid")


def test_openapi_document_describes_the_contract(client) -> None:
    document = Api(client).get("/openapi.json")
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, method in [
        ("/api/v1/auth/token", "post"), ("/api/v1/registrations", "post"), ("/api/v1/guidelines", "get"),
        ("/api/v1/guidelines/{key}", "get"), ("/api/v1/programmes", "get"), ("/api/v1/programmes", "post"),
        ("/api/v1/experts", "post"), ("/api/v1/applications", "post"), ("/api/v1/applications/{application_id}", "get"),
        ("/api/v1/applications/{application_id}", "patch"), ("/api/v1/applications/{application_id}/evidence", "post"),
        ("/api/v1/applications/{application_id}/actions/{trigger}", "post"),
        ("/api/v1/applications/{application_id}/panel", "post"), ("/api/v1/reviews", "get"),
        ("/api/v1/reviews/{review_id}", "put"), ("/api/v1/reviews/{review_id}/actions/{action}", "post"),
        ("/api/v1/notices", "get"), ("/api/v1/notices/{notice_id}/objections", "post"),
        ("/api/v1/designations/{designation_id}", "get"), ("/api/v1/designations/{designation_id}/actions/{trigger}", "post"),
        ("/api/v1/certificates/{number}", "get"),
    ]:
        assert method in paths.get(path, {}), (path, method)
    assert document["components"]["schemas"]["RegistrationIn"]["required"]


def test_expected_version_guards_against_overwrites(client, db) -> None:
    app = application_in(db, S.submitted, NOW)
    db.commit()
    county = Api(client, "qt_county")
    version = county.get(f"/applications/{app.id}")["version"]
    county.post(f"/applications/{app.id}/actions/recommend", {"version": version})
    envelope(Api(client, "hz_city").post(f"/applications/{app.id}/actions/accept", {"version": version},
                                         expect=409), "conflict")


def test_demo_document_shape(client) -> None:
    assert "indicators" in example_document("factory-gbt36132-2018", "pass")


def test_the_application_names_its_group_and_consultants(client, db) -> None:
    from workflow.demo import with_check

    app = application_in(db, S.draft, NOW)
    db.commit()
    applicant = Api(client, "qt_newmat")
    url = f"/applications/{app.id}"
    bad = envelope(applicant.patch(url, {"data": {"consultants": [{"name": "某咨询公司", "uscc": "91330100"}]}},
                                   expect=422), "invalid")
    assert "应为18位" in bad["details"]["fields"]["consultants"]["0"]["uscc"][0]
    consultant = {"name": "浙江绿评节能咨询有限公司", "uscc": with_check("91330106MA2C0N7L1")}
    saved = applicant.patch(url, {"data": {"consultants": [consultant],
                                           "group": {"name": "钱塘新材料集团", "uscc": with_check("91330114MA2GRP001")}}})
    assert saved["data"]["consultants"] == [consultant]


def test_a_programme_carries_its_review_settings(client) -> None:
    city = Api(client, "hz_city")
    created = city.post("/programmes", {
        "kind": "factory", "tier": "city", "jurisdiction": "330100", "guideline": "factory-gbt36132-2018",
        "opens_on": "2026-12-01", "closes_on": "2027-01-31", "pass_mark": 80, "review_load_cap": 4,
        "invitation_working_days": 2, "review_working_days": 7, "divergence_threshold": 12}, expect=201)
    assert (created["review_load_cap"], created["invitation_working_days"], created["review_working_days"],
            created["divergence_threshold"]) == (4, 2, 7, 12.0)
    error = envelope(city.post("/programmes", {
        "kind": "factory", "tier": "city", "jurisdiction": "330100", "guideline": "factory-gbt36132-2018",
        "opens_on": "2026-12-01", "closes_on": "2027-01-31", "pass_mark": 80, "review_load_cap": 0}, expect=422),
        "invalid")
    assert error["details"]["fields"]["review_load_cap"] == ["应在 1 到 50 之间"]
