"""The console's notices page: one notice for a batch, closing it, following the certificates."""
from __future__ import annotations

import re
from datetime import datetime

from models.enums import ApplicationState as S
from tests.builders import after_notice, application_in, new_enterprise, review_all
from workflow import notices, outbox, runtime

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def sign_in(client, username: str) -> str:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": username, "password": "greencert-demo", "csrf_token": token})
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/notices").get_data(as_text=True))[1]


def test_a_batch_goes_on_one_notice_and_its_certificates_are_followed(client, db, monkeypatch) -> None:
    first = application_in(db, S.reviewed, NOW)
    second = application_in(db, S.under_review, NOW, applicant=new_enterprise(db, 6))
    review_all(db, second, NOW)
    db.commit()
    token = sign_in(client, "hz_city")
    page = client.get("/console/notices").get_data(as_text=True)
    assert "评审完成、待公示的申报（2）" in page
    response = client.post("/console/notices", data={"csrf_token": token,
                                                      "application_ids": [str(first.id), str(second.id)]})
    assert response.status_code == 302
    db.expire_all()
    assert first.notice_id == second.notice_id is not None
    assert "公示期满后可结束" in client.get("/console/notices").get_data(as_text=True)
    # Early: refused with a message, nothing changes.
    client.post(f"/console/notices/{first.notice_id}/close", data={"csrf_token": token})
    assert "尚未结束" in client.get("/console/notices").get_data(as_text=True)
    late = after_notice(first)
    monkeypatch.setattr("web.pages.notices_admin.now", lambda: late)
    client.post(f"/console/notices/{first.notice_id}/close", data={"csrf_token": token})
    outbox.relay(runtime.current().factory)
    page = client.get("/console/notices").get_data(as_text=True)
    assert "已认定 2 家，证书已生成 2/2" in page
    db.expire_all()
    assert notices.progress(db.get(type(first.notice), first.notice_id))["percent"] == 100
