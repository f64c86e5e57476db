"""Jurisdictions, users, enterprises and experts: who acts in GreenCert."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.enums import JurisdictionLevel, Role

if TYPE_CHECKING:
    from models.experts import Expert


class Jurisdiction(Base):
    """A GB/T 2260 administrative division (行政区划): province → city → county/district."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[JurisdictionLevel] = mapped_column(enum_column(JurisdictionLevel, "jurisdiction_level"))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.code"), index=True)

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[code])

    @property
    def bureau_name(self) -> str:
        """The issuing body: 杭州市经济和信息化局, 浙江省经济和信息化厅 ..."""
        suffix = "经济和信息化厅" if self.level is JurisdictionLevel.province else "经济和信息化局"
        return f"{self.name}{suffix}"


class Enterprise(Base):
    """An applicant unit (申报单位) identified by its unified social credit code (统一社会信用代码)."""

    __tablename__ = "enterprises"
    # Whether a listed record's enterprise is in the reader's area, answered from the index alone
    # (workflow/listings.py).
    __table_args__ = (Index("ix_enterprises_id_jurisdiction", "id", "jurisdiction_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)  # lists sort by name
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    industry_codes: Mapped[list[Any]] = mapped_column(default=list)
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role != 'applicant') OR (enterprise_id IS NOT NULL)", name="applicant_has_enterprise"
        ),
        CheckConstraint(
            "(role != 'staff') OR (jurisdiction_code IS NOT NULL)", name="staff_has_jurisdiction"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.code"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    jurisdiction: Mapped[Jurisdiction | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    expert: Mapped["Expert | None"] = relationship(back_populates="user", uselist=False)

    @property
    def display_name(self) -> str:
        return self.name or self.username


class ApiToken(Base):
    """A personal API token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
