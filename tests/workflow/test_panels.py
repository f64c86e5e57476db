"""The panel draw: every conflict rule with its reason, the composition rules, a seed anyone can
re-run, no partial panels, and replacements that continue the panel's numbering of picks
(or, for panels drawn under the earlier ranking, that ranking).

The applicant of the builders is 杭州钱塘新材料股份有限公司 (钱塘区 330114, industry codes C3021
and C2929, so divisions C30 and C29) in the Hangzhou city programme; the draw is on Monday
23 November 2026.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Expert, Panel, Review
from models.enums import ApplicationState as S
from models.enums import ReviewState, Tier
from models.experts import ConflictDeclaration, ConflictSource
from tests.builders import application_in, new_enterprise, user
from tests.conftest import statements_sent
from workflow import accounts, applications, panels, reviews
from workflow.actors import SYSTEM
from workflow.demo import with_check
from workflow.errors import Forbidden, Invalid, NotPossible

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
GROUP = with_check("91330100MA2J0G001")  # 杭州钱塘控股集团有限公司
CONSULTANT = with_check("91330106MA2J0C002")  # 浙江绿碳咨询有限公司


def add_expert(
    db: Session,
    username: str,
    name: str,
    specialties: list[str],
    county: str = "330106",
    employer_uscc: str | None = None,
    **fields: Any,
) -> Expert:
    expert = accounts.add_expert(
        db,
        SYSTEM,
        username=username,
        password="password-123",
        name=name,
        employer=f"{name}的工作单位",
        employer_uscc=employer_uscc,
        specialties=specialties,
        jurisdiction=county,
    )
    for key, value in fields.items():
        setattr(expert, key, value)
    db.flush()
    return expert


def larger_pool(db: Session) -> list[Expert]:
    """Four more experts, so that conflicts can take some out and a panel can still be drawn."""
    return [
        add_expert(db, "expert_qian", "钱明", ["C30", "energy"], "330105"),
        add_expert(db, "expert_wu", "吴芳", ["C29", "environment"], "330102"),
        add_expert(db, "expert_zheng", "郑涛", ["C30", "carbon"], "330108"),
        add_expert(db, "expert_feng", "冯雪", ["energy", "C31"], "330110"),
    ]


def expert(db: Session, name: str) -> Expert:
    return db.scalars(select(Expert).where(Expert.name == name)).one()


def reasons_of(panel: Panel) -> dict[str, tuple[str, str]]:
    return {x["expert"]: (x["rule"], x["reason"]) for x in panels.excluded_experts(panel.report)}


# Every exclusion rule, with the reason the draw report gives --------------------------------


def test_every_conflict_rule_is_reported_with_its_reason(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    larger_pool(db)
    uscc = app.enterprise.uscc
    app.data = {
        **app.data,
        "group": {"name": "杭州钱塘控股集团有限公司", "uscc": GROUP},
        "consultants": [{"name": "浙江绿碳咨询有限公司", "uscc": CONSULTANT}],
    }
    add_expert(db, "x_employee", "甲", ["energy"], employer_uscc=uscc)
    add_expert(db, "x_group", "乙", ["energy"], employer_uscc=GROUP)
    add_expert(db, "x_consultant", "丙", ["carbon"], employer_uscc=CONSULTANT)
    # Left the applicant on 30 June 2024: within 3 years of 23 November 2026, so excluded.
    add_expert(
        db,
        "x_former",
        "丁",
        ["energy"],
        former_employers=[
            {
                "name": "杭州钱塘新材料股份有限公司",
                "uscc": uscc,
                "from": "2015-03-01",
                "until": "2024-06-30",
            }
        ],
    )
    # Left on 31 December 2022: more than 3 years before the draw, so drawn like anyone else.
    long_ago = add_expert(
        db,
        "x_long_ago",
        "戊",
        ["safety"],
        former_employers=[
            {
                "name": "杭州钱塘新材料股份有限公司",
                "uscc": uscc,
                "from": "2010-01-01",
                "until": "2022-12-31",
            }
        ],
    )
    declared = add_expert(db, "x_declared", "己", ["carbon"])
    db.add(
        ConflictDeclaration(
            source=ConflictSource.expert,
            expert_id=declared.id,
            uscc=uscc,
            reason="配偶在申报单位任财务总监",
            declared_at=NOW,
        )
    )
    add_expert(db, "x_named", "庚", ["energy"])
    panels.declare_conflict(
        db, user(db, "qt_newmat"), app, name="庚", reason="曾在技术诉讼中担任对方专家证人", now=NOW
    )
    add_expert(db, "x_county", "辛", ["energy"], "330114")
    add_expert(
        db,
        "x_away",
        "壬",
        ["energy"],
        unavailable_from=date(2026, 11, 20),
        unavailable_until=date(2026, 12, 10),
    )

    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="rules")

    reasons = reasons_of(panel)
    assert reasons == {
        "甲": ("employer", "任职于申报单位"),
        "乙": ("group", "任职于申报单位所属集团（杭州钱塘控股集团有限公司）"),
        "丙": ("consultant", "任职于申报单位委托的咨询或第三方评价机构（浙江绿碳咨询有限公司）"),
        "丁": ("former_employer", "近3年内曾任职于申报单位（至2024-06-30）"),
        "己": ("declared_by_expert", "专家本人申报存在利益冲突：配偶在申报单位任财务总监"),
        "庚": ("declared_by_applicant", "申报单位申请回避：曾在技术诉讼中担任对方专家证人"),
        "辛": ("same_county", "与申报单位同属一个区县（市级及以下批次回避）"),
        "壬": ("unavailable", "2026-11-20至2026-12-10不可参评"),
    }
    assert long_ago.id in panels.candidate_ids(panel.report)
    assert {r.expert.name for r in panel.reviews}.isdisjoint(reasons)
    assert [r.label for r in panel.reviews] == ["R1", "R2", "R3"]


def test_a_recent_reviewer_of_the_same_applicant_is_excluded(db: Session) -> None:
    larger_pool(db)
    earlier = application_in(db, S.under_review, NOW)
    first = panels.draw(db, user(db, "hz_city"), earlier, NOW, seed="earlier").reviews[0]
    reviews.respond(db, first.expert.user, first, True, NOW)
    applications.act(db, user(db, "qt_newmat"), earlier, "withdraw", NOW)
    later = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), later, NOW, seed="later")
    assert reasons_of(panel)[first.expert.name] == ("recent_review", "近3年内评审过该申报单位")


def test_an_expert_at_the_load_cap_is_excluded(db: Session) -> None:
    larger_pool(db)
    other = application_in(db, S.under_review, NOW, applicant=new_enterprise(db, 7))
    busy = panels.draw(db, user(db, "hz_city"), other, NOW, seed="busy")
    app = application_in(db, S.under_review, NOW)
    app.programme.review_load_cap = 1
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="capped")
    for review in busy.reviews:
        assert reasons_of(panel)[review.expert.name] == (
            "load_cap",
            "在审评审任务1项，已达本批次每人1项的上限",
        )


def test_invitations_count_towards_the_cap_only_while_their_application_is_under_review(
    db: Session,
) -> None:
    larger_pool(db)
    applicant = new_enterprise(db, 7)
    other = application_in(db, S.under_review, NOW, applicant=applicant)
    busy = panels.draw(db, user(db, "hz_city"), other, NOW, seed="busy")
    applications.act(db, applicant, other, "withdraw", NOW)
    assert all(r.state is ReviewState.invited for r in busy.reviews)  # still open
    app = application_in(db, S.under_review, NOW)
    app.programme.review_load_cap = 1
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="capped")
    assert not {r.expert.name for r in busy.reviews} & set(reasons_of(panel))


def test_a_provincial_tier_needs_five_and_drops_the_county_rule(db: Session) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    app.programme.tier = Tier.province
    with pytest.raises(Invalid, match="不少于本批次规定的5人"):
        panels.draw(db, user(db, "hz_city"), app, NOW, size=3)
    add_expert(db, "x_county", "辛", ["energy"], "330114")
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="province")
    assert panel.size == 5 and len(panel.reviews) == 5
    assert "辛" not in reasons_of(panel)


# Composition and reproducibility ------------------------------------------------------------


@pytest.mark.parametrize("seed", [f"2026-hz-{n:02d}" for n in range(12)])
def test_every_panel_has_the_industry_and_an_energy_or_carbon_expert(
    db: Session, seed: str
) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed=seed)
    specialties = [set(r.expert.specialties) for r in panel.reviews]
    assert any(s & {"C30", "C29"} for s in specialties)
    assert any(s & {"energy", "carbon"} for s in specialties)


def test_picks_follow_the_documented_rule_worked_by_hand() -> None:
    """Candidates 1 to 10, seed "公开种子-2026". Pick 1: SHA-256("公开种子-2026#1") = 221d5db6…,
    which leaves 1 divided by 10, so position 1 (from 0): expert 2. Pick 2: 974632e1… leaves 5
    divided by the 9 left (1, 3, 4, 5, 6, 7, …): expert 7. Pick 3: 22dc3d75… leaves 1 divided by 8
    (1, 3, 4, 5, 6, 8, 9, 10): expert 3."""
    picks = panels.Picks("公开种子-2026", range(1, 11))
    assert panels.pick_key("公开种子-2026", 1).startswith("221d5db606d87d07")
    assert int(panels.pick_key("公开种子-2026", 1), 16) % 10 == 1
    assert picks.head(3) == [2, 7, 3]
    assert picks.key(1) == panels.pick_key("公开种子-2026", 2)
    # Every candidate is picked once; the order is the same whatever order the ids came in.
    assert picks.head(20) == [2, 7, 3, 1, 8, 5, 10, 4, 9, 6]
    assert panels.Picks("公开种子-2026", [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]).head(10) == picks.head(10)
    # A later walk (a replacement) numbers its picks on from where the panel's walks stopped.
    later = panels.Picks("公开种子-2026", range(1, 11), first_step=4)
    assert later.key(0) == panels.pick_key("公开种子-2026", 4) and later.recorded() == {"first_step": 4}


def test_the_ranking_of_earlier_draws_is_unchanged() -> None:
    """sha256-rank/1 ranks by SHA-256("<seed>|<expert id>"): for expert 8, 11502845…, the least."""
    assert panels.rank("公开种子-2026", range(1, 11)) == [8, 9, 6, 5, 10, 2, 4, 1, 3, 7]
    assert panels.draw_key("公开种子-2026", 8).startswith("11502845")
    ranking = panels.order(panels.RANKED, "公开种子-2026", range(10, 0, -1))
    assert ranking.head(3) == [8, 9, 6] and ranking.key(0) == panels.draw_key("公开种子-2026", 8)
    assert ranking.recorded() == {}
    with pytest.raises(ValueError, match="unknown draw algorithm"):
        panels.order("md5-rank/0", "s", [1])


def recomputed(seed: str, candidates: list[int], count: int, first_step: int = 1) -> list[tuple[int, str]]:
    """The first `count` picks, computed here from the documented rule alone."""
    left, picked = sorted(candidates), []
    for step in range(first_step, first_step + count):
        key = hashlib.sha256(f"{seed}#{step}".encode()).hexdigest()
        picked.append((left.pop(int(key, 16) % len(left)), key))
    return picked


def test_the_report_replays_to_the_same_panel(db: Session) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="公开种子-2026")
    report = panel.report
    assert (report["algorithm"], report["seed"], report["size"], report["first_step"]) == (
        "sha256-pick/2",
        "公开种子-2026",
        3,
        1,
    )
    assert panel.algorithm == "sha256-pick/2"
    # Every candidate's id, as runs of consecutive ids.
    candidates = panels.candidate_ids(report)
    assert report["candidate_count"] == len(candidates) == len(set(candidates))
    assert panels.id_ranges(candidates) == report["candidate_ranges"]
    assert not set(candidates) & {x["expert_id"] for x in panels.excluded_experts(report)}
    # The candidates the draw read, in the order picked, down to the last one taken, with keys.
    walked = report["considered"]
    assert [(c["expert_id"], c["key"]) for c in walked] == recomputed("公开种子-2026", candidates, len(walked))
    assert walked[-1]["expert_id"] == report["chosen"][-1]["expert_id"]
    assert panels.replay(report) == [r.expert_id for r in panel.reviews]
    assert panels.reproduces(report)
    assert not panels.reproduces({**report, "seed": "另一个种子"})
    assert not panels.reproduces({**report, "algorithm": "md5-rank/0"})


def ranked_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw as before sha256-pick/2, to make the panels earlier reports describe."""
    monkeypatch.setattr(panels, "ALGORITHM", panels.RANKED)


def test_a_panel_drawn_under_the_ranking_still_replays(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    ranked_draws(monkeypatch)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="公开种子-2026")
    report = panel.report
    assert report["algorithm"] == panel.algorithm == "sha256-rank/1" and "first_step" not in report
    ranking = panels.rank("公开种子-2026", panels.candidate_ids(report))
    walked = report["considered"]
    assert [c["expert_id"] for c in walked] == ranking[: len(walked)]
    assert [c["key"] for c in walked] == [panels.draw_key("公开种子-2026", i) for i in ranking[: len(walked)]]
    assert panels.replay(report) == [r.expert_id for r in panel.reviews]
    assert panels.reproduces(report)


def test_a_report_listing_every_candidate_still_replays(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports written before `candidate_ranges` list every candidate with name, key and specialties."""
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    ranked_draws(monkeypatch)
    report = dict(panels.draw(db, user(db, "hz_city"), app, NOW, seed="旧报告").report)
    experts = {e.id: e for e in db.scalars(select(Expert))}
    ranking = panels.rank("旧报告", panels.candidate_ids(report))
    for key in ("candidate_count", "candidate_ranges", "considered"):
        del report[key]
    report["candidates"] = [
        {
            "expert_id": i,
            "expert": experts[i].name,
            "key": panels.draw_key("旧报告", i),
            "specialties": experts[i].specialties,
        }
        for i in ranking
    ]
    assert panels.candidate_ids(report) == ranking
    assert panels.considered(report) == report["candidates"]
    assert panels.replay(report) == [c["expert_id"] for c in report["chosen"]]
    assert panels.reproduces(report)
    del report["algorithm"]  # the earliest reports name none: they are ranked
    assert panels.reproduces(report)


def test_the_same_seed_draws_the_same_panel(db: Session) -> None:
    first = application_in(db, S.under_review, NOW)
    second = application_in(db, S.under_review, NOW, applicant=new_enterprise(db, 3))
    city = user(db, "hz_city")
    a = [r.expert_id for r in panels.draw(db, city, first, NOW, seed="公开种子-2026").reviews]
    b = [r.expert_id for r in panels.draw(db, city, second, NOW, seed="公开种子-2026").reviews]
    assert a == b


def test_a_drawn_panel_is_written_once_and_read_back_without_asking_again(db: Session, engine) -> None:
    app = application_in(db, S.under_review, NOW)

    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="once")

    with statements_sent(engine) as sent:
        db.flush()  # nothing is left pending: the panel and its invitations are written
        seen = [(r.label, r.state, r.expert.name, r.panel is panel, r.application is app) for r in app.panel.reviews]
    assert sent == []
    assert [label for label, *_ in seen] == ["R1", "R2", "R3"]
    assert all(state is ReviewState.invited and mine and same for _, state, _, mine, same in seen)
    stored = db.execute(select(Review.label, Review.state, Review.version, Review.scores, Review.comments,
                               Review.respond_by).where(Review.panel_id == panel.id).order_by(Review.id)).all()
    assert [(r.label, r.state, r.version, r.scores, r.comments) for r in stored] == [
        (label, ReviewState.invited, 1, {}, "") for label in ("R1", "R2", "R3")]
    assert {r.respond_by for r in stored} == {panel.reviews[0].respond_by}
    assert db.scalar(select(Panel.version).where(Panel.id == panel.id)) == panel.version == 1


def test_a_draw_rolled_back_leaves_the_application_without_a_panel(factory) -> None:
    with factory() as session:
        app = application_in(session, S.under_review, NOW)
        session.commit()
        drawn = session.begin_nested()
        undone = panels.draw(session, user(session, "hz_city"), app, NOW, seed="undone")
        drawn.rollback()

        assert app.panel is None and undone not in session and not any(r in session for r in undone.reviews)
        assert session.scalars(select(Review).where(Review.application_id == app.id)).all() == []
        again = panels.draw(session, user(session, "hz_city"), app, NOW, seed="undone")
        assert [r.label for r in again.reviews] == ["R1", "R2", "R3"]
        session.rollback()  # the whole transaction: the panel drawn again goes too
        assert app.panel is None and again not in session


def test_a_replacement_rolled_back_leaves_the_panel_as_it_was(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="replaced")
    first = panel.reviews[0]
    first.state = ReviewState.declined
    first.ended_reason = "unavailable"
    db.flush()
    replacing = db.begin_nested()
    added = panels.replace(db, panel, NOW, "谢绝")
    assert [r.label for r in panel.reviews] == ["R1", "R2", "R3", "R4"] and len(added) == 1
    replacing.rollback()

    assert [r.label for r in panel.reviews] == ["R1", "R2", "R3"] and added[0] not in db


def test_choose_keeps_places_for_the_rules_still_unmet() -> None:
    industry = panels.Requirement("industry", frozenset({"C30"}), "行业")
    energy = panels.Requirement("energy_or_carbon", frozenset({"energy", "carbon"}), "能源")
    specialties = {1: ["safety"], 2: ["environment"], 3: ["C30"], 4: ["safety"], 5: ["carbon"]}
    # Ranked 1, 2, 3, 4, 5: 1 is taken; 2 would leave one place for two unmet rules, so it is
    # passed over; 3 meets the industry rule; 4 is passed over; 5 meets energy-or-carbon.
    assert panels.choose([1, 2, 3, 4, 5], 3, [industry, energy], specialties) == [
        (1, []),
        (3, ["industry"]),
        (5, ["energy_or_carbon"]),
    ]
    with pytest.raises(panels.Shortfall) as missing:
        panels.choose([1, 2, 4, 5], 3, [industry, energy], specialties)
    assert missing.value.rule == "industry"


# No partial panel ---------------------------------------------------------------------------


def test_a_pool_too_small_creates_no_panel(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    db.execute(
        update(Expert)
        .where(Expert.name.not_in(["王建国", "李晓梅"]))
        .values(active=False, deactivated_at=NOW)
    )
    with pytest.raises(NotPossible, match="只有2人，不足3人") as refused:
        panels.draw(db, user(db, "hz_city"), app, NOW)
    assert refused.value.details["rule"] == "size"
    assert db.scalars(select(Panel)).all() == [] and db.scalars(select(Review)).all() == []


def test_no_expert_of_the_industry_names_that_rule_and_creates_no_panel(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    expert(db, "王建国").employer_uscc = app.enterprise.uscc  # the only C30 expert of the demo pool
    with pytest.raises(
        NotPossible, match="无法满足“至少一名专家的专业与申报单位所属行业（C29、C30）相符”"
    ) as refused:
        panels.draw(db, user(db, "hz_city"), app, NOW)
    assert refused.value.details["rule"] == "industry"
    assert refused.value.details["excluded_by_rule"] == {"employer": 1}
    assert db.scalars(select(Panel)).all() == []


def test_only_the_deciding_bureau_draws(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    for username in ("qt_county", "aq_city", "qt_newmat", "expert_wang"):
        with pytest.raises(Forbidden):
            panels.draw(db, user(db, username), app, NOW)
    panels.draw(db, user(db, "hz_city"), app, NOW)
    with pytest.raises(NotPossible, match="已抽取"):
        panels.draw(db, user(db, "hz_city"), app, NOW)


# Declines and replacements ------------------------------------------------------------------


def decline_first(db: Session, seed: str) -> tuple[Panel, Review, Review]:
    """Draw with `seed`; R1 declines with a conflict. Returns the panel, R1 and the replacement."""
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed=seed)
    first = panel.reviews[0]
    reviews.respond(
        db, first.expert.user, first, False, NOW, "曾为该企业提供节能诊断咨询服务", conflict=True
    )
    assert (first.state, first.ended_reason) == (ReviewState.declined, "conflict")
    assert len(panel.reviews) == 4 and panel.reviews[-1].label == "R4"
    replacement = panel.reviews[-1]
    assert replacement.expert_id not in {r.expert_id for r in panel.reviews[:3]}
    # The replacement keeps the panel's composition.
    active = [
        set(r.expert.specialties) for r in panel.reviews if r.state is not ReviewState.declined
    ]
    assert any(s & {"C30", "C29"} for s in active) and any(s & {"energy", "carbon"} for s in active)
    entry = panel.report["replacements"][0]
    assert (entry["label"], entry["why"]) == ("R4", "R1谢绝：存在利益冲突")
    assert not {r.expert_id for r in panel.reviews[:3]} & set(panels.candidate_ids(entry))
    assert entry["considered"][-1]["expert_id"] == replacement.expert_id
    return panel, first, replacement


def test_a_decline_draws_the_next_expert_picking_on(db: Session) -> None:
    panel, first, replacement = decline_first(db, "d")
    entry = panel.report["replacements"][0]
    # The candidates left (the panel's experts are not), picked with the seed; the picks are
    # numbered on after the draw's own.
    assert entry["first_step"] == len(panel.report["considered"]) + 1
    walked = entry["considered"]
    assert [(c["expert_id"], c["key"]) for c in walked] == recomputed(
        "d", panels.candidate_ids(entry), len(walked), entry["first_step"])
    assert panels.next_step(panel.report) == entry["first_step"] + len(walked)
    # The declaration is kept: the next draw for the same applicant leaves that expert out.
    app = panel.application
    assert db.scalars(select(ConflictDeclaration)).one().uscc == app.enterprise.uscc
    assert panels.exclusions(db, app, NOW)[first.expert_id][0].rule == "declared_by_expert"


def test_a_panel_drawn_under_the_ranking_replaces_from_the_same_ranking(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranked_draws(monkeypatch)
    panel, _, _ = decline_first(db, "d")
    monkeypatch.undo()  # the panel keeps its algorithm, whatever new draws use
    assert panel.algorithm == "sha256-rank/1"
    second = panel.reviews[1]
    reviews.respond(db, second.expert.user, second, False, NOW, "出差")
    assert [r["label"] for r in panel.report["replacements"]] == ["R4", "R5"]
    for entry in panel.report["replacements"]:
        # The candidates left, ranked by the same seed, read down to the one taken.
        left = panels.rank("d", panels.candidate_ids(entry))
        assert "first_step" not in entry
        assert [c["expert_id"] for c in entry["considered"]] == left[: len(entry["considered"])]


def test_the_only_expert_of_the_industry_declining_is_replaced_by_another(db: Session) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    industry = {"C30", "C29"}
    for name in ("钱明", "郑涛", "吴芳"):
        away = expert(db, name)
        away.active, away.deactivated_at = False, NOW
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="only")
    wang = next(r for r in panel.reviews if r.expert.name == "王建国")
    for name in ("钱明", "郑涛"):
        back = expert(db, name)
        back.active, back.deactivated_at = True, None
    reviews.respond(db, wang.expert.user, wang, False, NOW, "出差")
    assert set(panel.reviews[-1].expert.specialties) & industry


def test_when_no_one_is_left_the_vacancy_is_recorded_and_staff_told(db: Session) -> None:
    from models import Notification

    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="v")
    wang = next(r for r in panel.reviews if r.expert.name == "王建国")
    reviews.respond(db, wang.expert.user, wang, False, NOW, "", conflict=False)
    assert len(panel.reviews) == 3
    vacancy = panel.report["vacancies"][0]
    assert vacancy["rule"] == "industry" and "行业" in vacancy["message"]
    told = db.scalars(
        select(Notification).where(
            Notification.user_id == user(db, "hz_city").id,
            Notification.key == f"panel-{panel.id}-vacancy-3",
        )
    ).one()
    assert "缺少1人" in told.subject


def test_ids_are_recorded_as_runs_of_consecutive_ids() -> None:
    assert panels.id_ranges([5, 1, 2, 3, 9, 10]) == [[1, 3], [5, 5], [9, 10]]
    assert panels.candidate_ids({"candidate_ranges": [[1, 3], [5, 5], [9, 10]]}) == [1, 2, 3, 5, 9, 10]
    assert panels.id_ranges([]) == []
    # the pool less the experts left out, cut where each one falls
    assert panels.ranges_without([1, 2, 3, 4, 5, 9, 10], {1, 3, 10, 77}) == [[2, 2], [4, 5], [9, 9]]
    assert panels.ranges_without([1, 2], {1, 2}) == []


def runs_one_by_one(ids: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


@given(st.sets(st.integers(1, 300)), st.sets(st.integers(1, 300)))
def test_runs_are_the_same_however_they_are_found(ids: set[int], left_out: set[int]) -> None:
    assert panels.id_ranges(ids) == runs_one_by_one(list(ids))
    assert panels.ranges_without(sorted(ids), left_out) == runs_one_by_one(list(ids - left_out))


def test_specialties_are_divisions_or_fields() -> None:
    assert panels.division("C3021") == "C30"
    assert panels.specialty_problem("C30") is None and panels.specialty_problem("carbon") is None
    assert "不是制造业大类代码" in (panels.specialty_problem("C99") or "")
    assert panels.specialty_label("C30") == "非金属矿物制品业（C30）"
