"""Public notices and objections, designations, certificates and their number sequences."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.applications import Application
from models.base import Base, enum_column, utcnow
from models.enums import (
    CertificateStatus,
    DesignationState,
    Kind,
    NoticeState,
    ObjectionState,
    RevocationReason,
    Tier,
)
from models.people import Enterprise, Jurisdiction


class Notice(Base):
    """A public notice (公示) of approved applications, open for a number of working days."""

    __tablename__ = "notices"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[NoticeState] = mapped_column(
        enum_column(NoticeState, "notice_state"), default=NoticeState.open
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    working_days: Mapped[int]
    calendar_warning: Mapped[str] = mapped_column(Text, default="")
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    applications: Mapped[list[Application]] = relationship(
        back_populates="notice", order_by="Application.id"
    )
    objections: Mapped[list[Objection]] = relationship(
        back_populates="notice", order_by="Objection.id"
    )


class Objection(Base):
    """An objection (异议) filed by anyone against a unit on a public notice."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    state: Mapped[ObjectionState] = mapped_column(
        enum_column(ObjectionState, "objection_state"), default=ObjectionState.open
    )
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Evidence the objector attached: [{name, stored_name, content_type, size, sha256}]
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    notice: Mapped[Notice] = relationship(back_populates="objections")
    application: Mapped[Application] = relationship()


class Designation(Base):
    """A granted designation (认定); its lifecycle is workflow.designation_machine."""

    __tablename__ = "designations"
    __table_args__ = (
        UniqueConstraint("application_id"),
        CheckConstraint("valid_until > valid_from", name="validity_ordered"),
        CheckConstraint(
            "(state != 'revoked') OR (reason_code IS NOT NULL)", name="revoked_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "kind"))
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "tier"))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    state: Mapped[DesignationState] = mapped_column(
        enum_column(DesignationState, "designation_state"), default=DesignationState.active
    )
    valid_from: Mapped[date] = mapped_column(index=True)  # the designation list's default order
    valid_until: Mapped[date]
    reason_code: Mapped[RevocationReason | None] = mapped_column(
        enum_column(RevocationReason, "revocation_reason")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    rectify_by: Mapped[date | None]
    suspended_until: Mapped[date | None]
    proposal: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    application: Mapped[Application] = relationship()
    # Every list of designations (directory, feed, console) shows the holder and the current
    # certificate: loaded for all the rows at once, one query each, never one per row.
    enterprise: Mapped[Enterprise] = relationship(lazy="selectin")
    jurisdiction: Mapped[Jurisdiction] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="designation", order_by="Certificate.id", lazy="selectin"
    )

    @property
    def certificate(self) -> Certificate | None:
        """The current certificate: the newest one not superseded."""
        current = [c for c in self.certificates if c.status is not CertificateStatus.superseded]
        return current[-1] if current else None


class Certificate(Base):
    """A numbered certificate (证书) of a designation; the PDF is rendered by a job."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("number"),
        UniqueConstraint("jurisdiction_code", "kind_code", "year", "sequence", name="sequence"),
        CheckConstraint(
            "(status != 'issued') OR (pdf_path IS NOT NULL AND issued_at IS NOT NULL)",
            name="issued_has_pdf",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    designation_id: Mapped[int] = mapped_column(ForeignKey("designations.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    jurisdiction_code: Mapped[str] = mapped_column(String(6))
    kind_code: Mapped[str] = mapped_column(String(4))
    year: Mapped[int]
    sequence: Mapped[int]
    holder: Mapped[str] = mapped_column(String(200))
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus, "certificate_status"), default=CertificateStatus.pending
    )
    pdf_path: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None]
    key_id: Mapped[str | None] = mapped_column(String(40))
    signature: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]

    designation: Mapped[Designation] = relationship(back_populates="certificates")


class CertificateSequence(Base):
    """The last number used per jurisdiction, kind and year; locked row by row for gapless numbers."""

    __tablename__ = "certificate_sequences"

    jurisdiction_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    kind_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class SigningKey(Base):
    """A bureau's Ed25519 key for certificates; the private half is encrypted with SECRET_KEY."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class CalendarDay(Base):
    """A day whose working status the admin sets: a year's 节假日安排 not yet in the package,
    or a correction. It overrides the official calendar package."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")


class ChangeReport(Base):
    """A designated unit's report of a change of name, scope, address or boundary (变更报告)."""

    __tablename__ = "change_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    designation_id: Mapped[int] = mapped_column(ForeignKey("designations.id"), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[str] = mapped_column(Text, default="")
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    designation: Mapped[Designation] = relationship()
