"""The expert desk: invitations, and the scoring form beside the evaluation trace."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

import evaluators
from models.enums import Role
from web import db
from web.auth import current_actor, login_required
from web.pages import bp
from web.pages.forms import field_errors
from workflow import reviews
from workflow.clock import now
from workflow.errors import WorkflowError


@bp.route("/desk")
@login_required(Role.expert)
def expert_home() -> Any:
    return render_template("expert/home.html", reviews=reviews.mine(db.session(), current_actor()))


@bp.route("/desk/reviews/<int:review_id>", methods=["GET", "POST"])
@login_required(Role.expert)
def review_page(review_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    review = reviews.load(session, actor, review_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action", "save")
        try:
            if action in ("accept", "decline"):
                reviews.respond(session, actor, review, action == "accept", now(),
                                request.form.get("declaration", ""))
            else:
                scores = {k.removeprefix("scores."): v for k, v in request.form.items()
                          if k.startswith("scores.") and v.strip()}
                reasons = {k.removeprefix("reasons."): v for k, v in request.form.items()
                           if k.startswith("reasons.") and v.strip()}
                reviews.save(session, actor, review, scores, request.form.get("recommendation") or None,
                             request.form.get("comments", ""), reasons)
                if action == "submit":
                    reviews.submit(session, actor, review, now())
            db.commit()
        except WorkflowError as error:
            session.rollback()
            errors = field_errors(error.details) if error.details.get("fields") else {}
            errors["_"] = error.message
        else:
            flash({"accept": "已接受邀请", "decline": "已谢绝邀请", "submit": "评分已提交",
                   "save": "评分已保存"}.get(action, "已保存"), "success")
            return redirect(url_for("pages.review_page", review_id=review.id))
    app = review.application
    return render_template("expert/review.html", review=review, app=app,
                           guideline=evaluators.load(app.guideline).to_dict(),
                           errors=errors, form=request.form), (422 if errors else 200)
