"""The mail viewer: without SMTP the messages the system sent are kept, and an admin reads
them at /console/mail with their links clickable; nobody else may."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models.enums import ApplicationState as S
from tests.builders import application_in
from tests.web.test_pages import log_in, text_of

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
SUBJECT = "【绿色低碳认定系统】申报被退回修改（申报 #{id}）"


@pytest.fixture
def returned(db: Session, monkeypatch: pytest.MonkeyPatch) -> int:
    """An application sent back to its applicant; its e-mail goes out on the next commit."""
    monkeypatch.delenv("SMTP_HOST", raising=False)
    app = application_in(db, S.returned, NOW)
    db.commit()
    return app.id


def test_an_admin_reads_the_kept_mail_with_its_link(client: FlaskClient, returned: int) -> None:
    log_in(client, "admin")  # the commit of the sign-in sends what the outbox holds

    page = client.get("/console/mail")

    assert page.status_code == 200
    body = text_of(page)
    assert "未配置SMTP服务器（SMTP_HOST）" in body
    assert SUBJECT.format(id=returned) in body and "energy@qt-newmat.example.com" in body
    assert "退回原因：能源数据缺少统计报表" in body
    link = f"http://greencert.test/portal/applications/{returned}/form"
    assert f'<a href="{link}">{link}</a>' in body


def test_the_list_narrows_to_one_recipient(client: FlaskClient, returned: int) -> None:
    log_in(client, "admin")

    mine = text_of(client.get("/console/mail?to=QT-NEWMAT"))
    county = text_of(client.get("/console/mail?to=qt_county@"))
    nobody = text_of(client.get("/console/mail?to=%25_%25"))  # LIKE wildcards are taken literally

    assert SUBJECT.format(id=returned) in mine
    assert SUBJECT.format(id=returned) not in county and "qt_county@example.gov.cn" in county
    assert "没有发给“%_%”的邮件。" in nobody
    assert client.get("/console/mail?to=" + "a" * 5000).status_code == 200


def test_with_an_smtp_server_the_page_says_where_mail_goes(client: FlaskClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    log_in(client, "admin")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.gov.cn")

    body = text_of(client.get("/console/mail"))

    assert "已配置SMTP服务器（smtp.example.gov.cn）" in body and "还没有保存的邮件。" in body


def test_only_admins_see_the_page_and_its_link(client: FlaskClient) -> None:
    assert client.get("/console/mail").status_code == 302
    log_in(client, "hz_city")
    assert client.get("/console/mail").status_code == 403
    assert "/console/mail" not in text_of(client.get("/console"))
    admin = client.application.test_client()
    log_in(admin, "admin")
    assert 'href="/console/mail"' in text_of(admin.get("/console"))
