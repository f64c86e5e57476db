"""The expert pool (专家库) and the conflicts of interest declared against it."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.people import Jurisdiction, User


class Expert(Base):
    """A member of the expert pool (专家库).

    `specialties` holds GB/T 4754 divisions ("C30") and fields ("energy", "carbon", ...);
    `former_employers` holds {name, uscc, from, until} with ISO dates. A deactivated expert is
    kept with every review they wrote (停用，不删除).
    """

    __tablename__ = "experts"
    __table_args__ = (
        UniqueConstraint("user_id"),
        CheckConstraint(
            "unavailable_until IS NULL OR unavailable_from IS NULL"
            " OR unavailable_until >= unavailable_from",
            name="unavailable_ordered",
        ),
        CheckConstraint("active OR deactivated_at IS NOT NULL", name="inactive_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")
    employer: Mapped[str] = mapped_column(String(200), default="")
    employer_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    specialties: Mapped[list[Any]] = mapped_column(default=list)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    former_employers: Mapped[list[Any]] = mapped_column(default=list)
    unavailable_from: Mapped[date | None]
    unavailable_until: Mapped[date | None]
    deactivated_at: Mapped[datetime | None]
    deactivated_by: Mapped[str] = mapped_column(String(100), default="")
    deactivation_reason: Mapped[str] = mapped_column(Text, default="")
    # Open reviews (invited or accepted) on applications still under review, for the load cap of a
    # panel draw: moved in the transaction that opens or closes one (workflow/panels.py
    # `count_open_reviews`), never through the ORM, so an expert's version stays as it was.
    open_reviews: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    user: Mapped[User] = relationship(back_populates="expert")
    jurisdiction: Mapped[Jurisdiction] = relationship()

    def unavailable_on(self, day: date) -> bool:
        """Whether `day` falls in the period the expert cannot review (either end may be open)."""
        if self.unavailable_from is None and self.unavailable_until is None:
            return False
        starts = self.unavailable_from or date.min
        ends = self.unavailable_until or date.max
        return starts <= day <= ends


# What a panel draw looks experts up by (workflow/panels.py `_suspects`): each conflict rule by an
# index of its own. The few experts with a period of unavailability, or with former employers
# listed, are indexed alone.
UNAVAILABLE_SOMETIME = Expert.unavailable_from.is_not(None) | Expert.unavailable_until.is_not(None)
LISTS_FORMER_EMPLOYERS = text("CAST(experts.former_employers AS TEXT) <> '[]'")
# The pool a panel is drawn from, read in id order from the index alone (an index-only scan).
Index("ix_experts_active", Expert.id, postgresql_where=Expert.active.is_(True), sqlite_where=Expert.active.is_(True))
Index("ix_experts_name", Expert.name)
Index("ix_experts_open_reviews", Expert.open_reviews)
Index("ix_experts_unavailable", Expert.id, postgresql_where=UNAVAILABLE_SOMETIME, sqlite_where=UNAVAILABLE_SOMETIME)
Index("ix_experts_former_employers", Expert.id, postgresql_where=LISTS_FORMER_EMPLOYERS,
      sqlite_where=LISTS_FORMER_EMPLOYERS)


class ConflictSource(StrEnum):
    expert = "expert"  # 专家本人申报
    applicant = "applicant"  # 申报单位申请回避


class ConflictDeclaration(Base):
    """A declared conflict of interest (利益冲突申报 / 回避申请), kept for every later draw.

    An expert declares a unit (by credit code) they cannot judge fairly; an applicant asks that
    a named person, or anyone employed by a named unit, stay off its panels.
    """

    __tablename__ = "conflict_declarations"
    __table_args__ = (
        CheckConstraint(
            "(source != 'expert') OR (expert_id IS NOT NULL AND uscc IS NOT NULL)",
            name="expert_names_unit",
        ),
        CheckConstraint(
            "(source != 'applicant') OR (enterprise_id IS NOT NULL"
            " AND (person_name != '' OR uscc IS NOT NULL))",
            name="applicant_names_someone",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[ConflictSource] = mapped_column(enum_column(ConflictSource, "conflict_source"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(100), default="")
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    expert: Mapped[Expert | None] = relationship()
