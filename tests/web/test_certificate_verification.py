"""Signed certificates: the published key verifies a genuine PDF; a changed PDF, a forged
number or a revoked designation is called out."""
from __future__ import annotations

import io
from datetime import date, datetime

from models.enums import DesignationState as D
from tests.builders import designation_in, user
from tests.web.apiclient import Api
from workflow import designations, outbox, runtime
from workflow.certificate_pdf import CertificateView, render_certificate_pdf
from workflow.signing import canonical

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def issued(db):
    designation = designation_in(db, D.active, NOW)
    db.commit()
    outbox.relay(runtime.current().factory)
    db.expire_all()
    return designation


def check(client, pdf: bytes) -> dict:
    return Api(client).call("POST", "/certificates/verify", 200, data={"file": (io.BytesIO(pdf), "证书.pdf")},
                            content_type="multipart/form-data").json


def test_a_genuine_certificate_verifies(client, db, app) -> None:
    designation = issued(db)
    certificate = designation.certificate
    keys = client.get("/.well-known/greencert-keys.json").json["keys"]
    assert [(k["kid"], k["alg"], k["jurisdiction"]) for k in keys] == [(certificate.key_id, "Ed25519", "330100")]
    record = Api(client).get(f"/certificates/{certificate.number}")
    assert record["payload"]["pdf_sha256"] == certificate.sha256
    assert record["payload"]["holder"] == "杭州钱塘新材料股份有限公司"
    pdf = runtime.current().storage.read(certificate.pdf_path)
    assert check(client, pdf) == {"verdict": "valid", "number": certificate.number, "message": "证书真实有效",
                                  "status": "active"}


def test_a_changed_pdf_is_tampered(client, db, app) -> None:
    designation = issued(db)
    pdf = runtime.current().storage.read(designation.certificate.pdf_path)
    # An incremental update, the usual way a PDF is edited: the file still opens.
    result = check(client, pdf + "\n% 有效期至2035年12月31日\n".encode())
    assert result["verdict"] == "tampered" and "篡改" in result["message"]


def test_a_forged_number_and_a_forged_record_are_detected(client, db, app) -> None:
    issued(db)
    forged = render_certificate_pdf(CertificateView(
        number="330100-GF-2026-0999", holder="杭州假冒科技有限公司", uscc="91330100MA27XXXX0X",
        kind_label="绿色低碳工厂", tier_label="市级", issuer="杭州市经济和信息化局",
        valid_from=date(2026, 1, 1), valid_until=date(2028, 12, 31), verify_url="http://greencert.test/verify/x"))
    result = check(client, forged)
    assert result["verdict"] == "forged" and "不存在" in result["message"]


def test_signature_covers_the_payload() -> None:
    from workflow.signing import verify

    assert canonical({"b": 1, "a": "中"}) == '{"a":"中","b":1}'.encode()
    assert not verify({"number": "x"}, "nokey", "sig", []).valid


def test_revocation_makes_a_genuine_pdf_not_current(client, db, app) -> None:
    designation = issued(db)
    designations.act(db, user(db, "hz_city"), designation, "propose_revocation", NOW, reason="数据造假",
                     reason_code="falsified_data")
    designations.act(db, user(db, "hz_city2"), designation, "revoke", NOW)
    db.commit()
    pdf = runtime.current().storage.read(designation.certificate.pdf_path)
    result = check(client, pdf)
    assert (result["verdict"], result["status"]) == ("not_current", "revoked")


def test_verification_needs_a_file(client) -> None:
    body = Api(client).call("POST", "/certificates/verify", 422, data={}, content_type="multipart/form-data").json
    assert body["error"]["details"]["fields"]["file"] == ["请选择要核验的证书 PDF 文件"]
