"""E-mail: composed by a job from the rows it names, sent by SMTP or kept in `sent_emails`.

The `send_email` job takes a kind and a row id, never a message: a password-reset link is made
only when its e-mail is composed, so the outbox never holds a usable token; a notification's
e-mail is composed from the inbox message, with its link made absolute from the public base URL.
SMTP settings come from the environment (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD,
MAIL_FROM); without SMTP_HOST (the embedded default and the tests) messages go to the
`sent_emails` table, which admins read at /console/mail.
"""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Notification, Objection, User
from models.enums import ObjectionState
from models.security import PasswordReset, SentEmail
from workflow import runtime
from workflow.clock import CHINA
from workflow.clock import now as utc_now

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SUBJECT_PREFIX = "【绿色低碳认定系统】"


@dataclass(frozen=True)
class Message:
    key: str  # one message per key: a retried job does not send twice
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str

    @classmethod
    def from_environment(cls) -> SmtpSettings | None:
        host = os.environ.get("SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(host=host, port=int(os.environ.get("SMTP_PORT") or 587),
                   user=os.environ.get("SMTP_USER", ""), password=os.environ.get("SMTP_PASSWORD", ""),
                   sender=os.environ.get("MAIL_FROM") or f"greencert@{host}")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=False,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _password_reset(session: Session, reset_id: int, now: datetime) -> Message | None:
    reset = session.get(PasswordReset, reset_id, with_for_update=True)
    if reset is None or reset.sent_at is not None or reset.used_at is not None or reset.expires_at <= now:
        return None
    token = secrets.token_urlsafe(32)
    reset.digest = hashlib.sha256(token.encode()).hexdigest()
    reset.sent_at = now
    user = reset.user
    body = _environment().get_template("account/password_reset_email.txt").render(
        name=user.display_name, username=user.username,
        link=f"{runtime.current().base_url.rstrip('/')}/password-reset/{token}",
        expires=reset.expires_at.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M"),
    )
    return Message(f"password-reset-{reset.id}", user.email, f"{SUBJECT_PREFIX}重置密码", body)


def absolute(link: str) -> str:
    """A link of ours ("/desk/reviews/7") as the address to open from an e-mail."""
    if not link.startswith("/"):
        return link
    return f"{runtime.current().base_url.rstrip('/')}{link}"


def _notification(session: Session, notification_id: int, now: datetime) -> Message | None:
    notification = session.get(Notification, notification_id)
    if notification is None:
        return None
    user = session.get(User, notification.user_id)
    if user is None or not user.email or not user.active:
        return None
    body = _environment().get_template("mail/notification.txt").render(
        name=user.display_name, subject=notification.subject, body=notification.body,
        link=absolute(notification.link) if notification.link else "",
        at=notification.created_at.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M"),
    )
    return Message(f"notification-{notification.id}", user.email,
                   f"{SUBJECT_PREFIX}{notification.subject}"[:200], body)


def _objection_decided(session: Session, objection_id: int, now: datetime) -> Message | None:
    from workflow.notifications import email_in

    objection = session.get(Objection, objection_id)
    if objection is None or objection.state is ObjectionState.open:
        return None
    recipient = email_in(objection.contact)
    if recipient is None:
        return None
    app = objection.application
    body = _environment().get_template("mail/objection_decided.txt").render(
        name=objection.name, enterprise=app.enterprise.name, content=objection.content,
        upheld=objection.state is ObjectionState.upheld, resolution=objection.resolution,
        link=absolute(f"/notices/{objection.notice_id}"),
    )
    return Message(f"objection-{objection.id}-decided", recipient,
                   f"{SUBJECT_PREFIX}您对{app.enterprise.name}的公示异议已处理"[:200], body)


COMPOSERS: dict[str, Callable[[Session, int, datetime], Message | None]] = {
    "password_reset": _password_reset,
    "notification": _notification,
    "objection_decided": _objection_decided,
}


def send_email(session: Session, kind: str, row_id: int) -> str:
    """The job: compose the e-mail of `kind` for row `row_id` and send it, once."""
    message = COMPOSERS[kind](session, row_id, utc_now())
    if message is None:
        return "skipped: nothing to send"
    settings = SmtpSettings.from_environment()
    if settings is None:
        return _keep(session, message)
    _send_smtp(settings, message)
    return f"sent to {message.recipient}"


def _keep(session: Session, message: Message) -> str:
    if session.scalar(select(SentEmail.id).where(SentEmail.key == message.key)) is None:
        session.add(SentEmail(key=message.key, recipient=message.recipient, subject=message.subject,
                              body=message.body, sent_at=utc_now()))
        session.flush()
    return f"kept for {message.recipient} (no SMTP_HOST)"


def _send_smtp(settings: SmtpSettings, message: Message) -> None:
    email = EmailMessage()
    email["From"] = formataddr(("绿色低碳认定系统", settings.sender))
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # The same message keeps the same id, so a mail client shows a resent copy only once.
    email["Message-ID"] = f"<{message.key}@{settings.sender.rpartition('@')[2] or settings.host}>"
    email.set_content(message.body)
    context = ssl.create_default_context()
    if settings.port == 465:
        server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=30, context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=30)
    with server:
        if settings.port != 465:
            server.ehlo()
            if server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
        if settings.user:
            server.login(settings.user, settings.password)
        server.send_message(email)


def kept(session: Session, *, recipient: str = "", limit: int = 200) -> list[SentEmail]:
    """The newest messages kept in place of an SMTP server, optionally to one recipient."""
    query = select(SentEmail)
    if recipient.strip():
        query = query.where(SentEmail.recipient.ilike(f"%{_like(recipient.strip())}%", escape="\\"))
    return list(session.scalars(query.order_by(SentEmail.id.desc()).limit(limit)))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
