"""API endpoints for accounts and security: personal API tokens."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import fields, validate

from models import ApiToken
from web import db
from web.api import bp
from web.api.spec import parse, route
from web.auth import client_address, current_actor, login_required
from web.schemas import Base
from workflow import accounts
from workflow.clock import now


class ApiTokenIn(Base):
    label = fields.String(required=True, validate=validate.Length(min=1, max=100, error="名称为1至100个字符"),
                          metadata={"description": "用途说明，如“数据对接”"})


def described(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "label": row.label, "created_at": row.created_at.isoformat(),
            "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
            "revoked": row.revoked_at is not None}


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
