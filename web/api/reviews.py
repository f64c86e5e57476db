"""API of the expert review: the panel draw, the experts' own assignments, the discussion."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import jsonify
from marshmallow import fields

from models import Review
from models.enums import Role
from web import db
from web.api import bp
from web.api import representations as rep
from web.api.spec import parse, route
from web.auth import current_actor, login_required
from web.schemas import NOT_BLANK, Base, PanelIn, ReviewPut
from workflow import applications, panels, reviews
from workflow.actors import Actor
from workflow.clock import now
from workflow.errors import NotPossible


class ReviewActionIn(ReviewPut):
    """accept / decline (with the conflict declaration), submit, clarify (with the question)."""

    conflict = fields.Boolean(
        load_default=False, metadata={"description": "谢绝原因为存在利益冲突"}
    )
    question = fields.String(
        load_default="", metadata={"description": "要求申报单位补充说明的问题"}
    )


class DiscussionIn(Base):
    conclusion = fields.String(required=True, validate=NOT_BLANK)


class ConflictIn(Base):
    name = fields.String(load_default="", metadata={"description": "需回避的专家姓名"})
    uscc = fields.String(load_default="", metadata={"description": "需回避的单位统一社会信用代码"})
    reason = fields.String(required=True)


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def review_body(actor: Actor, review: Review) -> dict[str, Any]:
    """The assignment as its expert sees it: deadlines, the automatic starting points, and
    (blind scoring) the rest of the panel only once their own review is in."""
    session = db.session()
    body = rep.review(session, actor, review)
    app = review.application
    due = reviews.deadline(session, review)
    body.update(
        respond_by=jsonable(review.respond_by),
        due=jsonable(due.at),
        paused=due.paused,
        declaration=review.conflict_declaration,
        ended=reviews.ENDED_LABELS.get(review.ended_reason or ""),
        automatic=reviews.automatic_points(app) if review.state.value != "invited" else None,
        changed=sorted(reviews.changed_groups(review)),
        conflict_check={
            "enterprise": app.enterprise.name,
            "uscc": app.enterprise.uscc,
            "jurisdiction": app.enterprise.jurisdiction_code,
            "industry_codes": app.enterprise.industry_codes,
            "group": (app.data or {}).get("group"),
            "consultants": (app.data or {}).get("consultants", []),
        },
    )
    return body


# The panel ----------------------------------------------------------------------------------


@route(
    bp,
    "/applications/<int:application_id>/panel",
    "POST",
    "抽取专家组（工作人员）",
    body=PanelIn,
    status=201,
)
@login_required(Role.staff)
def draw_panel(application_id: int) -> Any:
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id, for_update=True)
    args = parse(PanelIn)
    panel = panels.draw(db.session(), actor, app, now(), size=args["size"], seed=args["seed"])
    db.commit()
    summary = reviews.panel_summary(db.session(), actor, app) or {}
    return jsonify(
        {
            **jsonable(summary),
            "assignments": [
                {"id": r.id, "label": r.label, "expert": r.expert.name} for r in panel.reviews
            ],
            "excluded": [
                {"expert": x["expert"], "rule": x["rule"], "reason": x["reason"]}
                for x in panels.excluded_experts(panel.report)
            ],
        }
    ), 201


@route(
    bp,
    "/applications/<int:application_id>/panel",
    "GET",
    "专家组：工作人员看到抽取报告、进度、分歧与讨论；申报单位只看到 R1、R2 等编号",
)
@login_required()
def get_panel(application_id: int) -> Any:
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id)
    summary = reviews.panel_summary(db.session(), actor, app)
    if summary is None:
        raise NotPossible("尚未抽取专家组")
    return jsonify(jsonable(summary))


@route(
    bp,
    "/applications/<int:application_id>/panel/discussion",
    "POST",
    "记录专家组讨论结论（评分分歧超过阈值时，同意公示前必须记录；工作人员）",
    body=DiscussionIn,
)
@login_required(Role.staff)
def close_panel_discussion(application_id: int) -> Any:
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id, for_update=True)
    args = parse(DiscussionIn)
    reviews.close_discussion(db.session(), actor, app, args["conclusion"], now())
    db.commit()
    return jsonify(jsonable(reviews.panel_summary(db.session(), actor, app)))


@route(
    bp,
    "/applications/<int:application_id>/conflicts",
    "POST",
    "申请专家回避：写明专家姓名或单位统一社会信用代码及理由（申报单位，抽取专家组之前）",
    body=ConflictIn,
    status=201,
)
@login_required(Role.applicant)
def declare_conflict(application_id: int) -> Any:
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id)
    args = parse(ConflictIn)
    declaration = panels.declare_conflict(db.session(), actor, app, now=now(), **args)
    db.commit()
    return jsonify(_conflict(declaration)), 201


@route(bp, "/applications/<int:application_id>/conflicts", "GET", "本申报的回避申请")
@login_required(Role.applicant, Role.staff, Role.admin)
def list_conflicts(application_id: int) -> Any:
    app = applications.load(db.session(), current_actor(), application_id)
    return jsonify([_conflict(d) for d in panels.declared_by_applicant(db.session(), app)])


def _conflict(d: Any) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.person_name,
        "uscc": d.uscc,
        "reason": d.reason,
        "declared_at": jsonable(d.declared_at),
    }


# The experts' assignments -------------------------------------------------------------------


@route(bp, "/reviews", "GET", "本人的评审任务（专家）")
@login_required(Role.expert)
def my_reviews() -> Any:
    actor = current_actor()
    return jsonify([review_body(actor, r) for r in reviews.mine(db.session(), actor)])


@route(bp, "/reviews/<int:review_id>", "GET", "一项评审任务（专家本人）")
@login_required(Role.expert)
def get_review(review_id: int) -> Any:
    actor = current_actor()
    return jsonify(review_body(actor, reviews.load(db.session(), actor, review_id)))


@route(
    bp,
    "/reviews/<int:review_id>",
    "PUT",
    "保存评分（专家）：分数与自动评价不同的指标组须在 reasons 中写明理由",
    body=ReviewPut,
)
@login_required(Role.expert)
def save_review(review_id: int) -> Any:
    actor = current_actor()
    review = reviews.load(db.session(), actor, review_id)
    args = parse(ReviewPut)
    reviews.save(
        db.session(),
        actor,
        review,
        args["scores"],
        args["recommendation"].value if args["recommendation"] else None,
        args["comments"],
        args["reasons"],
    )
    db.commit()
    return jsonify(review_body(actor, review))


@route(
    bp,
    "/reviews/<int:review_id>/actions/<action>",
    "POST",
    "接受（accept）、谢绝（decline，conflict 表示存在利益冲突）、"
    "要求补充说明（clarify）或提交评分（submit）",
    body=ReviewActionIn,
)
@login_required(Role.expert)
def review_action(review_id: int, action: str) -> Any:
    actor = current_actor()
    session = db.session()
    review = reviews.load(session, actor, review_id)
    args = parse(ReviewActionIn)
    if action in ("accept", "decline"):
        reviews.respond(
            session,
            actor,
            review,
            action == "accept",
            now(),
            args["declaration"],
            conflict=args["conflict"],
        )
    elif action == "clarify":
        reviews.request_clarification(session, actor, review, args["question"], now())
    elif action == "submit":
        if args["scores"] or args["recommendation"] or args["comments"] or args["reasons"]:
            reviews.save(
                session,
                actor,
                review,
                args["scores"],
                args["recommendation"].value if args["recommendation"] else None,
                args["comments"],
                args["reasons"],
            )
        reviews.submit(session, actor, review, now())
    else:
        raise NotPossible(f"未知操作“{action}”")
    db.commit()
    return jsonify(review_body(actor, review))
