"""The expert pool (专家库)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.people import Jurisdiction, User


class Expert(Base):
    """A member of the expert pool (专家库)."""

    __tablename__ = "experts"
    __table_args__ = (UniqueConstraint("user_id"),)

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

    user: Mapped[User] = relationship(back_populates="expert")
    jurisdiction: Mapped[Jurisdiction] = relationship()
