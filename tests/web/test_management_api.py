"""The public record and dynamic management through the API: the directory, the feed of
changes, one notice for a batch, yearly reports and the inbox."""
from __future__ import annotations

from datetime import datetime

from evaluators.examples import example_document
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import application_in, designation_in, new_enterprise, review_all, user
from tests.web.apiclient import Api
from workflow import designations
from workflow.clock import CHINA
from workflow.tick import tick

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def test_directory_search_and_filters(client, db) -> None:
    designation = designation_in(db, D.active, NOW)
    designations.act(db, user(db, "hz_city"), designation, "suspend", NOW, reason="安全事故调查期间暂停")
    db.commit()
    public = Api(client)
    found = public.get("/directory?q=钱塘新材料")
    assert found["total"] == 1
    item = found["items"][0]
    assert (item["holder"], item["state"], item["kind"], item["tier"]) == ("杭州钱塘新材料股份有限公司", "suspended",
                                                                          "factory", "city")
    assert public.get(f"/directory?uscc={item['uscc'].lower()}")["total"] == 1
    assert public.get("/directory?status=active")["total"] == 0
    assert public.get("/directory?jurisdiction=330100&status=suspended")["total"] == 1
    assert public.get("/directory?jurisdiction=340800")["total"] == 0
    assert public.get("/directory?status=lost", expect=422)["error"]["details"]["fields"]["status"]
    assert public.get("/directory?per_page=500", expect=422)["error"]["code"] == "invalid"


def test_feed_lists_changes_in_order_and_pages_by_id(client, db) -> None:
    designation = designation_in(db, D.active, NOW)
    designations.act(db, user(db, "hz_city"), designation, "require_rectification", NOW, reason="能耗数据异常")
    db.commit()
    public = Api(client)
    feed = public.get("/feed")
    assert [i["event"] for i in feed["items"]] == ["grant", "require_rectification"]
    assert feed["items"][1]["reason"] == "能耗数据异常"
    assert public.get(f"/feed?after_id={feed['next_after_id']}")["items"] == []
    assert public.get("/feed?since=2026-11-01", expect=422)["error"]["details"]["fields"]["since"]


def test_one_notice_for_a_batch(client, db) -> None:
    first = application_in(db, S.reviewed, NOW)
    second = application_in(db, S.under_review, NOW, applicant=new_enterprise(db, 4))
    review_all(db, second, NOW)
    db.commit()
    city = Api(client, "hz_city")
    notice = city.post("/notices", {"application_ids": [first.id, second.id]}, expect=201)
    assert {a["id"] for a in notice["applications"]} == {first.id, second.id}
    listed = Api(client).get("/notices")
    assert [n["id"] for n in listed] == [notice["id"]]
    again = city.post("/notices", {"application_ids": [first.id]}, expect=409)
    assert again["error"]["code"] == "conflict"


def test_yearly_report_through_the_api(client, db) -> None:
    designation = designation_in(db, D.active, NOW)
    tick(db, datetime(2027, 1, 2, 9, tzinfo=CHINA))
    db.commit()
    applicant = Api(client, "qt_newmat")
    url = f"/designations/{designation.id}/reports"
    (due,) = applicant.get(url)
    assert (due["year"], due["due_on"], due["state"]) == (2026, "2027-04-15", "due")
    bad = applicant.post(url, {"year": 2026, "data": {"indicators": {"perf_floor_area_ratio": "高"}}}, expect=422)
    assert bad["error"]["details"]["fields"]["indicators"]["perf_floor_area_ratio"] == ["请输入数字"]
    filed = applicant.post(url, {"year": 2026, "data": example_document("factory-gbt36132-2018", "pass")},
                           expect=201)
    assert filed["state"] in ("submitted", "evaluated")
    assert applicant.get(url)[0]["state"] == "evaluated"  # the job ran in-process after the commit
    assert Api(client, "qt_county").post(url, {"year": 2026, "data": {}}, expect=403)["error"]["code"] == "forbidden"
    stranger = new_enterprise(db, 5)
    db.commit()
    assert Api(client, stranger.username, "password-123").get(url, expect=404)["error"]["code"] == "not_found"


def test_inbox_marks_messages_read(client, db) -> None:
    designation = designation_in(db, D.active, NOW)
    tick(db, datetime(2027, 3, 20, 9, tzinfo=CHINA))
    db.commit()
    applicant = Api(client, "qt_newmat")
    subject = "请在4月15日前报送2026年度动态管理表"
    (message,) = [m for m in applicant.get("/notifications") if m["subject"] == subject]
    assert message["link"] == f"/designations/{designation.id}" and message["read"] is False
    applicant.post(f"/notifications/{message['id']}/read")
    assert [m["read"] for m in applicant.get("/notifications") if m["id"] == message["id"]] == [True]
    assert Api(client, "hz_city").post(f"/notifications/{message['id']}/read", expect=404)
