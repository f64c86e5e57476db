"""The expert panel draw: conflict rules first, then a seeded random choice anyone can re-run."""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Application, Expert, Panel, Review
from models.enums import ApplicationState, ReviewState, Role, Tier
from workflow import permissions
from workflow.actors import Actor, is_role
from workflow.errors import Forbidden, Invalid, NotPossible

# Anyone who reviewed the same applicant in the last 3 years is excluded (review fairness rule).
RECENT_REVIEW = timedelta(days=3 * 365)
LOCAL_TIERS = {Tier.county, Tier.city}


@dataclass(frozen=True)
class Exclusion:
    expert_id: int
    name: str
    reason: str


def exclusions(session: Session, app: Application, now: datetime) -> dict[int, str]:
    """expert id → the first rule that keeps them off this application's panel."""
    enterprise = app.enterprise
    recent = set(session.scalars(
        select(Review.expert_id).join(Application, Review.application_id == Application.id)
        .where(Application.enterprise_id == enterprise.id, Review.application_id != app.id,
               Review.state == ReviewState.submitted, Review.submitted_at >= now - RECENT_REVIEW)
    ))
    excluded: dict[int, str] = {}
    for expert in session.scalars(select(Expert).where(Expert.active.is_(True)).order_by(Expert.id)):
        if expert.employer_uscc and expert.employer_uscc == enterprise.uscc:
            excluded[expert.id] = "任职于申报单位"
        elif app.programme.tier in LOCAL_TIERS and expert.jurisdiction_code == enterprise.jurisdiction_code:
            excluded[expert.id] = "与申报单位同属一个区县（市级及以下批次回避）"
        elif expert.id in recent:
            excluded[expert.id] = "近3年内评审过该申报单位"
    return excluded


def draw(
    session: Session, actor: Actor, app: Application, now: datetime, *,
    size: int | None = None, seed: str | None = None,
) -> Panel:
    decision = permissions.application_action(session, actor, "approve_for_notice", app)
    if not is_role(actor, Role.staff) or not decision:
        raise Forbidden(decision.reason or "只有认定部门的工作人员可以抽取专家")
    if app.state is not ApplicationState.under_review:
        raise NotPossible("只有在专家评审阶段才能抽取专家组")
    if app.panel is not None:
        raise NotPossible("该申报已抽取专家组", {"panel_id": app.panel.id})
    size = size or app.programme.panel_size
    if size < app.programme.panel_size or size % 2 == 0:
        raise Invalid.field("size", f"专家组人数应为奇数，且不少于本批次规定的{app.programme.panel_size}人")
    seed = seed or secrets.token_hex(8)
    excluded = exclusions(session, app, now)
    pool = list(session.scalars(select(Expert).where(Expert.active.is_(True)).order_by(Expert.id)))
    eligible = [e for e in pool if e.id not in excluded]
    if len(eligible) < size:
        raise NotPossible(
            f"符合回避规则的专家只有{len(eligible)}人，不足{size}人，未创建专家组；请扩充专家库",
            {"eligible": len(eligible), "needed": size},
        )
    chosen = random.Random(seed).sample(eligible, size)
    panel = Panel(
        application=app, size=size, seed=seed, drawn_by_id=actor.id, drawn_at=now,
        excluded=[{"expert_id": e.id, "expert": e.name, "reason": excluded[e.id]}
                  for e in pool if e.id in excluded],
    )
    session.add(panel)
    session.flush()
    for number, expert in enumerate(chosen, start=1):
        panel.reviews.append(Review(application_id=app.id, expert=expert, label=f"R{number}", invited_at=now))
    session.flush()
    return panel
