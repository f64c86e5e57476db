"""Expert reviews: accept or decline, score per indicator group, submit; the panel score."""
from __future__ import annotations

from datetime import datetime
from statistics import mean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import evaluators
from models import Review
from models.enums import Recommendation, ReviewState, Role
from workflow import applications
from workflow.actors import SYSTEM, Actor, is_role
from workflow.errors import Forbidden, Invalid, NotFound, NotPossible


def mine(session: Session, actor: Actor) -> list[Review]:
    if not is_role(actor, Role.expert) or actor.expert is None:
        raise Forbidden("只有评审专家可以查看评审任务")
    return list(session.scalars(
        select(Review).where(Review.expert_id == actor.expert.id).order_by(Review.id.desc())
    ))


def load(session: Session, actor: Actor, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None or not is_role(actor, Role.expert) or actor.expert is None \
            or review.expert_id != actor.expert.id:
        raise NotFound("评审任务不存在")
    return review


def respond(session: Session, actor: Actor, review: Review, accept: bool, now: datetime,
            declaration: str = "") -> Review:
    if review.state is not ReviewState.invited:
        raise NotPossible("已答复过该邀请")
    review.state = ReviewState.accepted if accept else ReviewState.declined
    review.conflict_declaration = declaration.strip()
    review.responded_at = now
    if not accept:
        _replace(session, review, now)
    session.flush()
    return review


def _replace(session: Session, declined: Review, now: datetime) -> None:
    """Draw the next expert under the same rules, continuing the panel's seeded sequence."""
    import random

    from models import Expert
    from workflow.panels import exclusions

    panel = declined.panel
    app = panel.application
    excluded = exclusions(session, app, now)
    taken = {r.expert_id for r in panel.reviews}
    pool = [e for e in session.scalars(select(Expert).where(Expert.active.is_(True)).order_by(Expert.id))
            if e.id not in excluded and e.id not in taken]
    if not pool:
        return
    expert = random.Random(f"{panel.seed}:{len(panel.reviews)}").choice(pool)
    panel.reviews.append(Review(application_id=app.id, expert=expert,
                                label=f"R{len(panel.reviews) + 1}", invited_at=now))


def _group_points(review: Review) -> dict[str, dict[str, Any]]:
    guideline = evaluators.load(review.application.guideline).to_dict()
    return {g["id"]: g for g in guideline["groups"]}


def save(session: Session, actor: Actor, review: Review, scores: dict[str, Any],
         recommendation: str | None, comments: str, reasons: dict[str, str] | None = None) -> Review:
    if review.state is not ReviewState.accepted:
        raise NotPossible("只有已接受且未提交的评审任务可以评分")
    groups = _group_points(review)
    errors: dict[str, list[str]] = {}
    clean: dict[str, float] = {}
    for group_id, value in (scores or {}).items():
        if group_id not in groups:
            errors[f"scores.{group_id}"] = ["不是本评价标准的指标组"]
            continue
        try:
            points = float(value)
        except (TypeError, ValueError):
            errors[f"scores.{group_id}"] = ["请输入数字"]
            continue
        if not 0 <= points <= groups[group_id]["points"]:
            errors[f"scores.{group_id}"] = [f"应在0至{groups[group_id]['points']:g}分之间"]
        clean[group_id] = points
    if recommendation not in (None, "") and recommendation not in {r.value for r in Recommendation}:
        errors["recommendation"] = ["评审意见应为通过、整改后通过或不通过"]
    if errors:
        raise Invalid("评分有误", {"fields": errors})
    review.scores = {**review.scores, **clean}
    if reasons:
        review.reasons = {**review.reasons, **{k: str(v) for k, v in reasons.items()}}
    if recommendation:
        review.recommendation = Recommendation(recommendation)
    review.comments = comments or review.comments
    session.flush()
    return review


def submit(session: Session, actor: Actor, review: Review, now: datetime) -> Review:
    if review.state is not ReviewState.accepted:
        raise NotPossible("只有已接受且未提交的评审任务可以提交")
    groups = _group_points(review)
    missing = [g["name"] for gid, g in groups.items() if gid not in review.scores]
    errors: dict[str, list[str]] = {}
    if missing:
        errors["scores"] = [f"尚未评分：{'、'.join(missing)}"]
    if review.recommendation is None:
        errors["recommendation"] = ["请给出评审意见"]
    if errors:
        raise Invalid("评分尚未完成", {"fields": errors})
    review.total = round(sum(float(v) for v in review.scores.values()), 2)
    review.state = ReviewState.submitted
    review.submitted_at = now
    session.flush()
    app = review.application
    active = [r for r in review.panel.reviews if r.state is not ReviewState.declined]
    if len(active) == review.panel.size and all(r.state is ReviewState.submitted for r in active):
        app.panel_score = panel_score([r.total for r in active if r.total is not None])
        applications.act(session, SYSTEM, app, "complete_review", now)
    return review


def panel_score(totals: list[float]) -> float:
    """Mean of the experts' totals; with 5 or more, the highest and lowest are dropped."""
    values = sorted(totals)
    if len(values) >= 5:
        values = values[1:-1]
    return round(mean(values), 2)
