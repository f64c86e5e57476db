"""Certificate numbers, issue, voiding and rendering.

Number: `<jurisdiction code>-<kind code>-<year>-<4-digit sequence>` (ARCHITECTURE §8), drawn
from a per-(jurisdiction, kind, year) counter row locked for the transaction, so numbers are
gapless and unique under concurrency and a revoked number is never reused.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from evaluators.messages import message
from models import Certificate, CertificateSequence, Designation
from models.enums import KIND_CODES, KIND_LABELS, TIER_LABELS, CertificateStatus
from workflow import notifications, outbox, signing
from workflow.clock import local_date
from workflow.clock import now as utc_now

if TYPE_CHECKING:
    from workflow.certificate_pdf import CertificateView


def allocate_number(session: Session, jurisdiction_code: str, kind_code: str, year: int) -> tuple[str, int]:
    values = {"jurisdiction_code": jurisdiction_code, "kind_code": kind_code, "year": year, "last": 0}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(CertificateSequence).values(**values).on_conflict_do_nothing())
    counter = session.execute(
        select(CertificateSequence)
        .where(
            CertificateSequence.jurisdiction_code == jurisdiction_code,
            CertificateSequence.kind_code == kind_code,
            CertificateSequence.year == year,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    counter.last += 1
    session.flush()
    return f"{jurisdiction_code}-{kind_code}-{year}-{counter.last:04d}", counter.last


def issue(session: Session, designation: Designation, now: datetime) -> Certificate:
    """Number a new certificate for the designation and queue the rendering of its PDF."""
    year = local_date(now).year
    kind_code = KIND_CODES[designation.kind]
    number, sequence = allocate_number(session, designation.jurisdiction_code, kind_code, year)
    certificate = Certificate(
        designation=designation, number=number, jurisdiction_code=designation.jurisdiction_code,
        kind_code=kind_code, year=year, sequence=sequence, holder=designation.enterprise.name,
        created_at=now,
    )
    session.add(certificate)
    session.flush()
    outbox.add(session, "render_certificate", [certificate.id], queue="certificates", key=str(certificate.id))
    return certificate


def void(designation: Designation, now: datetime) -> None:
    for certificate in designation.certificates:
        if certificate.status in (CertificateStatus.pending, CertificateStatus.issued):
            certificate.status = CertificateStatus.void
            certificate.voided_at = now


def supersede(session: Session, designation: Designation, now: datetime) -> Certificate:
    """Re-issue: the current certificate shows as superseded, a new one is numbered."""
    for certificate in designation.certificates:
        if certificate.status in (CertificateStatus.pending, CertificateStatus.issued):
            certificate.status = CertificateStatus.superseded
            certificate.voided_at = now
    return issue(session, designation, now)


def storage_key(certificate: Certificate) -> str:
    return f"certificates/{certificate.number}.pdf"


def view_of(certificate: Certificate, base_url: str) -> CertificateView:
    """What the certificate's PDF shows, its verification address on `base_url`."""
    from workflow.certificate_pdf import CertificateView

    designation = certificate.designation
    return CertificateView(
        number=certificate.number,
        holder=certificate.holder,
        uscc=designation.enterprise.uscc,
        kind_label=KIND_LABELS[designation.kind],
        tier_label=TIER_LABELS[designation.tier],
        issuer=designation.jurisdiction.bureau_name,
        valid_from=designation.valid_from,
        valid_until=designation.valid_until,
        verify_url=f"{base_url.rstrip('/')}/verify/{certificate.number}",
        scope=designation.enterprise.address,
    )


def render(session: Session, certificate_id: int) -> str:
    """The job: render and store the PDF once; a certificate no longer pending is left alone."""
    from workflow import runtime
    from workflow.certificate_pdf import render_certificate_pdf

    certificate = session.get(Certificate, certificate_id, with_for_update=True)
    if certificate is None:
        return "missing"
    if certificate.status is not CertificateStatus.pending:
        return f"already {certificate.status}"
    designation = certificate.designation
    rt = runtime.current()
    view = view_of(certificate, rt.base_url)
    pdf = render_certificate_pdf(view)
    key = storage_key(certificate)
    rt.storage.save(key, pdf)
    moment = utc_now()
    certificate.pdf_path = key
    certificate.sha256 = signing.pdf_digest(pdf)
    certificate.payload = {
        "number": certificate.number, "holder": certificate.holder, "uscc": view.uscc,
        "kind": str(designation.kind), "tier": str(designation.tier), "issuer": view.issuer,
        "valid_from": view.valid_from.isoformat(), "valid_until": view.valid_until.isoformat(),
        "pdf_sha256": certificate.sha256,
    }
    certificate.key_id, certificate.signature = signing.sign(
        session, designation.jurisdiction_code, certificate.payload, moment)
    certificate.status = CertificateStatus.issued
    certificate.issued_at = moment
    notifications.notify(
        session, notifications.enterprise_users(session, designation.enterprise_id),
        key=f"certificate-issued-{certificate.id}",
        subject=message("证书已签发：%(number)s", number=certificate.number),
        body=message("%(issuer)s为“%(holder)s”签发的%(kind)s证书已生成，可下载电子证书。", issuer=view.issuer,
                     holder=certificate.holder, kind=message(view.kind_label)),
        link=f"/certificates/{certificate.number}.pdf", now=moment,
    )
    return "issued"


def find(session: Session, number: str) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.number == number))


@dataclass(frozen=True)
class PdfCheck:
    """The verdict on a certificate PDF: genuine and current, or what is wrong with it."""

    verdict: str  # valid | not_current | tampered | forged | unreadable
    number: str
    message: str  # composed: evaluators.messages
    status: str = ""


def number_in_pdf(pdf: bytes) -> str:
    """The certificate number the PDF carries in its metadata (keywords), or ""."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        metadata = PdfReader(io.BytesIO(pdf)).metadata or {}
    except (PdfReadError, ValueError, OSError):
        return ""
    return str(metadata.get("/Keywords", "") or "").strip()


def check_pdf(pdf: bytes, lookup: Callable[[str], dict[str, Any] | None],
              keys: list[dict[str, Any]]) -> PdfCheck:
    """Check a PDF against the issuer's record (`lookup(number)` → the public certificate JSON)."""
    number = number_in_pdf(pdf)
    if not number:
        return PdfCheck("unreadable", "", message("文件不是本系统签发的证书 PDF（未找到证书编号）"))
    record = lookup(number)
    if record is None or not record.get("signature"):
        return PdfCheck("forged", number, message("证书编号“%(number)s”不存在：伪造的证书", number=number))
    verdict = signing.verify(record["payload"], record["key_id"], record["signature"], keys)
    if not verdict.valid:
        return PdfCheck("forged", number, verdict.problem)
    if record["payload"].get("pdf_sha256") != signing.pdf_digest(pdf):
        return PdfCheck("tampered", number, message("文件内容与发证机关签发的证书不一致：PDF 已被篡改"),
                        record["status"])
    if record["status"] != "active":
        return PdfCheck("not_current", number, message("证书真实，但当前状态为“%(status)s”",
                                                       status=record["status"]), record["status"])
    return PdfCheck("valid", number, message("证书真实有效"), record["status"])
