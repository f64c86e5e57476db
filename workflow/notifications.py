"""In-app notifications (站内消息): one per user and event, with a link to the action."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Notification, User
from models.enums import Role


def notify(session: Session, users: Iterable[User], *, key: str, subject: str, body: str = "",
           link: str = "", now: datetime) -> int:
    """Add the message for each user once; the same key never notifies a user twice."""
    added = 0
    for user in users:
        exists = session.scalar(select(Notification.id).where(Notification.user_id == user.id,
                                                              Notification.key == key))
        if exists is None:
            session.add(Notification(user_id=user.id, key=key, subject=subject, body=body, link=link,
                                     created_at=now))
            added += 1
    return added


def enterprise_users(session: Session, enterprise_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.enterprise_id == enterprise_id, User.active.is_(True))))


def staff_of(session: Session, jurisdiction_code: str) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.staff, User.active.is_(True),
                                                   User.jurisdiction_code == jurisdiction_code)))


def inbox(session: Session, user: User, limit: int = 50) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id.desc()).limit(limit)))
