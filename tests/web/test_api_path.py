"""The factory path end to end through the API: registration to a verified, then revoked,
certificate (the foundation issue's acceptance path)."""
from __future__ import annotations

import io
import subprocess
from datetime import datetime, timedelta

from evaluators.examples import example_document
from tests.builders import FULL_SCORES
from tests.web.apiclient import Api
from workflow import outbox, runtime
from workflow.clock import CHINA
from workflow.demo import with_check
from workflow.tick import tick

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_factory_path_from_registration_to_revoked_certificate(client, db, app, tmp_path) -> None:
    public = Api(client)
    uscc = with_check("91330114MA2K7Q1X0")
    registered = public.post("/registrations", {
        "uscc": uscc, "name": "杭州绿能装备制造有限公司", "jurisdiction": "330114",
        "industry_codes": ["C3411"], "username": "lvneng", "password": "lvneng-2026", "email": "ny@lvneng.example.com",
    }, expect=201)
    assert registered["enterprise"]["uscc"] == uscc

    applicant = Api(client, "lvneng", "lvneng-2026")
    programme = next(p for p in public.get("/programmes?status=open") if p["jurisdiction"] == "330100")
    guideline = public.get(f"/guidelines/{programme['guideline']}")
    assert {g["name"] for g in guideline["groups"]} >= {"基础设施", "绩效"}

    created = applicant.post("/applications", {"programme_id": programme["id"]}, expect=201)
    assert created["state"] == "draft"
    url = f"/applications/{created['id']}"
    document = example_document(programme["guideline"], "pass")
    first_half = dict(list(document["indicators"].items())[:10])
    applicant.patch(url, {"data": {"indicators": first_half}})
    saved = applicant.patch(url, {"data": document})
    # Form-style strings are stored as numbers; blanks as "not answered yet".
    assert saved["data"]["indicators"].keys() == document["indicators"].keys()
    assert saved["data"]["indicators"]["perf_floor_area_ratio"] == 1.9
    assert saved["data"]["indicators"]["perf_energy_per_output"] is None

    applicant.call("POST", f"{url}/evidence", 201, data={
        "file": (io.BytesIO(PDF), "能源利用状况报告2025.pdf"), "indicator": "perf_energy_required"},
        content_type="multipart/form-data")
    submitted = applicant.post(f"{url}/actions/submit")
    assert (submitted["state"], submitted["holding_jurisdiction"]) == ("submitted", "330114")

    county, city, city2 = Api(client, "qt_county"), Api(client, "hz_city"), Api(client, "hz_city2")
    assert county.post(f"{url}/actions/recommend")["holding_jurisdiction"] == "330100"
    accepted = city.post(f"{url}/actions/accept")
    # The evaluation job ran in-process after the commit (embedded default).
    assert accepted["state"] == "under_review"
    assert accepted["evaluation"]["eligible"] is True
    assert 80 < accepted["evaluation"]["total"] < 90
    energy = next(i for i in accepted["evaluation"]["indicators"] if i["id"] == "perf_energy_required")
    assert energy["evidence"] == ["能源利用状况报告2025.pdf"]

    panel = city.post(f"{url}/panel", {"seed": "2026-hz-01"}, expect=201)
    assert len(panel["assignments"]) == 3
    for assignment in panel["assignments"]:
        expert = _expert_api(client, db, assignment["id"])
        expert.post(f"/reviews/{assignment['id']}/actions/accept")
        expert.put(f"/reviews/{assignment['id']}", {
            "scores": FULL_SCORES, "recommendation": "pass", "comments": "资料齐全，指标达到要求",
            "reasons": {group: "现场核查后按实际情况调整" for group in FULL_SCORES}})
        expert.post(f"/reviews/{assignment['id']}/actions/submit")
    reviewed = city.get(url)
    assert (reviewed["state"], reviewed["panel_score"]) == ("reviewed", 88.0)

    city.post(f"{url}/actions/approve_for_notice")
    notice = next(n for n in public.get("/notices") if any(a["id"] == created["id"] for a in n["applications"]))
    assert client.get(f"/notices/{notice['id']}").get_data(as_text=True).count("杭州绿能装备制造有限公司") >= 1

    # The tick closes the notice once its working days have passed, and not before.
    end = datetime.fromisoformat(notice["ends_on"])
    assert tick(db, datetime(end.year, end.month, end.day, 12, tzinfo=CHINA))["designated"] == []
    after = datetime(end.year, end.month, end.day, 9, tzinfo=CHINA) + timedelta(days=1)
    assert tick(db, after)["designated"] == [created["id"]]
    assert tick(db, after)["designated"] == []  # a second run changes nothing
    db.commit()
    outbox.relay(runtime.current().factory)  # the certificate job

    designated = city.get(url)
    assert designated["state"] == "designated"
    designation = city.get(f"/designations/{designated['designation_id']}")
    number = designation["certificate"]["number"]
    assert number.startswith(f"330100-GF-{after.year}-")
    assert designation["certificate"]["status"] == "issued"
    assert public.get(f"/certificates/{number}")["status"] == "active"
    page = client.get(f"/verify/{number}").get_data(as_text=True)
    assert "证书有效" in page and "杭州绿能装备制造有限公司" in page

    pdf = client.get(f"/certificates/{number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(pdf.data)
    pdf.close()
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True).stdout
    assert "绿色低碳工厂" in text and number in text and "杭州绿能装备制造有限公司" in text

    dpath = f"/designations/{designated['designation_id']}/actions"
    city.post(f"{dpath}/propose_revocation", {"reason_code": "major_accident",
                                              "reason": "2026年12月发生较大生产安全事故"})
    assert city.post(f"{dpath}/revoke", expect=403)["error"]["code"] == "forbidden"
    revoked = city2.post(f"{dpath}/revoke")
    assert revoked["state"] == "revoked"
    verified = public.get(f"/certificates/{number}")
    assert (verified["status"], verified["reason_code"]) == ("revoked", "major_accident")
    assert "较大生产安全事故" in verified["reason"]
    page = client.get(f"/verify/{number}").get_data(as_text=True)
    assert "已撤销" in page and "较大生产安全事故" in page
    handover = next(h for h in city.get(url)["history"] if h["trigger"] == "recommend")
    assert handover["note"] == "钱塘区经济和信息化局推荐至杭州市经济和信息化局"
    history = [h["trigger"] for h in city.get(url)["history"]]
    assert history == ["submit", "recommend", "accept", "complete_evaluation", "complete_review",
                       "approve_for_notice", "close_notice"]


def _expert_api(client, db, review_id: int) -> Api:
    from models import Review

    return Api(client, db.get(Review, review_id).expert.user.username)
