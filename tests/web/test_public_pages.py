"""The public pages: the directory, and checking a certificate PDF by upload."""
from __future__ import annotations

import io
import re
from datetime import datetime

from models.enums import DesignationState as D
from tests.builders import designation_in
from workflow import outbox, runtime

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def test_directory_lists_and_filters(client, db) -> None:
    designation_in(db, D.suspended, NOW)
    db.commit()
    page = client.get("/directory?q=钱塘新材料").get_data(as_text=True)
    assert "杭州钱塘新材料股份有限公司" in page and "暂停" in page and "共 1 条" in page
    assert "共 0 条" in client.get("/directory?status=active").get_data(as_text=True)
    assert "共 1 条" in client.get("/directory?jurisdiction=330100&tier=city").get_data(as_text=True)
    assert "没有符合条件的认定记录" in client.get("/directory?jurisdiction=340800").get_data(as_text=True)


def test_an_uploaded_certificate_is_checked(client, db) -> None:
    designation = designation_in(db, D.active, NOW)
    db.commit()
    outbox.relay(runtime.current().factory)
    db.expire_all()
    pdf = runtime.current().storage.read(designation.certificate.pdf_path)
    token = csrf(client, "/verify")
    good = client.post("/verify", data={"csrf_token": token, "file": (io.BytesIO(pdf), "证书.pdf")},
                       content_type="multipart/form-data")
    assert good.status_code == 200 and "证书真实有效" in good.get_data(as_text=True)
    bad = client.post("/verify", data={"csrf_token": token, "file": (io.BytesIO(pdf + b"\n%%EOF\n"), "证书.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "PDF 已被篡改" in bad.get_data(as_text=True)
    empty = client.post("/verify", data={"csrf_token": token}, content_type="multipart/form-data")
    assert "请选择要核验的证书 PDF 文件" in empty.get_data(as_text=True)
