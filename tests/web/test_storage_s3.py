"""The app with its files in an S3 bucket (a real S3-speaking server over HTTP): evidence
uploaded through the API lands in the bucket and comes back to those allowed to have it, with
its name and type; the certificate job renders into the bucket and the public PDF link serves
a certificate that verifies."""
from __future__ import annotations

import io
import socket
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import EvidenceFile
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import application_in, designation_in, new_enterprise
from tests.conftest import app_over
from tests.s3server import S3Server, s3_bucket, s3_credentials, s3_server  # noqa: F401
from tests.web.apiclient import Api
from workflow import outbox, runtime

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
REPORT = b"%PDF-1.4\n" + "能源审计报告".encode() * 2000 + b"\n%%EOF\n"


@pytest.fixture
def app(factory: sessionmaker[Session], tmp_path: Path, s3_server: S3Server, s3_bucket: str,  # noqa: F811
        s3_credentials: None) -> Flask:  # noqa: F811
    return app_over(factory, tmp_path, STORAGE_URL=f"s3://{s3_bucket}/greencert",
                    S3_ENDPOINT_URL=s3_server.endpoint_url)


def test_evidence_goes_to_the_bucket_and_comes_back_only_to_those_allowed(
        client, db, tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:  # noqa: F811
    draft = application_in(db, S.draft, NOW)
    outsider = new_enterprise(db, 7)
    db.commit()
    applicant = Api(client, "qt_newmat")

    uploaded = applicant.call("POST", f"/applications/{draft.id}/evidence", 201, data={
        "file": (io.BytesIO(REPORT), "2025年能源审计报告.pdf"), "indicator": "perf_energy_required"},
        content_type="multipart/form-data").json

    [(key, stored)] = s3_server.objects(s3_bucket).items()
    assert key.startswith("greencert/evidence/") and key.endswith(".pdf") and stored == REPORT
    assert not (tmp_path / "files").exists()
    download = applicant.call("GET", f"/evidence/{uploaded['id']}", 200)
    assert download.data == REPORT
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Length"] == str(len(REPORT))
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=2025.pdf; filename*=UTF-8''{quote('2025年能源审计报告.pdf')}")
    etag = download.headers["ETag"]
    download.close()
    # A browser that has the file already is told so; a resumed download gets the rest.
    url = f"/api/v1/evidence/{uploaded['id']}"
    again = client.get(url, headers={**applicant.headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    again.close()
    rest = client.get(url, headers={**applicant.headers, "Range": "bytes=9-"})
    assert rest.status_code == 206 and rest.data == REPORT[9:]
    rest.close()
    # Another enterprise is not told the application exists.
    hidden = Api(client, outsider.username, "password-123").call("GET", f"/evidence/{uploaded['id']}", 404)
    assert hidden.json["error"]["code"] == "not_found" and REPORT not in hidden.data
    Api(client).call("GET", f"/evidence/{uploaded['id']}", 401).close()


def test_a_file_missing_from_the_bucket_is_not_found_not_a_server_error(
        client, db, s3_server: S3Server, s3_bucket: str) -> None:  # noqa: F811
    draft = application_in(db, S.draft, NOW)
    db.commit()
    applicant = Api(client, "qt_newmat")
    uploaded = applicant.call("POST", f"/applications/{draft.id}/evidence", 201, data={
        "file": (io.BytesIO(REPORT), "报告.pdf"), "indicator": "perf_energy_required"},
        content_type="multipart/form-data").json
    [key] = s3_server.objects(s3_bucket)
    s3_server.client().delete_object(Bucket=s3_bucket, Key=key)

    missing = applicant.call("GET", f"/evidence/{uploaded['id']}", 404)

    assert missing.json["error"] == {"code": "not_found", "message": "文件不存在", "details": {}}


def test_objection_evidence_is_kept_in_the_bucket_and_served_to_the_bureau(
        client, db, s3_server: S3Server, s3_bucket: str) -> None:  # noqa: F811
    app = application_in(db, S.public_notice, NOW)
    db.commit()
    filed = Api(client).call("POST", f"/notices/{app.notice_id}/objections", 201, data={
        "application_id": str(app.id), "name": "钱塘区某村民委员会", "contact": "0571-86000000",
        "content": "该企业2025年夜间排放异味，已多次向生态环境部门投诉",
        "files": [(io.BytesIO(b"\x89PNG\r\n\x1a\nphoto"), "现场照片.png")],
    }, content_type="multipart/form-data").json

    assert [key.split("/")[1] for key in s3_server.objects(s3_bucket)] == ["objections"]
    download = Api(client, "hz_city").call("GET", f"/objections/{filed['id']}/evidence/0", 200)
    assert download.data == b"\x89PNG\r\n\x1a\nphoto" and download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    download.close()


def test_the_certificate_is_rendered_into_the_bucket_and_verifies_from_the_public_link(
        client, db, s3_server: S3Server, s3_bucket: str) -> None:  # noqa: F811
    designation = designation_in(db, D.active, NOW)
    db.commit()
    outbox.relay(runtime.current().factory)  # the certificate job, in-process
    db.expire_all()
    certificate = designation.certificate
    assert certificate.pdf_path == f"certificates/{certificate.number}.pdf"
    stored = s3_server.objects(s3_bucket)[f"greencert/{certificate.pdf_path}"]

    pdf = client.get(f"/certificates/{certificate.number}.pdf")

    assert pdf.status_code == 200 and pdf.data == stored and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f"inline; filename={certificate.number}.pdf"
    pdf.close()
    verdict = Api(client).call("POST", "/certificates/verify", 200, data={"file": (io.BytesIO(stored), "证书.pdf")},
                               content_type="multipart/form-data").json
    assert (verdict["verdict"], verdict["number"], verdict["status"]) == ("valid", certificate.number, "active")


def test_an_unreachable_bucket_is_a_503_to_retry_and_keeps_nothing(
        factory: sessionmaker[Session], db: Session, tmp_path: Path, s3_credentials: None) -> None:  # noqa: F811
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = app_over(factory, tmp_path, STORAGE_URL="s3://greencert/files",
                      S3_ENDPOINT_URL=f"http://127.0.0.1:{port}").test_client()
    draft = application_in(db, S.draft, NOW)
    db.commit()

    refused = Api(client, "qt_newmat").call("POST", f"/applications/{draft.id}/evidence", 503, data={
        "file": (io.BytesIO(REPORT), "能源审计报告.pdf"), "indicator": "perf_energy_required"},
        content_type="multipart/form-data")

    assert refused.json["error"]["code"] == "unavailable" and refused.headers["Retry-After"] == "5"
    assert db.scalar(select(func.count()).select_from(EvidenceFile)) == 0
