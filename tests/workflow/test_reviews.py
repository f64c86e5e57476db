"""Reviews: scoring from the automatic evaluation with reasons, honest aggregation with the
divergence flag and the panel discussion, deadlines paused by clarifications, and the tick
that lapses unanswered invitations and draws replacements.

Worked examples: the automatic evaluation of the builders' application scores the six groups
of GB/T 36132-2018 at 16.8, 12, 12, 8.4, 8 and 27.39 points (84.59 in all).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Application, Expert, Notification, Panel, Review
from models.enums import ApplicationState as S
from models.enums import ReviewState
from tests.builders import application_in, user
from tests.workflow.test_panels import larger_pool
from workflow import applications, expert_pool, panels, reviews
from workflow.clock import CHINA
from workflow.errors import Forbidden, Invalid, NotPossible
from workflow.tick import tick

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")  # a Monday

# Group points that add up to the totals of the examples (GB/T 36132-2018 maxima 20, 15, 15,
# 10, 10, 30).
TOTALS = {
    70: {
        "infrastructure": 14,
        "management": 10,
        "energy_resources": 10,
        "product": 7,
        "emissions": 7,
        "performance": 22,
    },
    80: {
        "infrastructure": 16,
        "management": 12,
        "energy_resources": 12,
        "product": 8,
        "emissions": 8,
        "performance": 24,
    },
    82: {
        "infrastructure": 16,
        "management": 12,
        "energy_resources": 12,
        "product": 8,
        "emissions": 8,
        "performance": 26,
    },
    84: {
        "infrastructure": 16,
        "management": 12,
        "energy_resources": 12,
        "product": 8,
        "emissions": 8,
        "performance": 28,
    },
    86: {
        "infrastructure": 16,
        "management": 12,
        "energy_resources": 12,
        "product": 8,
        "emissions": 8,
        "performance": 30,
    },
    88: {
        "infrastructure": 18,
        "management": 14,
        "energy_resources": 13,
        "product": 9,
        "emissions": 9,
        "performance": 25,
    },
    95: {
        "infrastructure": 20,
        "management": 15,
        "energy_resources": 15,
        "product": 10,
        "emissions": 10,
        "performance": 25,
    },
}


def score(db: Session, review: Review, total: int, at: datetime = NOW) -> None:
    expert = review.expert.user
    if review.state is ReviewState.invited:
        reviews.respond(db, expert, review, True, at)
    reasons = {group: "依据现场核查情况调整" for group in TOTALS[total]}
    reviews.save(db, expert, review, TOTALS[total], "pass", "", reasons)
    reviews.submit(db, expert, review, at)


def drawn(db: Session, size: int | None = None, seed: str = "reviews") -> tuple[Application, Panel]:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    return app, panels.draw(db, user(db, "hz_city"), app, NOW, seed=seed, size=size)


# Scoring ------------------------------------------------------------------------------------


def test_scoring_starts_from_the_automatic_evaluation(db: Session) -> None:
    _, panel = drawn(db)
    review = panel.reviews[0]
    reviews.respond(db, review.expert.user, review, True, NOW)
    assert review.scores == {
        "infrastructure": 16.8,
        "management": 12.0,
        "energy_resources": 12.0,
        "product": 8.4,
        "emissions": 8.0,
        "performance": 27.39,
    }
    assert review.conflict_declaration == reviews.NO_CONFLICT
    reviews.save(db, review.expert.user, review, {}, "pass", "资料齐全")
    reviews.submit(db, review.expert.user, review, NOW)
    assert review.total == 84.59


def test_a_changed_point_without_a_reason_is_refused_naming_the_group(db: Session) -> None:
    _, panel = drawn(db)
    review = panel.reviews[0]
    expert = review.expert.user
    reviews.respond(db, expert, review, True, NOW)
    with pytest.raises(Invalid) as refused:
        reviews.save(db, expert, review, {"infrastructure": 18, "product": 8.4}, "pass", "")
    assert refused.value.message == "“基础设施”的评分与自动评价不同，请写明调整理由"
    assert refused.value.details["fields"] == {
        "reasons.infrastructure": ["评分18分与自动评价16.8分不同，请写明理由"]
    }
    assert review.scores["infrastructure"] == 16.8  # nothing saved
    reviews.save(
        db,
        expert,
        review,
        {"infrastructure": 18},
        "pass",
        "",
        {"infrastructure": "光伏装机已于2026年投运，现场核实"},
    )
    assert review.scores["infrastructure"] == 18 and reviews.changed_groups(review) == {
        "infrastructure": 16.8
    }
    # Clearing the reason later brings the refusal back, at submission too.
    with pytest.raises(Invalid, match="基础设施"):
        reviews.save(db, expert, review, {}, "pass", "", {"infrastructure": ""})


def test_a_score_outside_the_group_is_refused(db: Session) -> None:
    _, panel = drawn(db)
    review = panel.reviews[0]
    reviews.respond(db, review.expert.user, review, True, NOW)
    with pytest.raises(Invalid) as refused:
        reviews.save(
            db,
            review.expert.user,
            review,
            {"product": 11, "nothing": 1},
            None,
            "",
            {"product": "x"},
        )
    assert refused.value.details["fields"] == {
        "scores.product": ["应在0至10分之间"],
        "scores.nothing": ["不是本评价标准的指标组"],
    }


def test_only_the_invited_expert_answers_and_only_before_the_deadline(db: Session) -> None:
    _, panel = drawn(db)
    first, second = panel.reviews[0], panel.reviews[1]
    with pytest.raises(Forbidden):
        reviews.respond(db, second.expert.user, first, True, NOW)
    # Invited on Monday 23 November with 3 working days: answer by the end of Thursday 26th.
    assert first.respond_by == datetime(2026, 11, 27, tzinfo=CHINA)
    with pytest.raises(NotPossible, match="已超过答复期限（2026年11月26日）"):
        reviews.respond(
            db, first.expert.user, first, True, datetime(2026, 11, 27, 0, 1, tzinfo=CHINA)
        )
    with pytest.raises(Invalid, match="存在利益冲突时请谢绝邀请"):
        reviews.respond(db, first.expert.user, first, True, NOW, "曾任顾问", conflict=True)


def test_the_admins_calendar_moves_the_answer_deadline(db: Session) -> None:
    from datetime import date

    from workflow import notices

    # A day off declared for Wednesday 25 November: Tue 24, Thu 26, Fri 27 are the 3 days.
    notices.set_calendar_day(db, user(db, "admin"), date(2026, 11, 25), False, "临时调休")
    _, panel = drawn(db)
    assert panel.reviews[0].respond_by == datetime(2026, 11, 28, tzinfo=CHINA)


# Aggregation --------------------------------------------------------------------------------


def test_panel_score_is_the_mean_or_the_trimmed_mean() -> None:
    # Three experts: (80 + 85 + 90) / 3 = 85.
    assert reviews.panel_score([80, 85, 90]) == 85.0
    # Five experts: drop 70 and 95, mean of 82, 84, 86 = 84.
    assert reviews.panel_score([70, 82, 84, 86, 95]) == 84.0
    # Three experts 70, 80, 88: (70 + 80 + 88) / 3 = 79.33; max − min = 18.
    assert reviews.panel_score([70, 80, 88]) == 79.33
    assert reviews.divergence([70, 80, 88]) == 18


def test_three_totals_diverging_by_18_flag_a_discussion(db: Session) -> None:
    app, panel = drawn(db)
    for review, total in zip(panel.reviews, (70, 80, 88), strict=True):
        score(db, review, total)
    assert app.state is S.reviewed
    assert (app.panel_score, panel.divergence, panel.discussion) == (79.33, 18, "open")
    assert panel.report["aggregation"] == {
        "method": "mean",
        "totals": {"R1": 70, "R2": 80, "R3": 88},
        "dropped": [],
        "score": 79.33,
        "divergence": 18,
        "threshold": 15.0,
        "discussion": True,
    }
    assert reviews.discussion_open(app)
    staff_told = db.scalars(
        select(Notification).where(Notification.key == f"application-{app.id}-reviewed")
    ).all()
    assert staff_told and "相差 18 分，超过本批次 15 分的阈值" in staff_told[0].body

    city = user(db, "hz_city")
    with pytest.raises(Invalid, match="请填写专家组讨论的结论"):
        reviews.close_discussion(db, city, app, "  ", NOW)
    with pytest.raises(Forbidden):
        reviews.close_discussion(db, user(db, "qt_county"), app, "结论", NOW)
    reviews.close_discussion(
        db, city, app, "经专家组讨论，R1 对绩效组的扣分依据充分，维持各自评分。", NOW
    )
    assert not reviews.discussion_open(app)
    assert panel.report["discussion"]["closed_by"] == city.display_name
    with pytest.raises(NotPossible, match="没有待记录结论"):
        reviews.close_discussion(db, city, app, "再次", NOW)


def test_a_spread_at_the_threshold_does_not_flag(db: Session) -> None:
    app, panel = drawn(db)
    for review, total in zip(panel.reviews, (70, 80, 84), strict=True):  # 84 − 70 = 14 ≤ 15
        score(db, review, total)
    assert (panel.divergence, panel.discussion, reviews.discussion_open(app)) == (14, None, False)


def test_five_totals_take_the_trimmed_mean(db: Session) -> None:
    app, panel = drawn(db, size=5)
    for review, total in zip(panel.reviews, (70, 82, 84, 86, 95), strict=True):
        score(db, review, total)
    # Drop the lowest (70, R1) and the highest (95, R5): (82 + 84 + 86) / 3 = 84.
    aggregation = panel.report["aggregation"]
    assert (aggregation["method"], aggregation["dropped"], aggregation["score"]) == (
        "trimmed_mean",
        ["R1", "R5"],
        84.0,
    )
    assert app.panel_score == 84.0 and panel.divergence == 25 and panel.discussion == "open"


def test_the_staff_member_who_decides_was_not_on_the_panel(db: Session) -> None:
    app, panel = drawn(db)
    for review in panel.reviews:
        score(db, review, 88)
    deputy = user(db, "hz_city2")
    panel.reviews[0].expert.user_id = deputy.id  # the deputy director also sat on this panel
    db.flush()
    db.expire(deputy)
    with pytest.raises(Forbidden, match="参加本项评审的专家不得作出认定决定"):
        applications.act(db, deputy, app, "approve_for_notice", NOW)
    applications.act(db, user(db, "hz_city"), app, "approve_for_notice", NOW)
    assert app.state is S.public_notice


def test_the_staff_member_who_draws_is_not_drawn(db: Session) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    city = user(db, "hz_city")
    db.scalars(select(Expert).where(Expert.name == "冯雪")).one().user_id = city.id
    db.flush()
    db.expire(city)
    panel = panels.draw(db, city, app, NOW, seed="drawer")
    assert {x["expert"]: x["reason"] for x in panels.excluded_experts(panel.report)}[
        "冯雪"
    ] == "为抽取专家组的工作人员本人"


# Clarification pauses the deadline ----------------------------------------------------------


def test_a_clarification_pauses_the_review_deadline_until_answered(db: Session) -> None:
    app, panel = drawn(db)
    review = panel.reviews[0]
    expert = review.expert.user
    reviews.respond(db, expert, review, True, NOW)
    # Accepted Monday 23 November with 10 working days: due by the end of Monday 7 December.
    assert reviews.deadline(db, review) == reviews.Deadline(datetime(2026, 12, 8, tzinfo=CHINA))
    asked = NOW + timedelta(days=2)
    reviews.request_clarification(db, expert, review, "请补充2025年分月电力消费台账", asked)
    assert app.state is S.awaiting_clarification
    assert reviews.deadline(db, review).paused
    reviews.save(db, expert, review, {}, "pass", "")
    with pytest.raises(NotPossible, match="补充说明期间评审暂停"):
        reviews.submit(db, expert, review, asked)
    answered = asked + timedelta(days=3, hours=4)
    applications.act(
        db,
        user(db, "qt_newmat"),
        app,
        "answer_clarification",
        answered,
        reason="已上传2025年1至12月电力消费台账",
    )
    due = reviews.deadline(db, review)
    assert (due.at, due.paused, due.extended) == (
        datetime(2026, 12, 8, tzinfo=CHINA) + timedelta(days=3, hours=4),
        False,
        timedelta(days=3, hours=4),
    )
    told = db.scalars(
        select(Notification).where(Notification.user_id == user(db, "qt_newmat").id)
    ).all()
    assert any("补充说明" in n.subject for n in told)


# The tick: lapses, replacements, reminders --------------------------------------------------


def test_a_missed_answer_deadline_draws_the_next_expert_at_the_tick(db: Session) -> None:
    _, panel = drawn(db)
    first = panel.reviews[0]
    for other in panel.reviews[1:]:
        reviews.respond(db, other.expert.user, other, True, NOW)
    # Thursday 26 November, 10:00: one day before the deadline, a reminder; nothing lapses.
    before = tick(db, datetime(2026, 11, 26, 10, tzinfo=CHINA))
    assert before["invitations_lapsed"] == [] and before["review_reminders"] == 1
    assert db.scalars(
        select(Notification).where(Notification.key == f"review-{first.id}-answer-reminder")
    ).one()
    # Friday 27 November: the deadline has passed.
    after = datetime(2026, 11, 27, 9, tzinfo=CHINA)
    summary = tick(db, after)
    assert summary["invitations_lapsed"] == [first.id]
    assert (first.state, first.ended_reason) == (ReviewState.declined, "lapsed")
    replacement = panel.reviews[-1]
    assert (replacement.label, replacement.state) == ("R4", ReviewState.invited)
    assert replacement.respond_by == datetime(2026, 12, 3, tzinfo=CHINA)  # Mon 30, Tue 1, Wed 2
    assert panel.report["replacements"][-1]["why"] == "R1逾期未答复"
    # Run again at the same moment: nothing more happens.
    again = tick(db, after)
    assert (again["invitations_lapsed"], again["vacancies_filled"], again["review_reminders"]) == (
        [],
        [],
        0,
    )
    assert len(panel.reviews) == 4


def test_an_overdue_review_is_reminded_then_reported(db: Session) -> None:
    _, panel = drawn(db)
    review = panel.reviews[0]
    reviews.respond(db, review.expert.user, review, True, NOW)
    assert tick(db, datetime(2026, 12, 6, 9, tzinfo=CHINA))["review_reminders"] >= 1
    tick(db, datetime(2026, 12, 8, 9, tzinfo=CHINA))
    keys = set(
        db.scalars(select(Notification.key).where(Notification.key.like(f"review-{review.id}-%")))
    )
    assert {
        f"review-{review.id}-due-reminder-2026-12-07",
        f"review-{review.id}-overdue-2026-12-07",
    } <= keys


# Deactivating an expert ---------------------------------------------------------------------


def test_deactivating_an_invited_expert_redraws_and_keeps_history(db: Session) -> None:
    app, panel = drawn(db)
    invited, busy = panel.reviews[0], panel.reviews[1]
    reviews.respond(db, busy.expert.user, busy, True, NOW)
    city = user(db, "hz_city")
    invited.expert.jurisdiction_code = "330106"
    busy.expert.jurisdiction_code = "330106"
    with pytest.raises(NotPossible, match=f"正在评审申报#{app.id}"):
        expert_pool.deactivate(db, city, busy.expert, "退休", NOW)
    expert_pool.deactivate(db, city, invited.expert, "本人申请退出专家库", NOW)
    assert (invited.state, invited.ended_reason) == (ReviewState.declined, "deactivated")
    assert panel.reviews[-1].label == "R4"
    assert not invited.expert.active and invited.expert.deactivation_reason == "本人申请退出专家库"
    assert db.get(Review, invited.id) is not None


# Each expert's count of open reviews (the load cap's figure) ---------------------------------


def counted_and_real(db: Session) -> tuple[dict[int, int], dict[int, int]]:
    counted = {i: n for i, n in db.execute(select(Expert.id, Expert.open_reviews)) if n}
    real = db.execute(
        select(Review.expert_id, func.count(Review.id))
        .join(Application, Review.application_id == Application.id)
        .where(Review.state.in_(panels.OPEN_REVIEWS), Application.state.in_(panels.OPEN_STATES))
        .group_by(Review.expert_id)
    )
    return counted, dict(real.all())


def test_each_experts_count_of_open_reviews_follows_every_step(db: Session) -> None:
    app, panel = drawn(db, size=5)
    counted, real = counted_and_real(db)
    assert counted == real and len(counted) == 5
    accepted, declined, submitted, lapsing, leaving = panel.reviews[:5]
    version = accepted.expert.version
    reviews.respond(db, accepted.expert.user, accepted, True, NOW)
    reviews.respond(db, declined.expert.user, declined, False, NOW, "与申报单位存在合作关系", conflict=True)
    score(db, submitted, 80)
    assert counted_and_real(db)[0] == counted_and_real(db)[1]
    expert_pool.deactivate(db, user(db, "hz_city"), leaving.expert, "本人申请退出专家库", NOW)
    tick(db, datetime(2026, 11, 27, 9, tzinfo=CHINA))  # the invitations left unanswered lapse
    assert lapsing.ended_reason == "lapsed"
    counted, real = counted_and_real(db)
    assert counted == real and counted[accepted.expert_id] == 1 and submitted.expert_id not in counted
    applications.act(db, user(db, "qt_newmat"), app, "withdraw", NOW)
    assert counted_and_real(db) == ({}, {})
    db.refresh(accepted.expert)
    assert accepted.expert.version == version  # counting leaves an edit of the expert in hand valid
