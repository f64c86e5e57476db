"""Notifications (站内消息与邮件): one per user and event, with a link straight to the action.

Every message lands in the user's inbox and, when the user has an e-mail address, goes out by
e-mail too: `notify` adds one `send_email` outbox item per message in the same transaction, so
the e-mail is sent once the change commits, and only once (its key is the message's id).

The events a person must act on, and who hears of them (the calls sit in the service
functions named here):

| event | who | where |
|---|---|---|
| application submitted, recommended upward | staff of the holding jurisdiction | `application_changed` |
| returned for changes, clarification requested | the applicant | `application_changed` |
| clarification answered | the panel's experts, the deciding staff | `application_changed` |
| evaluation done: panel to draw / ineligible | deciding staff / the applicant | `application_changed` |
| refused, on notice, rejected, objection upheld | the applicant | `application_changed` |
| invitation to review, reminders, lapse | the expert | `panels.invite`, `reviews.tick` |
| reviews complete (discussion needed), vacancy | deciding staff | `reviews`, `panels.replace` |
| objection filed | deciding staff | `notices.file_objection` |
| objection decided | the objector, when the contact is an e-mail | `objection_decided` |
| designation granted, certificate issued | the holder | `designations.grant`, `certificates` |
| rectification, suspension, reinstatement, revocation, expiry, renewal | the holder | `designation_changed` |
| revocation proposed | the jurisdiction's other staff (a second person confirms) | `designation_changed` |
| yearly report opened, due, overdue | the holder (overdue: staff too) | `reports` |
| change reported / resolved | staff / the holder | `changes` |
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from evaluators.messages import Day, Joined, Stored, Text, encode, message
from models import Application, Designation, Notification, Objection, User
from models.enums import KIND_LABELS, TIER_LABELS, ReviewState, Role
from workflow import outbox
from workflow.db import insert_new
from workflow.errors import NotFound

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def notify(session: Session, users: Iterable[User], *, key: str, subject: str, body: str = "",
           link: str = "", now: datetime) -> int:
    """Add the message for each user once, and its e-mail; the same key never notifies a user twice."""
    return notify_each(session, [Message(user, key, subject, body, link) for user in users], now=now)


@dataclass(frozen=True)
class Message:
    """One message for one user, as `notify_each` adds it."""

    user: User
    key: str
    subject: str
    body: str = ""
    link: str = ""


def notify_each(session: Session, messages: Sequence[Message], *, now: datetime) -> int:
    """`notify` for several messages at once: one INSERT of them all that skips a (user, key)
    sent already, then one of the e-mails of those added."""
    wanted = list({(m.user.id, m.key): m for m in messages}.values())
    if not wanted:
        return 0
    connection = session.connection()
    added = connection.execute(_insert_new(connection.dialect.name), [
        {"user_id": m.user.id, "key": m.key, "subject": m.subject[:200], "body": m.body, "link": m.link,
         "messages": _messages(m), "created_at": now, "read_at": None} for m in wanted]).all()
    users = {m.user.id: m.user for m in wanted}
    outbox.add_all(session, "send_email", [(["notification", message_id], f"notification-{message_id}")
                                           for message_id, user_id in sorted(added)
                                           if users[user_id].email and users[user_id].active],
                   queue="notifications")
    return len(added)


def _insert_new(dialect_name: str) -> Any:
    """INSERT of notifications that skips a (user, key) sent already; many at once as one statement."""
    return insert_new(dialect_name, Notification.__table__, ("user_id", "key"), ("id", "user_id"))


def _messages(m: Message) -> dict[str, Any] | None:
    """The messages of a subject and body the system composed (evaluators.messages), for the inbox;
    the e-mail takes the Chinese text."""
    composed = {"subject": encode(m.subject), "body": encode(m.body)}
    return composed if composed["subject"] or composed["body"] else None


def enterprise_users(session: Session, enterprise_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.enterprise_id == enterprise_id, User.active.is_(True))))


def staff_of(session: Session, jurisdiction_code: str) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.staff, User.active.is_(True),
                                                   User.jurisdiction_code == jurisdiction_code)))


def inbox(session: Session, user: User, limit: int = 50, offset: int = 0) -> list[Notification]:
    """The user's messages, newest first."""
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc())
                                .offset(offset).limit(limit)))


def count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id)) or 0


def unread_count(session: Session, user: User) -> int:
    """The number shown next to the user's name on every page: one count over the
    (user_id, read_at) index."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's own messages read; anyone else's is not found (its existence is private)."""
    message = session.get(Notification, notification_id)
    if message is None or message.user_id != user.id:
        raise NotFound("消息不存在")
    if message.read_at is None:
        message.read_at = now
        session.flush()
    return message


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    """Mark every unread message of the user read; the number marked."""
    marked = session.execute(update(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                             .values(read_at=now).execution_options(synchronize_session="fetch"))
    return marked.rowcount or 0


def email_in(contact: str) -> str | None:
    """The e-mail address in an objector's free-text contact (电话或邮箱), if there is one."""
    found = EMAIL.search(contact or "")
    return found.group(0) if found else None


# Applications -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """Who hears of a change, and what they read: subject and body are message templates
    (evaluators.messages, with ``%(name)s`` placeholders); the link a `str.format` template."""

    audience: str  # applicant | holding_staff | deciding_staff | panel
    subject: str
    body: str = "%(reason)s"
    link: str = "/applications/{id}"


APPLICATION_EVENTS: dict[tuple[str, str], Event] = {
    # (trigger, state reached) → the message
    ("submit", "submitted"): Event(
        "holding_staff", "待审核：%(enterprise)s提交了申报（申报 #%(id)s）",
        "%(programme)s。请审核后推荐、受理或退回修改。"),
    ("recommend", "submitted"): Event(
        "holding_staff", "待审核：%(enterprise)s的申报已推荐至本级（申报 #%(id)s）",
        "%(programme)s。请审核后继续推荐、受理或退回修改。"),
    ("return_for_changes", "returned"): Event(
        "applicant", "申报被退回修改（申报 #%(id)s）", "退回原因：%(reason)s\n请修改后重新提交。",
        "/portal/applications/{id}/form"),
    ("refuse", "rejected"): Event("applicant", "申报不予受理（申报 #%(id)s）", "理由：%(reason)s"),
    ("complete_evaluation", "under_review"): Event(
        "deciding_staff", "请抽取评审专家：%(enterprise)s（申报 #%(id)s）",
        "自动评价符合条件（%(auto_score)s分），请抽取专家组。", "/applications/{id}#panel"),
    ("complete_evaluation", "ineligible"): Event(
        "applicant", "申报未通过自动评价（申报 #%(id)s）", "不符合条件的原因：%(evaluation_reasons)s"),
    ("request_clarification", "awaiting_clarification"): Event(
        "applicant", "专家组要求补充说明（申报 #%(id)s）", "需要补充说明的问题：%(reason)s\n请在申报页面提交补充说明。"),
    ("answer_clarification", "under_review"): Event(
        "panel", "申报单位已补充说明，评审继续（申报 #%(id)s）", "补充说明：%(reason)s"),
    ("approve_for_notice", "public_notice"): Event(
        "applicant", "申报已进入公示（申报 #%(id)s）", "公示期间如有异议，认定部门将核实处理。"),
    ("reject", "rejected"): Event("applicant", "申报不予认定（申报 #%(id)s）", "理由：%(reason)s"),
    ("uphold_objection", "under_review"): Event(
        "applicant", "公示异议成立，申报退回评审（申报 #%(id)s）", "处理意见：%(reason)s"),
}


def application_changed(session: Session, app: Application, trigger: str, reason: str, now: datetime) -> int:
    """Tell whoever must act next (or learns a decision) after `trigger` took the application on."""
    event = APPLICATION_EVENTS.get((trigger, str(app.state)))
    if event is None:
        return 0
    fields: dict[str, Any] = {
        "id": str(app.id), "enterprise": app.enterprise.name, "programme": app.programme.title,
        "reason": reason, "auto_score": f"{app.auto_score:g}" if app.auto_score is not None else "",
        "evaluation_reasons": _evaluation_reasons(app.evaluation or {}),
    }
    key = f"application-{app.id}-{trigger}-{int(now.timestamp())}"
    subject, body, link = (_filled_in(event.subject, fields), _filled_in(event.body, fields),
                           event.link.format(**fields))
    if event.audience == "panel":
        sent = 0
        for review in app.panel.reviews if app.panel is not None else []:
            if review.state is ReviewState.accepted:
                sent += notify(session, [review.expert.user], key=key, subject=subject, body=body,
                               link=f"/desk/reviews/{review.id}", now=now)
        return sent + notify(session, staff_of(session, app.programme.jurisdiction_code), key=key,
                             subject=subject, body=body, link=link, now=now)
    users = {
        "applicant": lambda: enterprise_users(session, app.enterprise_id),
        "holding_staff": lambda: staff_of(session, app.holding_jurisdiction_code),
        "deciding_staff": lambda: staff_of(session, app.programme.jurisdiction_code),
    }[event.audience]()
    return notify(session, users, key=key, subject=subject, body=body, link=link, now=now)


def _filled_in(template: str, fields: dict[str, Any]) -> Text:
    return message(template, **{name: value for name, value in fields.items() if f"%({name})s" in template})


def _evaluation_reasons(evaluation: dict[str, Any]) -> Text | Joined:
    """Why an evaluation found the application ineligible, each reason with its messages if it has them."""
    reasons = evaluation.get("reasons") or []
    if not reasons:
        return message("见评价结果")
    stored = evaluation.get("reasons_messages") or []
    return Joined(tuple(Stored(tuple(stored[i])) if i < len(stored) and stored[i] else text
                        for i, text in enumerate(reasons)), "；")


def objection_filed(session: Session, objection: Objection, now: datetime) -> int:
    app = objection.application
    return notify(session, staff_of(session, app.programme.jurisdiction_code),
                  key=f"objection-{objection.id}-filed",
                  subject=message("公示异议待处理：%(enterprise)s（申报 #%(id)s）", enterprise=app.enterprise.name,
                                  id=str(app.id)),
                  body=message("异议人：%(name)s\n异议内容：%(content)s\n请核实后认定异议成立或不成立；"
                               "处理完毕前公示不能结束。", name=objection.name, content=objection.content),
                  link=f"/applications/{app.id}", now=now)


def objection_decided(session: Session, objection: Objection) -> bool:
    """E-mail the objector the bureau's answer when the contact they left is an e-mail address."""
    if email_in(objection.contact) is None:
        return False
    outbox.add(session, "send_email", ["objection_decided", objection.id], queue="notifications",
               key=f"objection-{objection.id}-decided")
    return True


# Designations -------------------------------------------------------------------------------

DESIGNATION_EVENTS: dict[str, Event] = {
    "require_rectification": Event(
        "holder", "请于%(rectify_by)s前完成整改：%(kind)s（%(enterprise)s）",
        "整改要求：%(reason)s\n整改期满未经确认的，认定将被暂停。", "/designations/{id}"),
    "confirm_rectified": Event("holder", "整改已确认：%(kind)s（%(enterprise)s）", "认定恢复有效。", "/designations/{id}"),
    "suspend": Event("holder", "认定已暂停：%(kind)s（%(enterprise)s）",
                     "暂停理由：%(reason)s\n暂停至%(suspended_until)s；期满未恢复的将被撤销认定。", "/designations/{id}"),
    "reinstate": Event("holder", "认定已恢复：%(kind)s（%(enterprise)s）", "认定恢复有效。", "/designations/{id}"),
    "propose_revocation": Event("other_staff", "请确认撤销%(enterprise)s的认定",
                                "撤销理由：%(reason)s\n撤销须由提议人以外的工作人员确认。", "/designations/{id}"),
    "revoke": Event("holder", "认定已撤销：%(kind)s（%(enterprise)s）", "撤销理由：%(reason)s", "/designations/{id}"),
    "expire": Event("holder", "认定已到期：%(kind)s（%(enterprise)s）", "有效期至%(valid_until)s，证书已作废。",
                    "/designations/{id}"),
    "renew": Event("holder", "认定已续期：%(kind)s（%(enterprise)s）", "有效期延至%(valid_until)s，证书已换发。",
                   "/designations/{id}"),
}


def designation_changed(session: Session, designation: Designation, trigger: str, reason: str,
                        actor_id: int | None, now: datetime) -> int:
    event = DESIGNATION_EVENTS.get(trigger)
    if event is None:
        return 0
    fields = _designation_fields(designation, reason)
    if event.audience == "holder":
        users = enterprise_users(session, designation.enterprise_id)
    else:  # a revocation takes two people: the proposer is not asked to confirm
        users = [u for u in staff_of(session, designation.jurisdiction_code) if u.id != actor_id]
    return notify(session, users, key=f"designation-{designation.id}-{trigger}-{int(now.timestamp())}",
                  subject=_filled_in(event.subject, fields), body=_filled_in(event.body, fields),
                  link=event.link.format(**fields), now=now)


def designation_granted(session: Session, designation: Designation, now: datetime) -> int:
    fields = _designation_fields(designation, "")
    return notify(session, enterprise_users(session, designation.enterprise_id),
                  key=f"designation-{designation.id}-granted",
                  subject=_filled_in("已获认定：%(kind)s（%(enterprise)s）", fields),
                  body=_filled_in("公示期满无异议，认定有效期%(valid_from)s至%(valid_until)s。证书生成后可在认定页面下载。",
                                  fields),
                  link=f"/designations/{designation.id}", now=now)


def _designation_fields(designation: Designation, reason: str) -> dict[str, Any]:
    return {"id": designation.id, "enterprise": designation.enterprise.name, "reason": reason,
            "kind": Joined((message(TIER_LABELS[designation.tier]), message(KIND_LABELS[designation.kind])), ""),
            "rectify_by": _day(designation.rectify_by), "suspended_until": _day(designation.suspended_until),
            "valid_from": _day(designation.valid_from), "valid_until": _day(designation.valid_until)}


def _day(value: Any) -> Day | str:
    return Day(value) if value is not None else ""
