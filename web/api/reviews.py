"""API of the expert review: the panel draw and the experts' own assignments."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from models.enums import Role
from web import db
from web.api import bp
from web.api import representations as rep
from web.api.spec import parse, route
from web.auth import current_actor, login_required
from web.schemas import PanelIn, ReviewPut
from workflow import applications, panels, reviews
from workflow.clock import now
from workflow.errors import NotPossible


@route(bp, "/applications/<int:application_id>/panel", "POST", "抽取专家组（工作人员）", body=PanelIn,
       status=201)
@login_required(Role.staff)
def draw_panel(application_id: int) -> Any:
    args = parse(PanelIn)
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id, for_update=True)
    panel = panels.draw(db.session(), actor, app, now(), size=args["size"], seed=args["seed"])
    db.commit()
    return jsonify({
        "id": panel.id, "seed": panel.seed, "size": panel.size,
        "assignments": [{"id": r.id, "label": r.label, "expert": r.expert.name} for r in panel.reviews],
        "excluded": [{"expert": x["expert"], "reason": x["reason"]} for x in panel.excluded],
    }), 201


@route(bp, "/reviews", "GET", "本人的评审任务（专家）")
@login_required(Role.expert)
def my_reviews() -> Any:
    actor = current_actor()
    return jsonify([rep.review(db.session(), actor, r) for r in reviews.mine(db.session(), actor)])


@route(bp, "/reviews/<int:review_id>", "PUT", "保存评分（专家）", body=ReviewPut)
@login_required(Role.expert)
def save_review(review_id: int) -> Any:
    args = parse(ReviewPut)
    actor = current_actor()
    review = reviews.load(db.session(), actor, review_id)
    reviews.save(db.session(), actor, review, args["scores"],
                 args["recommendation"].value if args["recommendation"] else None,
                 args["comments"], args["reasons"])
    db.commit()
    return jsonify(rep.review(db.session(), actor, review))


@route(bp, "/reviews/<int:review_id>/actions/<action>", "POST", "接受、谢绝或提交评审（专家）", body=ReviewPut)
@login_required(Role.expert)
def review_action(review_id: int, action: str) -> Any:
    args = parse(ReviewPut)
    actor = current_actor()
    review = reviews.load(db.session(), actor, review_id)
    if action == "accept":
        reviews.respond(db.session(), actor, review, True, now(), args["declaration"])
    elif action == "decline":
        reviews.respond(db.session(), actor, review, False, now(), args["declaration"])
    elif action == "submit":
        if args["scores"] or args["recommendation"] or args["comments"]:
            reviews.save(db.session(), actor, review, args["scores"],
                         args["recommendation"].value if args["recommendation"] else None,
                         args["comments"], args["reasons"])
        reviews.submit(db.session(), actor, review, now())
    else:
        raise NotPossible(f"未知操作“{action}”")
    db.commit()
    return jsonify(rep.review(db.session(), actor, review))
