"""Public notices over the holiday calendar, objections with evidence, closing a notice, and
reported changes that re-issue a certificate."""
from __future__ import annotations

import io
from datetime import date, datetime

from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import after_notice, application_in, designation_in, user
from tests.web.apiclient import Api
from workflow import applications, notices, outbox, runtime

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def test_the_admin_calendar_moves_the_end_of_a_notice(client, db) -> None:
    admin = Api(client, "admin")
    # 2026-11-27 (Friday) declared a holiday: a five-working-day notice from Monday 23 ends Monday 30.
    assert admin.call("PUT", "/calendar/2026-11-27", 200, json={"working": False, "note": "示例调休"}).json["working"] is False
    assert Api(client, "hz_city").call("PUT", "/calendar/2026-11-28", 403, json={"working": True}).json["error"]
    assert admin.call("PUT", "/calendar/2026-13-01", 422, json={"working": True}).json["error"]["code"] == "invalid"
    app = application_in(db, S.public_notice, NOW)
    assert app.notice.ends_on == date(2026, 11, 30)


def test_an_objection_with_evidence_holds_the_notice_until_resolved(client, db) -> None:
    app = application_in(db, S.public_notice, NOW)
    db.commit()
    public = Api(client)
    filed = public.call("POST", f"/notices/{app.notice_id}/objections", 201, data={
        "application_id": str(app.id), "name": "钱塘区某村民委员会", "contact": "0571-86000000",
        "content": "该企业2025年夜间排放异味，已多次向生态环境部门投诉",
        "files": [(io.BytesIO(b"%PDF-1.4 complaint"), "投诉记录.pdf"), (io.BytesIO(b"\x89PNG\r\n\x1a\nxx"), "现场照片.png")],
    }, content_type="multipart/form-data").json
    assert filed["evidence"] == ["投诉记录.pdf", "现场照片.png"]
    refused = public.call("POST", f"/notices/{app.notice_id}/objections", 422, data={
        "application_id": str(app.id), "name": "张三", "contact": "x", "content": "附件格式不对的异议内容",
        "files": [(io.BytesIO(b"MZ\x90"), "a.exe")]}, content_type="multipart/form-data").json
    assert "只接受" in refused["error"]["details"]["fields"]["file"][0]
    city = Api(client, "hz_city")
    download = city.call("GET", f"/objections/{filed['id']}/evidence/0", 200)
    assert download.data == b"%PDF-1.4 complaint" and "attachment" in download.headers["Content-Disposition"]
    download.close()
    Api(client, "qt_newmat").call("GET", f"/objections/{filed['id']}/evidence/0", 403)
    # The period is over, but the objection is open: the notice cannot close.
    late = after_notice(app)
    db.expire_all()
    notice = db.get(type(app.notice), app.notice_id)
    import pytest

    from workflow.errors import NotPossible

    with pytest.raises(NotPossible, match="尚有未处理的异议"):
        notices.close(db, user(db, "hz_city"), notice, late)
    city.post(f"/objections/{filed['id']}/actions/dismiss", {"reason": "经生态环境部门核实，投诉事项已于2025年整改完毕"})
    page = client.get(f"/notices/{app.notice_id}").get_data(as_text=True)
    assert "经生态环境部门核实" in page
    db.expire_all()
    notices.close(db, user(db, "hz_city"), notice, late)
    db.commit()
    outbox.relay(runtime.current().factory)
    progress = city.get(f"/notices/{app.notice_id}/progress")
    assert progress == {"notice_id": app.notice_id, "state": "closed", "listed": 1, "designated": 1,
                        "certificates": 1, "issued": 1, "percent": 100}


def test_staff_cannot_close_a_notice_early(client, db) -> None:
    app = application_in(db, S.public_notice, NOW)
    db.commit()
    body = Api(client, "hz_city").post(f"/notices/{app.notice_id}/actions/close", expect=409)
    assert "尚未结束" in body["error"]["message"]
    assert Api(client, "qt_county").post(f"/notices/{app.notice_id}/actions/close", expect=403)


def test_a_change_of_name_reissues_the_certificate(client, db) -> None:
    designation = designation_in(db, D.active, NOW)
    db.commit()
    outbox.relay(runtime.current().factory)
    db.expire_all()
    old_number = designation.certificate.number
    applicant = Api(client, "qt_newmat")
    url = f"/designations/{designation.id}/changes"
    assert applicant.post(url, {"changes": {"colour": "green"}}, expect=422)["error"]["code"] == "invalid"
    reported = applicant.post(url, {"changes": {"name": "杭州钱塘绿色新材料股份有限公司"},
                                    "description": "2026年12月完成工商变更登记"}, expect=201)
    city = Api(client, "hz_city")
    assert city.post(f"/changes/{reported['id']}/actions/accept", {"reason": ""}, expect=422)
    city.post(f"/changes/{reported['id']}/actions/accept", {"reason": "已核对营业执照，范围与边界不变"})
    outbox.relay(runtime.current().factory)
    current = city.get(f"/designations/{designation.id}")
    assert current["holder"] == "杭州钱塘绿色新材料股份有限公司"
    new_number = current["certificate"]["number"]
    assert new_number != old_number and current["certificate"]["status"] == "issued"
    assert Api(client).get(f"/certificates/{old_number}")["status"] == "superseded"
    assert Api(client).get(f"/certificates/{new_number}")["holder"] == "杭州钱塘绿色新材料股份有限公司"
    assert city.post(f"/changes/{reported['id']}/actions/accept", {"reason": "再次"}, expect=409)


def test_the_atom_feed_lists_designation_changes(client, db) -> None:
    designation = designation_in(db, D.revoked, NOW)
    db.commit()
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    body = response.get_data(as_text=True)
    assert "杭州钱塘新材料股份有限公司：市级绿色低碳工厂撤销" in body
    assert "原因：发生较大生产安全事故" in body
    assert designation.certificate.number in body


def test_withdrawal_after_designation_is_not_an_application_action(db) -> None:
    app = application_in(db, S.designated, NOW)
    import pytest

    from workflow.errors import NotPossible

    with pytest.raises(NotPossible):
        applications.act(db, user(db, "qt_newmat"), app, "withdraw", NOW)
