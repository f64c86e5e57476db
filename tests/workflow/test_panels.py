"""The panel draw: conflict rules with reasons, a reproducible seed, no partial panels."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, update

from models import Expert, Panel
from models.enums import ApplicationState as S
from models.enums import ReviewState
from tests.builders import application_in, new_enterprise, user
from workflow import panels, reviews
from workflow.errors import Forbidden, NotPossible

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def test_conflicts_are_excluded_with_their_reason(db) -> None:
    app = application_in(db, S.under_review, NOW)
    wang = db.scalars(select(Expert).where(Expert.name == "王建国")).one()
    wang.employer_uscc = app.enterprise.uscc  # works for the applicant
    zhang = db.scalars(select(Expert).where(Expert.name == "张伟")).one()
    zhang.jurisdiction_code = app.enterprise.jurisdiction_code  # same county, city tier
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="s1")
    reasons = {x["expert"]: x["reason"] for x in panel.excluded}
    assert reasons == {"王建国": "任职于申报单位", "张伟": "与申报单位同属一个区县（市级及以下批次回避）"}
    assert {r.expert.name for r in panel.reviews}.isdisjoint(reasons)
    assert [r.label for r in panel.reviews] == ["R1", "R2", "R3"]


def test_the_same_seed_draws_the_same_panel(db) -> None:
    first = application_in(db, S.under_review, NOW)
    second = application_in(db, S.under_review, NOW, applicant=new_enterprise(db, 3))
    city = user(db, "hz_city")
    a = [r.expert_id for r in panels.draw(db, city, first, NOW, seed="公开种子-2026").reviews]
    b = [r.expert_id for r in panels.draw(db, city, second, NOW, seed="公开种子-2026").reviews]
    assert a == b


def test_a_pool_too_small_creates_no_panel(db) -> None:
    app = application_in(db, S.under_review, NOW)
    db.execute(update(Expert).where(Expert.name.not_in(["王建国", "李晓梅"])).values(active=False))
    with pytest.raises(NotPossible, match="只有2人，不足3人"):
        panels.draw(db, user(db, "hz_city"), app, NOW)
    assert db.scalars(select(Panel)).all() == []


def test_only_the_deciding_bureau_draws(db) -> None:
    app = application_in(db, S.under_review, NOW)
    for username in ("qt_county", "aq_city", "qt_newmat", "expert_wang"):
        with pytest.raises(Forbidden):
            panels.draw(db, user(db, username), app, NOW)
    panels.draw(db, user(db, "hz_city"), app, NOW)
    with pytest.raises(NotPossible, match="已抽取"):
        panels.draw(db, user(db, "hz_city"), app, NOW)


def test_a_decline_draws_the_next_expert(db) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="d")
    first = panel.reviews[0]
    reviews.respond(db, first.expert.user, first, False, NOW, "曾为该企业提供咨询服务")
    assert first.state is ReviewState.declined
    assert len(panel.reviews) == 4 and panel.reviews[-1].label == "R4"
    assert panel.reviews[-1].expert_id not in {r.expert_id for r in panel.reviews[:3]}


def test_panel_score_is_the_mean_or_the_trimmed_mean() -> None:
    assert reviews.panel_score([80, 85, 90]) == 85.0
    # Five experts: drop 70 and 95, mean of 82, 84, 86 = 84.
    assert reviews.panel_score([70, 82, 84, 86, 95]) == 84.0


def test_other_reviews_stay_hidden_until_one_is_submitted(client, db) -> None:
    from tests.builders import FULL_SCORES
    from tests.web.apiclient import Api

    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="blind")
    first, second = panel.reviews[0], panel.reviews[1]
    for review in (first, second):
        reviews.respond(db, review.expert.user, review, True, NOW)
    reviews.save(db, first.expert.user, first, FULL_SCORES, "pass", "")
    reviews.submit(db, first.expert.user, first, NOW)
    db.commit()
    waiting = Api(client, second.expert.user.username).get("/reviews")[0]
    assert "panel" not in waiting
    done = Api(client, first.expert.user.username).get("/reviews")[0]
    assert {p["label"] for p in done["panel"]} == {"R2", "R3"}
    applicant_view = Api(client, "qt_newmat").get(f"/applications/{app.id}")
    assert applicant_view["reviewers"] == [{"label": "R1", "state": "submitted"},
                                           {"label": "R2", "state": "accepted"},
                                           {"label": "R3", "state": "invited"}]
