"""Security records: password resets and the e-mails kept when no SMTP server is configured.

Sign-in throttling needs no table of its own: it counts the login events of the audit log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.people import User


class PasswordReset(Base):
    """A request to reset a password by e-mail (找回密码).

    The link's token is made when the e-mail is composed and only its SHA-256 is kept, so
    neither the outbox nor this table ever holds a usable token.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    client_address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()


class SentEmail(Base):
    """An e-mail delivered to this table instead of an SMTP server (embedded default, tests)."""

    __tablename__ = "sent_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
