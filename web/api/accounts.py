"""API endpoints for accounts and security: password resets and personal API tokens."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import ValidationError, fields, validate, validates_schema

from models import ApiToken
from web import db
from web.api import bp
from web.api import representations as rep
from web.api.spec import parse, route
from web.auth import client_address, current_actor, login_required
from web.schemas import NOT_BLANK, Base
from workflow import accounts
from workflow.clock import now

RESET_ACCEPTED = "如果该账号存在并登记了电子邮箱，重置密码的链接已发送到该邮箱，1小时内有效。"


class PasswordResetIn(Base):
    username = fields.String(load_default="", metadata={"description": "用户名（与 email 二选一）"})
    email = fields.String(load_default="", metadata={"description": "登记的电子邮箱（与 username 二选一）"})

    @validates_schema
    def one_of(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("username", "").strip() or data.get("email", "").strip()):
            raise ValidationError("请填写用户名或电子邮箱", "username")


class PasswordResetConfirmIn(Base):
    token = fields.String(required=True, validate=NOT_BLANK, metadata={"description": "邮件链接中的令牌"})
    password = fields.String(required=True, load_only=True)


class ApiTokenIn(Base):
    label = fields.String(required=True, validate=validate.Length(min=1, max=100, error="名称为1至100个字符"),
                          metadata={"description": "用途说明，如“数据对接”"})


def described(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "label": row.label, "created_at": row.created_at.isoformat(),
            "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
            "revoked": row.revoked_at is not None}


@route(bp, "/auth/password-reset", "POST", "找回密码：向账号登记的邮箱发送重置链接（无论账号是否存在都返回202）",
       body=PasswordResetIn, status=202, auth=False)
def request_password_reset() -> Any:
    args = parse(PasswordResetIn)
    accounts.request_password_reset(db.session(), args["username"].strip() or args["email"].strip(), now(),
                                    client=client_address())
    db.commit()
    return jsonify({"message": RESET_ACCEPTED}), 202


@route(bp, "/auth/password-reset/confirm", "POST", "用邮件中的令牌设置新密码（令牌一次有效）",
       body=PasswordResetConfirmIn, auth=False)
def confirm_password_reset() -> Any:
    args = parse(PasswordResetConfirmIn)
    user = accounts.confirm_password_reset(db.session(), args["token"], args["password"], now(),
                                           client=client_address())
    db.commit()
    return jsonify(rep.user(user))


@route(bp, "/tokens", "GET", "我的访问令牌（不含令牌本身）")
@login_required()
def list_tokens() -> Any:
    return jsonify([described(row) for row in accounts.tokens_of(db.session(), current_actor())])


@route(bp, "/tokens", "POST", "新建访问令牌（令牌只在此时显示一次）", body=ApiTokenIn, status=201)
@login_required()
def create_token() -> Any:
    args = parse(ApiTokenIn)
    row, value = accounts.create_token(db.session(), current_actor(), now(), label=args["label"].strip(),
                                       client=client_address())
    db.commit()
    return jsonify({**described(row), "token": value}), 201


@route(bp, "/tokens/<int:token_id>", "DELETE", "撤销访问令牌（此后用它访问返回401）", status=204)
@login_required()
def revoke_token(token_id: int) -> Any:
    accounts.revoke_token(db.session(), current_actor(), token_id, now(), client=client_address())
    db.commit()
    return "", 204
