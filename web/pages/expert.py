"""The expert desk: invitations with their deadlines, and the scoring form beside the
evaluation trace and the evidence."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

import evaluators
from models.enums import Role
from web import db
from web.auth import current_actor, login_required
from web.pages import bp
from web.pages.forms import form_errors
from workflow import reviews
from workflow.clock import now
from workflow.errors import WorkflowError

DONE = {
    "accept": lazy_gettext("已接受邀请"),
    "decline_conflict": lazy_gettext("已谢绝邀请，利益冲突声明已记录"),
    "decline_unavailable": lazy_gettext("已谢绝邀请"),
    "submit": lazy_gettext("评分已提交"),
    "save": lazy_gettext("评分已保存"),
    "clarify": lazy_gettext("已要求申报单位补充说明，评审期限暂停"),
}


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
            _act(session, actor, review, action)
            db.commit()
        except WorkflowError as error:
            errors = form_errors(error)
        else:
            flash(str(DONE.get(action, lazy_gettext("已保存"))), "success")
            return redirect(url_for("pages.review_page", review_id=review.id))
    app = review.application
    guideline = evaluators.load(app.guideline).to_dict()
    indicator_names = {i["id"]: i["name"] for i in guideline["indicators"]}
    return render_template(
        "expert/review.html",
        review=review,
        app=app,
        guideline=guideline,
        indicator_names=indicator_names,
        errors=errors,
        form=request.form,
    ), (422 if errors else 200)


def _act(session: Any, actor: Any, review: Any, action: str) -> None:
    form = request.form
    if action in ("accept", "decline_conflict", "decline_unavailable"):
        reviews.respond(
            session,
            actor,
            review,
            action == "accept",
            now(),
            form.get("declaration", ""),
            conflict=action == "decline_conflict",
        )
    elif action == "clarify":
        reviews.request_clarification(session, actor, review, form.get("question", ""), now())
    else:
        scores = {
            k.removeprefix("scores."): v
            for k, v in form.items()
            if k.startswith("scores.") and v.strip()
        }
        reasons = {
            k.removeprefix("reasons."): v for k, v in form.items() if k.startswith("reasons.")
        }
        reviews.save(
            session,
            actor,
            review,
            scores,
            form.get("recommendation") or None,
            form.get("comments", ""),
            reasons,
        )
        if action == "submit":
            reviews.submit(session, actor, review, now())
