"""Expert reviews: answer an invitation, score per indicator group, submit; the panel score,
divergence and the panel discussion; deadlines, reminders and replacements for the tick."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import evaluators
from evaluators.messages import Day, Joined, Number, message
from models import Application, Panel, Review, TransitionLog
from models.enums import ApplicationState, Recommendation, ReviewState, Role
from models.experts import ConflictDeclaration, ConflictSource
from workflow import applications, audit, notifications, panels, permissions
from workflow.actors import SYSTEM, Actor, is_role
from workflow.clock import CHINA
from workflow.errors import Forbidden, Invalid, NotFound, NotPossible

NO_CONFLICT = "本人与申报单位无任职、顾问、亲属或其他利益关系"
# Reminders go out this long before a deadline (inbox and e-mail, once per deadline).
REMIND_INVITATION = timedelta(days=1)
REMIND_REVIEW = timedelta(days=2)
# Scores closer than this to the automatic value count as unchanged (they are entered to 0.01).
SAME = 0.005
ENDED_LABELS = {
    "conflict": "谢绝：存在利益冲突",
    "unavailable": "谢绝：无法参加",
    "lapsed": "逾期未答复",
    "deactivated": "专家已停用",
}


def mine(session: Session, actor: Actor) -> list[Review]:
    if not is_role(actor, Role.expert) or actor.expert is None:
        raise Forbidden("只有评审专家可以查看评审任务")
    return list(
        session.scalars(
            select(Review).where(Review.expert_id == actor.expert.id).order_by(Review.id.desc())
        )
    )


def load(session: Session, actor: Actor, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if (
        review is None
        or not is_role(actor, Role.expert)
        or actor.expert is None
        or review.expert_id != actor.expert.id
    ):
        raise NotFound("评审任务不存在")
    return review


def _own(actor: Actor, review: Review) -> None:
    if not (
        is_role(actor, Role.expert)
        and actor.expert is not None
        and actor.expert.id == review.expert_id
    ):
        raise Forbidden("只有受邀专家本人可以办理该评审任务")


def _in_review(review: Review) -> None:
    if review.application.state not in panels.OPEN_STATES:
        raise NotPossible("该申报已不在专家评审阶段")


# Invitations --------------------------------------------------------------------------------


def respond(
    session: Session,
    actor: Actor,
    review: Review,
    accept: bool,
    now: datetime,
    declaration: str = "",
    conflict: bool = False,
) -> Review:
    """Accept with a declaration of no conflict, or decline (a declared conflict is kept for
    every later draw); a decline draws the next expert under the same rules."""
    _own(actor, review)
    if review.state is not ReviewState.invited:
        raise NotPossible("已答复过该邀请")
    _in_review(review)
    if review.respond_by is not None and now >= review.respond_by:
        raise NotPossible(message("已超过答复期限（%(day)s），邀请已失效", day=panels.answer_day(review)))
    declaration = (declaration or "").strip()
    app = review.application
    if accept and conflict:
        raise Invalid.field("declaration", "存在利益冲突时请谢绝邀请")
    if not accept and conflict and not declaration:
        raise Invalid.field("declaration", "请说明利益冲突的情形")
    review.responded_at = now
    review.conflict_declaration = declaration or (NO_CONFLICT if accept else "")
    if accept:
        review.state = ReviewState.accepted
        review.due_at = panels.end_of_working_days(session, now, app.programme.review_working_days)
        # Scoring starts from the automatic evaluation; every change is then argued.
        review.scores = {g: points for g, points in automatic_points(app).items()}
        audit.review_event(session, "invitation_accepted", review, now, actor=actor,
                           due_at=review.due_at.isoformat())
        session.flush()
        return review
    review.state = ReviewState.declined
    review.ended_reason = "conflict" if conflict else "unavailable"
    panels.count_open_reviews(session, [review.expert_id], -1)
    audit.review_event(session, "invitation_declined", review, now, actor=actor, reason=review.ended_reason)
    if conflict:
        session.add(
            ConflictDeclaration(
                source=ConflictSource.expert,
                expert_id=review.expert_id,
                uscc=app.enterprise.uscc,
                unit_name=app.enterprise.name,
                reason=declaration,
                review_id=review.id,
                declared_by_id=actor.id,
                declared_at=now,
            )
        )
    session.flush()
    panels.replace(session, review.panel, now, _ended(review, review.ended_reason))
    return review


def end_invitation(session: Session, review: Review, reason: str, now: datetime) -> None:
    """Close an unanswered invitation (lapsed, or the expert deactivated) and fill the place."""
    review.state = ReviewState.declined
    review.ended_reason = reason
    review.responded_at = now
    if review.application.state in panels.OPEN_STATES:
        panels.count_open_reviews(session, [review.expert_id], -1)
    audit.review_event(session, "invitation_expired" if reason == "lapsed" else "invitation_withdrawn",
                       review, now, reason=reason)
    session.flush()
    panels.replace(session, review.panel, now, _ended(review, reason))


def _ended(review: Review, reason: str) -> str:
    """Why a place on the panel is open: “R2谢绝：存在利益冲突”."""
    return message("%(label)s%(ended)s", label=review.label, ended=message(ENDED_LABELS[reason]))


# Scoring ------------------------------------------------------------------------------------


def guideline_groups(review: Review) -> dict[str, dict[str, Any]]:
    guideline = evaluators.load(review.application.guideline).to_dict()
    return {g["id"]: g for g in guideline["groups"]}


def automatic_points(app: Application) -> dict[str, float]:
    """group id → points of the automatic evaluation (the starting point of every review)."""
    return {g["id"]: float(g["points"]) for g in (app.evaluation or {}).get("groups", [])}


def save(
    session: Session,
    actor: Actor,
    review: Review,
    scores: dict[str, Any],
    recommendation: str | None,
    comments: str,
    reasons: dict[str, str] | None = None,
) -> Review:
    """Save points per group; a point away from the automatic value needs a written reason."""
    _own(actor, review)
    if review.state is not ReviewState.accepted:
        raise NotPossible("只有已接受且未提交的评审任务可以评分")
    groups = guideline_groups(review)
    errors: dict[str, list[str]] = {}
    clean: dict[str, float] = {}
    for group_id, value in (scores or {}).items():
        if group_id not in groups:
            errors[f"scores.{group_id}"] = ["不是本评价标准的指标组"]
            continue
        try:
            points = round(float(value), 2)
        except (TypeError, ValueError):
            errors[f"scores.{group_id}"] = ["请输入数字"]
            continue
        if not math.isfinite(points) or not 0 <= points <= groups[group_id]["points"]:
            errors[f"scores.{group_id}"] = [message("应在0至%(points)s分之间", points=Number(groups[group_id]["points"]))]
            continue
        clean[group_id] = points
    for group_id in reasons or {}:
        if group_id not in groups:
            errors[f"reasons.{group_id}"] = ["不是本评价标准的指标组"]
    if recommendation not in (None, "") and recommendation not in {r.value for r in Recommendation}:
        errors["recommendation"] = ["评审意见应为通过、整改后通过或不通过"]
    if errors:
        raise Invalid("评分有误", {"fields": errors})
    merged_reasons = {**review.reasons, **{k: str(v).strip() for k, v in (reasons or {}).items()}}
    merged = {**review.scores, **clean}
    _require_reasons(review, groups, merged, merged_reasons)
    review.scores = merged
    review.reasons = {k: v for k, v in merged_reasons.items() if v}
    if recommendation:
        review.recommendation = Recommendation(recommendation)
    review.comments = comments or review.comments
    session.flush()
    return review


def changed_groups(review: Review, scores: dict[str, Any] | None = None) -> dict[str, float]:
    """group id → automatic points, for the groups this review scores differently."""
    auto = automatic_points(review.application)
    scores = review.scores if scores is None else scores
    return {g: auto[g] for g, v in scores.items() if g in auto and abs(float(v) - auto[g]) > SAME}


def _require_reasons(
    review: Review,
    groups: dict[str, dict[str, Any]],
    scores: dict[str, Any],
    reasons: dict[str, str],
) -> None:
    missing = {g: auto for g, auto in changed_groups(review, scores).items() if not reasons.get(g)}
    if not missing:
        return
    names = Joined(tuple(f"“{groups[g]['name']}”" for g in missing))
    raise Invalid(
        message("%(groups)s的评分与自动评价不同，请写明调整理由", groups=names),
        {
            "fields": {
                f"reasons.{g}": [message("评分%(score)s分与自动评价%(auto)s分不同，请写明理由",
                                         score=Number(float(scores[g])), auto=Number(auto))]
                for g, auto in missing.items()
            }
        },
    )


def submit(session: Session, actor: Actor, review: Review, now: datetime) -> Review:
    _own(actor, review)
    if review.state is not ReviewState.accepted:
        raise NotPossible("只有已接受且未提交的评审任务可以提交")
    app = review.application
    if app.state is ApplicationState.awaiting_clarification:
        raise NotPossible("申报单位补充说明期间评审暂停，请在补充说明提交后再提交评分")
    _in_review(review)
    groups = guideline_groups(review)
    missing = [g["name"] for gid, g in groups.items() if gid not in review.scores]
    errors: dict[str, list[str]] = {}
    if missing:
        errors["scores"] = [message("尚未评分：%(groups)s", groups=Joined(tuple(missing)))]
    if review.recommendation is None:
        errors["recommendation"] = ["请给出评审意见"]
    if errors:
        raise Invalid("评分尚未完成", {"fields": errors})
    _require_reasons(review, groups, review.scores, review.reasons)
    review.total = round(sum(float(v) for v in review.scores.values()), 2)
    review.state = ReviewState.submitted
    review.submitted_at = now
    panels.count_open_reviews(session, [review.expert_id], -1)
    audit.review_event(session, "review_submitted", review, now, actor=actor, total=str(review.total),
                       recommendation=str(review.recommendation))
    session.flush()
    complete_if_ready(session, review.panel, now)
    return review


def request_clarification(
    session: Session, actor: Actor, review: Review, question: str, now: datetime
) -> Application:
    """An expert asks the applicant for more; the review deadlines pause until the answer.

    The applicant is told, and the request is audited, by the transition itself."""
    _own(actor, review)
    if review.state is not ReviewState.accepted:
        raise NotPossible("接受邀请后、提交评分前才能要求补充说明")
    return applications.act(
        session, actor, review.application, "request_clarification", now, reason=question
    )


# Aggregation --------------------------------------------------------------------------------


def panel_score(totals: list[float]) -> float:
    """Mean of the experts' totals; with 5 or more, the highest and lowest are dropped."""
    values = sorted(totals)
    if len(values) >= 5:
        values = values[1:-1]
    return round(mean(values), 2)


def divergence(totals: list[float]) -> float:
    return round(max(totals) - min(totals), 2)


def aggregate(panel: Panel) -> dict[str, Any]:
    """The panel score with its working: totals per label, what was dropped, the divergence."""
    submitted = sorted(
        (r for r in panel.reviews if r.state is ReviewState.submitted),
        key=lambda r: (r.total, r.label),
    )
    totals = [float(r.total) for r in submitted if r.total is not None]
    trimmed = len(totals) >= 5
    threshold = panel.application.programme.divergence_threshold
    spread = divergence(totals)
    return {
        "method": "trimmed_mean" if trimmed else "mean",
        "totals": {r.label: r.total for r in submitted},
        "dropped": [submitted[0].label, submitted[-1].label] if trimmed else [],
        "score": panel_score(totals),
        "divergence": spread,
        "threshold": threshold,
        "discussion": spread > threshold,
    }


def complete_if_ready(session: Session, panel: Panel, now: datetime) -> bool:
    """When the last review of a full panel is in: the score, the divergence, complete_review."""
    active = [r for r in panel.reviews if r.state is not ReviewState.declined]
    if len(active) != panel.size or any(r.state is not ReviewState.submitted for r in active):
        return False
    app = panel.application
    result = aggregate(panel)
    app.panel_score = result["score"]
    panel.divergence = result["divergence"]
    panel.discussion = "open" if result["discussion"] else None
    panel.report = {**(panel.report or {}), "aggregation": result}
    applications.act(session, SYSTEM, app, "complete_review", now)
    staff = notifications.staff_of(session, app.programme.jurisdiction_code)
    subject = message("专家评审完成，请作出决定：%(enterprise)s（申报 #%(id)s）", enterprise=app.enterprise.name,
                      id=str(app.id))
    body = message("专家组评分 %(score)s 分。", score=f"{result['score']:g}")
    if result["discussion"]:
        audit.application_event(session, "discussion_opened", app.id, now,
                                divergence=str(result["divergence"]), threshold=str(result["threshold"]))
        subject = message("专家评分分歧较大，须组织专家组讨论：%(enterprise)s（申报 #%(id)s）",
                          enterprise=app.enterprise.name, id=str(app.id))
        body += message("各专家总分相差 %(divergence)s 分，超过本批次 %(threshold)s 分的阈值，"
                        "须组织专家组讨论并记录结论后才能同意公示。",
                        divergence=f"{result['divergence']:g}", threshold=f"{result['threshold']:g}")
    notifications.notify(
        session,
        staff,
        key=f"application-{app.id}-reviewed",
        now=now,
        subject=subject,
        body=body,
        link=f"/applications/{app.id}#panel",
    )
    return True


def discussion_open(app: Application) -> bool:
    """Whether a panel discussion flagged by divergent scores still lacks its conclusion."""
    return app.panel is not None and app.panel.discussion_open


def close_discussion(
    session: Session, actor: Actor, app: Application, conclusion: str, now: datetime
) -> Panel:
    """The deciding bureau records the conclusion of the panel discussion (专家组讨论结论).

    Like a transition, "nothing to close" (409) is told before who may close it (403).
    """
    panel = app.panel
    if panel is None or not panel.discussion_open:
        raise NotPossible("没有待记录结论的专家组讨论")
    decision = permissions.application_action(session, actor, "approve_for_notice", app)
    if not decision:
        raise Forbidden(decision.reason)
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise Invalid.field("conclusion", "请填写专家组讨论的结论")
    panel.discussion = "closed"
    panel.discussion_conclusion = conclusion
    panel.discussion_closed_by_id = actor.id
    panel.discussion_closed_at = now
    panel.report = {
        **(panel.report or {}),
        "discussion": {
            "conclusion": conclusion,
            "closed_by": actor.display_name,
            "closed_at": now.isoformat(),
        },
    }
    audit.application_event(session, "discussion_closed", app.id, now, actor=actor, conclusion=conclusion)
    session.flush()
    return panel


# Deadlines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """When the scores are due; None while the review is paused for a clarification."""

    at: datetime | None
    paused: bool = False
    extended: timedelta = timedelta()


def pauses(session: Session, app: Application) -> list[tuple[datetime, datetime | None]]:
    """(asked, answered) for each clarification request on the application, from its log."""
    rows = session.scalars(
        select(TransitionLog)
        .where(
            TransitionLog.entity == "application",
            TransitionLog.entity_id == app.id,
            TransitionLog.trigger.in_(
                ["request_clarification", "answer_clarification", "withdraw"]
            ),
        )
        .order_by(TransitionLog.id)
    )
    found: list[tuple[datetime, datetime | None]] = []
    for row in rows:
        if row.trigger == "request_clarification":
            found.append((row.at, None))
        elif found and found[-1][1] is None:
            found[-1] = (found[-1][0], row.at)
    return found


def deadline(session: Session, review: Review) -> Deadline:
    """The submission deadline, moved on by the time spent waiting for the applicant."""
    if review.due_at is None or review.responded_at is None:
        return Deadline(None)
    at, extended = review.due_at, timedelta()
    for asked, answered in pauses(session, review.application):
        asked = max(asked, review.responded_at)
        if answered is not None and answered <= asked:
            continue
        if asked >= at:
            break
        if answered is None:
            return Deadline(None, True, extended)
        at, extended = at + (answered - asked), extended + (answered - asked)
    return Deadline(at, False, extended)


# The tick -----------------------------------------------------------------------------------


def tick(session: Session, now: datetime) -> dict[str, Any]:
    """Lapse unanswered invitations and draw replacements, fill vacancies, send reminders."""
    lapsed: list[int] = []
    reminders = 0
    open_reviews = list(
        session.scalars(
            select(Review)
            .join(Application, Review.application_id == Application.id)
            .where(Review.state.in_(panels.OPEN_REVIEWS), Application.state.in_(panels.OPEN_STATES))
            .order_by(Review.id)
        )
    )
    for review in open_reviews:
        if review.state is ReviewState.invited and review.respond_by is not None:
            if now >= review.respond_by:
                end_invitation(session, review, "lapsed", now)
                notifications.notify(
                    session,
                    [review.expert.user],
                    key=f"review-{review.id}-lapsed",
                    now=now,
                    subject=message("评审邀请已过期（申报 #%(id)s）", id=str(review.application_id)),
                    body=message("您未在期限内答复，系统已按同一规则补抽其他专家。"),
                    link=f"/desk/reviews/{review.id}",
                )
                lapsed.append(review.id)
            elif now >= review.respond_by - REMIND_INVITATION:
                reminders += notifications.notify(
                    session,
                    [review.expert.user],
                    key=f"review-{review.id}-answer-reminder",
                    now=now,
                    subject=message("请尽快答复评审邀请（申报 #%(id)s）", id=str(review.application_id)),
                    body=message("答复期限：%(day)s。", day=panels.answer_day(review)),
                    link=f"/desk/reviews/{review.id}",
                )
        elif review.state is ReviewState.accepted:
            reminders += _remind_due(session, review, now)
    added = [
        r.id
        for panel in _panels_under_review(session)
        for r in panels.replace(session, panel, now, message("补充空缺"))
    ]
    session.flush()
    return {"invitations_lapsed": lapsed, "vacancies_filled": added, "review_reminders": reminders}


def _panels_under_review(session: Session) -> list[Panel]:
    return list(
        session.scalars(
            select(Panel)
            .join(Application, Panel.application_id == Application.id)
            .where(Application.state.in_(panels.OPEN_STATES))
            .order_by(Panel.id)
        )
    )


def _remind_due(session: Session, review: Review, now: datetime) -> int:
    due = deadline(session, review)
    if due.at is None:
        return 0
    day = due.at.astimezone(CHINA) - timedelta(seconds=1)
    link = f"/desk/reviews/{review.id}"
    if now >= due.at:
        staff = notifications.staff_of(session, review.application.programme.jurisdiction_code)
        return notifications.notify(
            session,
            [review.expert.user, *staff],
            key=f"review-{review.id}-overdue-{day.date()}",
            now=now,
            subject=message("评审已逾期（申报 #%(id)s，%(review)s）", id=str(review.application_id),
                            review=review.label),
            body=message("评分应于%(day)s前提交。", day=day.date().isoformat()),
            link=link,
        )
    if now >= due.at - REMIND_REVIEW:
        return notifications.notify(
            session,
            [review.expert.user],
            key=f"review-{review.id}-due-reminder-{day.date()}",
            now=now,
            subject=message("请于%(day)s前提交评分（申报 #%(id)s）", day=Day(day.date(), year=False),
                            id=str(review.application_id)),
            link=link,
        )
    return 0


# What each actor sees of a panel -------------------------------------------------------------


def panel_summary(session: Session, actor: Actor, app: Application) -> dict[str, Any] | None:
    """The panel as this actor may see it (the caller has checked they may see the application).

    Staff see everything: names, deadlines, the draw report, divergence and discussion. The
    applicant sees reviewers only as R1, R2, ...; an expert sees other reviews only once their
    own is submitted; totals appear to the applicant only once the review is complete.
    """
    panel = app.panel
    if panel is None:
        return None
    staff = is_role(actor, Role.staff) or is_role(actor, Role.admin)
    own = next(
        (
            r
            for r in panel.reviews
            if is_role(actor, Role.expert)
            and actor.expert is not None
            and r.expert_id == actor.expert.id
        ),
        None,
    )
    complete = app.state not in panels.OPEN_STATES
    scores_visible = (
        staff
        or (own is not None and own.state is ReviewState.submitted)
        or (is_role(actor, Role.applicant) and complete)
    )
    rows = []
    for r in panel.reviews:
        row: dict[str, Any] = {
            "label": r.label,
            "state": str(r.state),
            "ended": ENDED_LABELS.get(r.ended_reason or "", ""),
        }
        if staff:
            due = deadline(session, r)
            row.update(
                review_id=r.id,
                expert_id=r.expert_id,
                expert=r.expert.name,
                employer=r.expert.employer,
                invited_at=r.invited_at,
                respond_by=r.respond_by,
                due=due.at,
                paused=due.paused,
                extended_days=round(due.extended.total_seconds() / 86400, 1),
                declaration=r.conflict_declaration,
            )
        if scores_visible and r.state is ReviewState.submitted:
            row.update(
                total=r.total, recommendation=r.recommendation.value if r.recommendation else None
            )
        rows.append(row)
    active = [r for r in panel.reviews if r.state is not ReviewState.declined]
    summary: dict[str, Any] = {
        "size": panel.size,
        "reviews": rows,
        "progress": {
            "submitted": sum(r.state is ReviewState.submitted for r in active),
            "accepted": sum(r.state is ReviewState.accepted for r in active),
            "invited": sum(r.state is ReviewState.invited for r in active),
            "declined": len(panel.reviews) - len(active),
            "vacant": max(panel.size - len(active), 0),
        },
        "panel_score": app.panel_score if complete or staff else None,
    }
    if staff:
        report = panel.report or {}
        summary.update(
            id=panel.id,
            seed=panel.seed,
            algorithm=panel.algorithm,
            drawn_at=panel.drawn_at,
            drawn_by=report.get("drawn_by", ""),
            report=panels.shown(report),
            reproducible=panels.reproduces(report),
            divergence=panel.divergence,
            threshold=app.programme.divergence_threshold,
            aggregation=report.get("aggregation"),
            discussion={
                "state": panel.discussion,
                "conclusion": panel.discussion_conclusion,
                "closed_at": panel.discussion_closed_at,
                "closed_by": (report.get("discussion") or {}).get("closed_by", ""),
            },
            can_close_discussion=panel.discussion_open
            and bool(permissions.application_action(session, actor, "approve_for_notice", app)),
        )
    return summary
