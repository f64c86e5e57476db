"""Registration of enterprises, staff and expert accounts, and API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import evaluators
from models import ApiToken, AuditEvent, Enterprise, Expert, Jurisdiction, User
from models.enums import JurisdictionLevel, Role
from models.schema import reference_rows
from workflow import jurisdictions
from workflow.actors import Actor, SystemActor, is_role
from workflow.errors import Forbidden, Invalid, NotPossible
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
        errors["username"] = [f"用户名“{username}”已被使用"]
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
        errors["jurisdiction"] = [f"行政区划代码“{jurisdiction}”不存在"]
    else:
        level = session.get(Jurisdiction, jurisdiction).level
        if level is not JurisdictionLevel.county:
            errors["jurisdiction"] = ["请选择单位所在的区、县（市）"]
    divisions = _industry_divisions()
    bad = [c for c in industry_codes or [] if not (m := INDUSTRY_CLASS.match(c)) or f"C{m.group(1)}" not in divisions]
    if not industry_codes:
        errors["industry_codes"] = ["请至少填写一个国民经济行业小类代码，如 C3011"]
    elif bad:
        errors["industry_codes"] = [f"行业代码不正确：{'、'.join(bad)}（应为制造业小类，如 C3011）"]
    if errors:
        raise Invalid("注册信息有误，请按提示修改", {"fields": errors})
    if session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc)) is not None:
        raise NotPossible(
            f"统一社会信用代码 {uscc} 已注册，请使用该单位已有账号登录",
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
        errors["jurisdiction"] = [f"行政区划代码“{jurisdiction}”不存在"]
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


def authenticate(session: Session, username: str, password: str, now: datetime) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    session.add(AuditEvent(
        event="login" if ok else "login_failed", user_id=user.id if user else None,
        subject=username[:200], at=now,
    ))
    return user if ok else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, now: datetime, label: str = "") -> str:
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=_digest(token), label=label, created_at=now))
    session.add(AuditEvent(event="token_issued", user_id=user.id, subject=label, at=now))
    return token


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row.user


def describe(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": str(user.role), "name": user.display_name}
