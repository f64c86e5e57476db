"""The inbox (站内消息) as its users see it: a real workflow event lands there with a link
straight to the action, the header counts what is unread, marking read (one or all) works on
the page and through the API, and nobody reaches another user's messages."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models import Notification
from models.enums import ApplicationState as S
from tests.builders import application_in, user
from tests.web.apiclient import Api
from tests.web.test_i18n import untranslated
from tests.web.test_pages import csrf_token, log_in, press, text_of
from workflow import notifications
from workflow.clock import CHINA

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CHINA)
HEADER_COUNT = re.compile(r'<a class="inbox-link" href="/inbox"[^>]*>[^<]*(?:<span class="count">(\d+)</span>)?</a>')


def header_count(page: str) -> int:
    """The unread count next to the user's name; 0 when the header shows none."""
    found = HEADER_COUNT.search(page)
    assert found, "no inbox link in the header"
    return int(found.group(1) or 0)


def unread_in_db(db: Session, username: str) -> int:
    db.expire_all()
    return notifications.unread_count(db, user(db, username))


def messages_of(db: Session, username: str) -> list[Notification]:
    db.expire_all()
    return notifications.inbox(db, user(db, username), limit=1000)


def test_a_returned_application_reaches_the_applicant_with_a_link_to_the_form(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.submitted, NOW)
    db.commit()
    log_in(client, "qt_county")
    assert "已退回修改" in text_of(press(client, app.id, "return_for_changes", "请补充能源审计报告"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console")})

    log_in(client, "qt_newmat")
    before = unread_in_db(db, "qt_newmat")
    assert before >= 1
    inbox = client.get("/inbox")
    page = text_of(inbox)
    assert header_count(inbox.get_data(as_text=True)) == before
    assert f"申报被退回修改（申报 #{app.id}）" in page
    assert "退回原因：请补充能源审计报告" in page
    returned = next(m for m in messages_of(db, "qt_newmat") if m.subject == f"申报被退回修改（申报 #{app.id}）")
    assert returned.link == f"/portal/applications/{app.id}/form" and returned.read_at is None
    item = re.search(rf'<li class="message unread">\s*<form method="post" action="/inbox/{returned.id}/read">',
                     inbox.get_data(as_text=True))
    assert item, "the new message is marked unread"

    opened = client.post(f"/inbox/{returned.id}/read",
                         data={"csrf_token": csrf_token(client, "/inbox"), "open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"] == returned.link
    form = client.get(opened.headers["Location"])
    assert form.status_code == 200 and f"申报表 #{app.id}" in text_of(form) and "申报被退回修改" in text_of(form)
    assert unread_in_db(db, "qt_newmat") == before - 1
    assert header_count(form.get_data(as_text=True)) == before - 1
    assert f'<li class="message">\n    <form method="post" action="/inbox/{returned.id}/read">' in (
        client.get("/inbox").get_data(as_text=True))


def test_mark_one_then_all_read_on_the_page(client: FlaskClient, db: Session) -> None:
    owner = user(db, "qt_newmat")
    for n in range(3):
        notifications.notify(db, [owner], key=f"inbox-test-{n}", subject=f"第{n}条待办", body="请处理",
                             link="/portal", now=NOW + timedelta(minutes=n))
    db.commit()
    log_in(client, "qt_newmat")
    total = unread_in_db(db, "qt_newmat")
    first = messages_of(db, "qt_newmat")[0]
    assert first.subject == "第2条待办"  # newest first

    marked = client.post(f"/inbox/{first.id}/read", data={"csrf_token": csrf_token(client, "/inbox"), "page": "1"})
    assert marked.status_code == 302 and marked.headers["Location"] == "/inbox?page=1"
    page = client.get("/inbox").get_data(as_text=True)
    assert header_count(page) == unread_in_db(db, "qt_newmat") == total - 1
    assert "全部标为已读" in page

    done = client.post("/inbox/read", data={"csrf_token": csrf_token(client, "/inbox")})
    assert done.status_code == 302
    page = client.get("/inbox").get_data(as_text=True)
    assert unread_in_db(db, "qt_newmat") == header_count(page) == 0
    assert "全部标为已读" not in page and 'class="message unread"' not in page


def test_marking_read_without_the_forms_token_changes_nothing(client: FlaskClient, db: Session) -> None:
    notifications.notify(db, [user(db, "qt_newmat")], key="inbox-csrf", subject="请处理", now=NOW)
    db.commit()
    log_in(client, "qt_newmat")
    (message,) = [m for m in messages_of(db, "qt_newmat") if m.key == "inbox-csrf"]
    assert client.post(f"/inbox/{message.id}/read").status_code == 400
    assert client.post("/inbox/read").status_code == 400
    assert messages_of(db, "qt_newmat")[0].read_at is None


def test_another_users_message_is_not_found(client: FlaskClient, db: Session) -> None:
    notifications.notify(db, [user(db, "qt_newmat")], key="inbox-private", subject="仅本单位可见", now=NOW)
    db.commit()
    (message,) = [m for m in messages_of(db, "qt_newmat") if m.key == "inbox-private"]
    log_in(client, "hz_city")
    assert "仅本单位可见" not in text_of(client.get("/inbox"))
    refused = client.post(f"/inbox/{message.id}/read", data={"csrf_token": csrf_token(client, "/inbox"), "open": "1"})
    assert refused.status_code == 404 and "消息不存在" in text_of(refused)
    client.post("/inbox/read", data={"csrf_token": csrf_token(client, "/inbox")})
    assert Api(client, "hz_city").post(f"/notifications/{message.id}/read", expect=404)["error"]["code"] == "not_found"
    assert [m.read_at for m in messages_of(db, "qt_newmat") if m.key == "inbox-private"] == [None]


def test_the_api_marks_one_and_all_read(client: FlaskClient, db: Session) -> None:
    owner = user(db, "qt_newmat")
    for n in range(2):
        notifications.notify(db, [owner], key=f"inbox-api-{n}", subject=f"接口消息{n}", now=NOW)
    db.commit()
    applicant = Api(client, "qt_newmat")
    listed = applicant.get("/notifications")
    one = next(m for m in listed if m["subject"] == "接口消息1")
    assert applicant.post(f"/notifications/{one['id']}/read") == {**one, "read": True}
    unread = sum(not m["read"] for m in applicant.get("/notifications"))
    assert unread == unread_in_db(db, "qt_newmat") >= 1
    assert applicant.post("/notifications/read") == {"marked": unread, "unread": 0}
    assert not any(not m["read"] for m in applicant.get("/notifications"))
    assert applicant.post("/notifications/read") == {"marked": 0, "unread": 0}
    assert Api(client).post("/notifications/read", expect=401)["error"]["code"] == "unauthorized"


def test_many_messages_page_newest_first(client: FlaskClient, db: Session) -> None:
    expert = user(db, "expert_wang")
    for n in range(45):
        notifications.notify(db, [expert], key=f"inbox-page-{n:02}", subject=f"评审提醒 {n:02}", link="/desk",
                             now=NOW + timedelta(minutes=n))
    # Newest by the time it happened, not by when the row was written.
    notifications.notify(db, [expert], key="inbox-page-late", subject="一周前的提醒", now=NOW - timedelta(days=7))
    db.commit()
    total = len(messages_of(db, "expert_wang"))
    pages = (total + 19) // 20
    log_in(client, "expert_wang")
    first = text_of(client.get("/inbox"))
    assert first.count('<li class="message') == 20
    assert first.index("评审提醒 44") < first.index("评审提醒 43") < first.index("评审提醒 25")
    assert "评审提醒 24" not in first and f"第 1 / {pages} 页" in first and "下一页" in first
    second = text_of(client.get("/inbox?page=2"))
    assert "评审提醒 24" in second and "评审提醒 44" not in second and "上一页" in second
    last = text_of(client.get("/inbox?page=999999"))  # past the end: the last page
    assert f"第 {pages} / {pages} 页" in last and last.count('<li class="message') == total - (pages - 1) * 20
    assert "一周前的提醒" in last and "一周前的提醒" not in first
    assert "评审提醒 44" in text_of(client.get("/inbox?page=第二页"))


def test_times_follow_the_pages_language(client: FlaskClient, db: Session) -> None:
    notifications.notify(db, [user(db, "qt_newmat")], key="inbox-time", subject="请于年底前完成整改",
                         body="整改要求：更换高耗能电机", link="/portal", now=NOW)
    db.commit()
    log_in(client, "qt_newmat")
    chinese = text_of(client.get("/inbox"))
    assert "2026年11月23日 10:00" in chinese and "站内消息" in chinese
    response = client.get("/inbox", query_string={"lang": "en"})
    english = text_of(response)
    assert "23 Nov 2026 10:00" in english and "Inbox" in english and "Mark all as read" in english
    lang, found = untranslated(response.get_data(as_text=True))
    assert lang == "en" and found == [], found
    assert '<span class="data" lang="zh-CN">请于年底前完成整改</span>' in response.get_data(as_text=True)
