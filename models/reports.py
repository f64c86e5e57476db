"""Yearly reports (动态管理表) of designated units, and in-app notifications."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.designations import Designation
from models.enums import ReportState


class YearlyReport(Base):
    """The key green indicators of one year, filed by a designated unit by the programme's date."""

    __tablename__ = "yearly_reports"
    __table_args__ = (UniqueConstraint("designation_id", "year"),
                      Index("ix_yearly_reports_state_due", "state", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    designation_id: Mapped[int] = mapped_column(ForeignKey("designations.id"))
    year: Mapped[int]
    due_on: Mapped[date]
    state: Mapped[ReportState] = mapped_column(enum_column(ReportState, "report_state"), default=ReportState.due)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evaluation: Mapped[dict[str, Any] | None]
    total: Mapped[float | None]
    eligible: Mapped[bool | None]
    finding: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]
    evaluated_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    designation: Mapped[Designation] = relationship()


class Notification(Base):
    """An in-app message (站内消息) for a user, with a link straight to the action."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    # The messages of the subject and body ({"subject": [...], "body": [...]}: evaluators.messages),
    # so that the inbox reads in the reader's language; None for text written without them.
    messages: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),
                      UniqueConstraint("user_id", "key"))

    @property
    def subject_messages(self) -> list[Any] | None:
        return (self.messages or {}).get("subject")

    @property
    def body_messages(self) -> list[Any] | None:
        return (self.messages or {}).get("body")
