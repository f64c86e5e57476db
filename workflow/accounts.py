"""Registration of enterprises, staff and expert accounts; signing in with throttling and
lock-out; password resets by e-mail; API tokens."""
from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

import evaluators
from evaluators.messages import Joined, message
from models import ApiToken, AuditEvent, Enterprise, Expert, Jurisdiction, User
from models.enums import JurisdictionLevel, Role
from models.schema import reference_rows
from models.security import PasswordReset
from workflow import audit, jurisdictions, outbox
from workflow.actors import Actor, SystemActor, is_role
from workflow.clock import CHINA
from workflow.errors import Forbidden, Invalid, NotFound, NotPossible, WorkflowError
from workflow.passwords import hash_password, password_problem, verify_password

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INDUSTRY_CLASS = re.compile(r"^C(\d{2})\d{2}$")


def _industry_divisions() -> set[str]:
    return {row["division"] for row in reference_rows("industries.csv")}


def _check_account(session: Session, username: str, password: str, email: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not USERNAME.match(username or ""):
        errors["username"] = ["用户名为3至64位字母、数字或 _ . @ -"]
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [message("用户名“%(username)s”已被使用", username=username)]
    problem = password_problem(password or "")
    if problem:
        errors["password"] = [problem]
    if email and not EMAIL.match(email):
        errors["email"] = ["电子邮箱格式不正确"]
    return errors


def register_enterprise(
    session: Session,
    *,
    uscc: str,
    name: str,
    jurisdiction: str,
    industry_codes: list[str],
    username: str,
    password: str,
    email: str,
    address: str = "",
    contact_name: str = "",
) -> tuple[Enterprise, User]:
    """An enterprise or park body registers with its unified social credit code (GB 32100)."""
    uscc = (uscc or "").strip().upper()
    errors = _check_account(session, username, password, email)
    if not email:
        errors["email"] = ["请填写电子邮箱，用于接收审核通知"]
    problem = evaluators.uscc_problem(uscc)
    if problem:
        errors["uscc"] = [problem]
    if not (name or "").strip():
        errors["name"] = ["请填写单位名称"]
    place = jurisdictions.parents(session)
    if jurisdiction not in place:
        errors["jurisdiction"] = [message("行政区划代码“%(code)s”不存在", code=jurisdiction)]
    else:
        level = session.get(Jurisdiction, jurisdiction).level
        if level is not JurisdictionLevel.county:
            errors["jurisdiction"] = ["请选择单位所在的区、县（市）"]
    divisions = _industry_divisions()
    bad = [c for c in industry_codes or [] if not (m := INDUSTRY_CLASS.match(c)) or f"C{m.group(1)}" not in divisions]
    if not industry_codes:
        errors["industry_codes"] = ["请至少填写一个国民经济行业小类代码，如 C3011"]
    elif bad:
        errors["industry_codes"] = [message("行业代码不正确：%(codes)s（应为制造业小类，如 C3011）", codes=Joined(tuple(bad)))]
    if errors:
        raise Invalid("注册信息有误，请按提示修改", {"fields": errors})
    if session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc)) is not None:
        raise NotPossible(
            message("统一社会信用代码 %(uscc)s 已注册，请使用该单位已有账号登录", uscc=uscc),
            {"fields": {"uscc": ["该统一社会信用代码已注册"]}},
        )
    enterprise = Enterprise(
        uscc=uscc, name=name.strip(), jurisdiction_code=jurisdiction,
        industry_codes=list(industry_codes), address=address,
    )
    session.add(enterprise)
    session.flush()
    user = User(
        username=username, password_hash=hash_password(password), role=Role.applicant,
        name=contact_name or name.strip(), email=email, enterprise_id=enterprise.id,
    )
    session.add(user)
    session.flush()
    return enterprise, user


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    jurisdiction: str | None = None,
    name: str = "",
    email: str = "",
) -> User:
    errors = _check_account(session, username, password, email)
    if role is Role.staff and not jurisdiction:
        errors["jurisdiction"] = ["工作人员必须指定所属行政区划"]
    if jurisdiction and jurisdiction not in jurisdictions.parents(session):
        errors["jurisdiction"] = [message("行政区划代码“%(code)s”不存在", code=jurisdiction)]
    if role is Role.applicant:
        errors["role"] = ["申报单位账号请通过注册页面创建"]
    if errors:
        raise Invalid("账号信息有误", {"fields": errors})
    user = User(
        username=username, password_hash=hash_password(password), role=role,
        jurisdiction_code=jurisdiction, name=name, email=email,
    )
    session.add(user)
    session.flush()
    return user


def add_expert(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    name: str,
    employer: str,
    employer_uscc: str | None,
    specialties: list[str],
    jurisdiction: str,
    title: str = "",
    email: str = "",
) -> Expert:
    """Staff add an expert to the pool (专家库) of their jurisdiction's subtree."""
    if not (is_role(actor, Role.admin) or is_role(actor, Role.staff) or isinstance(actor, SystemActor)):
        raise Forbidden("只有经信部门工作人员可以管理专家库")
    errors: dict[str, list[str]] = {}
    if is_role(actor, Role.staff) and not jurisdictions.is_within(session, jurisdiction, actor.jurisdiction_code):
        errors["jurisdiction"] = ["只能在本辖区内添加专家"]
    if not (name or "").strip():
        errors["name"] = ["请填写专家姓名"]
    if employer_uscc:
        employer_uscc = employer_uscc.strip().upper()
        problem = evaluators.uscc_problem(employer_uscc)
        if problem:
            errors["employer_uscc"] = [problem]
    if not specialties:
        errors["specialties"] = ["请至少填写一个专业领域"]
    if errors:
        raise Invalid("专家信息有误", {"fields": errors})
    user = add_user(session, username=username, password=password, role=Role.expert,
                    jurisdiction=jurisdiction, name=name, email=email)
    expert = Expert(
        user_id=user.id, name=name.strip(), title=title, employer=employer,
        employer_uscc=employer_uscc or None, specialties=list(specialties),
        jurisdiction_code=jurisdiction,
    )
    session.add(expert)
    session.flush()
    return expert


# Signing in ---------------------------------------------------------------------------------
# GB/T 22239-2019 8.1.4.1 b) asks for handling of failed logins: limit the number of failed
# attempts. Five failures of one user name within 15 minutes lock that name for 15 minutes;
# twenty failures from one address within 15 minutes block the address for 15 minutes. The
# counts come from the audit log itself, so every attempt that counts is also on record.
FAILURE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
CLIENT_FAILURE_LIMIT = 20
LOCK_DURATION = timedelta(minutes=15)


@dataclass(frozen=True)
class Lock:
    scope: str  # "account" (the user name) or "client" (the network address)
    until: datetime


class LockedOut(WorkflowError):
    """Too many failed logins: refused until `until`, whatever the password (HTTP 429)."""

    status = 429
    code = "locked_out"

    def __init__(self, lock: Lock, now: datetime) -> None:
        minutes = max(1, math.ceil((lock.until - now).total_seconds() / 60))
        clock = lock.until.astimezone(CHINA).strftime("%H:%M")
        if lock.scope == "account":
            refusal = message("登录失败次数过多，该账号已暂时锁定。请于%(clock)s（北京时间，约%(minutes)s分钟后）再试，"
                              "或通过“忘记密码”重置密码。", clock=clock, minutes=minutes)
        else:
            refusal = message("来自您所在网络地址的登录失败次数过多，已暂停登录。请于%(clock)s（北京时间，约%(minutes)s分钟后）"
                              "再试。", clock=clock, minutes=minutes)
        super().__init__(refusal, {"scope": lock.scope, "locked_until": lock.until.isoformat(),
                                   "retry_after_seconds": math.ceil((lock.until - now).total_seconds())})
        self.lock = lock


def _latest(session: Session, events: tuple[str, ...], *, subject: str | None = None,
            client: str | None = None) -> datetime | None:
    query = select(func.max(AuditEvent.at)).where(AuditEvent.event.in_(events))
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    if client is not None:
        query = query.where(AuditEvent.client_address == client)
    return session.scalar(query)


def _failures(session: Session, since: datetime, *, subject: str | None = None, client: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == "login_failed", AuditEvent.at > since)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    if client is not None:
        query = query.where(AuditEvent.client_address == client)
    return session.scalar(query) or 0


def lock_for(session: Session, username: str, client: str, now: datetime) -> Lock | None:
    """The lock that refuses `username` from `client` at `now`, if any; a password reset lifts
    the lock of the account."""
    subject = username[:200]
    locked_at = _latest(session, ("lockout",), subject=subject)
    if locked_at is not None and locked_at + LOCK_DURATION > now:
        lifted = _latest(session, ("password_reset",), subject=subject)
        if lifted is None or lifted < locked_at:
            return Lock("account", locked_at + LOCK_DURATION)
    if client:
        blocked_at = _latest(session, ("client_lockout",), client=client)
        if blocked_at is not None and blocked_at + LOCK_DURATION > now:
            return Lock("client", blocked_at + LOCK_DURATION)
    return None


def authenticate(session: Session, username: str, password: str, now: datetime,
                 client: str = "") -> User | None:
    """The user when the password is right; None when it is wrong. Raises LockedOut while the
    user name or the client is locked. Every attempt goes into the audit log, with the address."""
    subject = username[:200]
    lock = lock_for(session, username, client, now)
    if lock is not None:
        audit.record(session, "login_refused", now, subject=subject, client=client,
                     details={"scope": lock.scope, "locked_until": lock.until.isoformat()})
        session.flush()
        raise LockedOut(lock, now)
    user = session.scalar(select(User).where(User.username == username))
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    audit.record(session, "login" if ok else "login_failed", now, user=user, subject=subject, client=client)
    session.flush()
    if ok:
        return user
    window = now - FAILURE_WINDOW
    since = max(window, _latest(session, ("login", "lockout", "password_reset"), subject=subject) or window)
    failures = _failures(session, since, subject=subject)
    if failures >= ACCOUNT_FAILURE_LIMIT:
        audit.record(session, "lockout", now, user=user, subject=subject, client=client,
                     details={"failures": failures, "locked_until": (now + LOCK_DURATION).isoformat()})
    if client:
        since = max(window, _latest(session, ("client_lockout",), client=client) or window)
        failures = _failures(session, since, client=client)
        if failures >= CLIENT_FAILURE_LIMIT:
            audit.record(session, "client_lockout", now, subject=client, client=client,
                         details={"failures": failures, "locked_until": (now + LOCK_DURATION).isoformat()})
    session.flush()
    return None


# Password resets ----------------------------------------------------------------------------
RESET_VALIDITY = timedelta(hours=1)
RESET_RESEND_AFTER = timedelta(minutes=5)  # at most one e-mail per account in this time


def request_password_reset(session: Session, login: str, now: datetime, client: str = "") -> int:
    """E-mail a reset link to the account named by `login` (user name or e-mail address).

    The caller tells the requester the same thing whether or not an account matched, so the
    answer cannot be used to find out who has an account. Returns the number of e-mails queued.
    """
    login = (login or "").strip()
    if not login:
        raise Invalid.field("login", "请填写用户名或电子邮箱")
    users = session.scalars(select(User).where(
        or_(User.username == login, func.lower(User.email) == login.lower()), User.active.is_(True),
    ).order_by(User.id)).all()
    queued = 0
    for user in users:
        recent = session.scalar(select(PasswordReset.id).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
            PasswordReset.requested_at > now - RESET_RESEND_AFTER))
        if not user.email or recent is not None:
            continue
        reset = PasswordReset(user_id=user.id, requested_at=now, expires_at=now + RESET_VALIDITY,
                              client_address=client[:64])
        session.add(reset)
        session.flush()
        outbox.add(session, "send_email", ["password_reset", reset.id], queue="notifications",
                   key=f"password-reset-{reset.id}")
        queued += 1
    audit.record(session, "password_reset_requested", now, user=users[0] if users else None,
                 subject=login, client=client, details={"emails": queued})
    session.flush()
    return queued


def _reset_for(session: Session, token: str, now: datetime) -> PasswordReset:
    reset = session.scalar(select(PasswordReset).where(PasswordReset.digest == _digest(token or "")))
    if reset is None:
        raise Invalid.field("token", "重置链接无效，请重新申请找回密码")
    if reset.used_at is not None:
        raise Invalid.field("token", "该重置链接已使用过或已失效，请重新申请找回密码")
    if reset.expires_at <= now or not reset.user.active:
        raise Invalid.field("token", "该重置链接已过期（有效期1小时），请重新申请找回密码")
    return reset


def check_password_reset(session: Session, token: str, now: datetime) -> User:
    """The account a reset link belongs to, while the link is usable (Invalid otherwise)."""
    return _reset_for(session, token, now).user


def confirm_password_reset(session: Session, token: str, password: str, now: datetime,
                           client: str = "") -> User:
    """Set a new password with a reset link; the link, and any other open link, then stop working."""
    reset = _reset_for(session, token, now)
    problem = password_problem(password or "")
    if problem:
        raise Invalid.field("password", problem)
    user = reset.user
    user.password_hash = hash_password(password)
    for open_reset in session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))):
        open_reset.used_at = now
    audit.record(session, "password_reset", now, user=user, subject=user.username, client=client)
    session.flush()
    return user


# API tokens ---------------------------------------------------------------------------------
TOKEN_USE_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, now: datetime, label: str = "",
                 client: str = "") -> tuple[ApiToken, str]:
    """A new personal API token; only its digest is kept, so it can be shown this once only."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, digest=_digest(token), label=label[:100], created_at=now)
    session.add(row)
    audit.record(session, "token_issued", now, user=user, subject=label, client=client)
    session.flush()
    return row, token


def issue_token(session: Session, user: User, now: datetime, label: str = "", client: str = "") -> str:
    return create_token(session, user, now, label, client)[1]


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, user: User, token_id: int, now: datetime, client: str = "") -> ApiToken:
    """Revoke one of the user's own tokens; revoking it again changes nothing."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("访问令牌不存在")
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(session, "token_revoked", now, user=user, subject=row.label, client=client,
                     details={"token_id": row.id})
        session.flush()
    return row


# Built once: every API request asks it, and building it costs more than the look-up of its
# compiled form.
_TOKEN = (select(ApiToken).where(ApiToken.digest == bindparam("digest"))
          .options(joinedload(ApiToken.user, innerjoin=True).joinedload(User.expert)))


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    """The active user of a token that is not revoked, read with the token (and the user's expert
    record, which permission checks ask for) in one query."""
    row = session.scalar(_TOKEN, {"digest": _digest(token)})
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        row.last_used_at = now
    return row.user
