"""The panel draw: every conflict rule with its reason, the composition rules, a seed anyone can
re-run, no partial panels, and replacements that continue the same ranking.

The applicant of the builders is 杭州钱塘新材料股份有限公司 (钱塘区 330114, industry codes C3021
and C2929, so divisions C30 and C29) in the Hangzhou city programme; the draw is on Monday
23 November 2026.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Expert, Panel, Review
from models.enums import ApplicationState as S
from models.enums import ReviewState, Tier
from models.experts import ConflictDeclaration, ConflictSource
from tests.builders import application_in, new_enterprise, user
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
    return {x["expert"]: (x["rule"], x["reason"]) for x in panel.excluded}


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


def test_the_report_replays_to_the_same_panel(db: Session) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="公开种子-2026")
    report = panel.report
    assert (report["algorithm"], report["seed"], report["size"]) == (
        "sha256-rank/1",
        "公开种子-2026",
        3,
    )
    # Every candidate's id, as runs of consecutive ids; the ranking is by SHA-256("seed|expert
    # id"), which anyone can recompute.
    candidates = panels.candidate_ids(report)
    assert report["candidate_count"] == len(candidates) == len(set(candidates))
    assert panels.id_ranges(candidates) == report["candidate_ranges"]
    assert not set(candidates) & {x["expert_id"] for x in report["excluded"]}
    ranking = panels.rank("公开种子-2026", candidates)
    keys = [panels.draw_key("公开种子-2026", i) for i in ranking]
    assert keys == sorted(keys)
    # The candidates the draw read are described down to the last one taken, with their keys.
    walked = report["considered"]
    assert [c["expert_id"] for c in walked] == ranking[: len(walked)]
    assert walked[-1]["expert_id"] == report["chosen"][-1]["expert_id"]
    assert [c["key"] for c in walked] == keys[: len(walked)]
    assert panels.replay(report) == [r.expert_id for r in panel.reviews]
    assert panels.reproduces(report)
    assert not panels.reproduces({**report, "seed": "另一个种子"})


def test_a_report_listing_every_candidate_still_replays(db: Session) -> None:
    """Reports written before `ranking` list every candidate with name, key and specialties."""
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
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


def test_the_same_seed_draws_the_same_panel(db: Session) -> None:
    first = application_in(db, S.under_review, NOW)
    second = application_in(db, S.under_review, NOW, applicant=new_enterprise(db, 3))
    city = user(db, "hz_city")
    a = [r.expert_id for r in panels.draw(db, city, first, NOW, seed="公开种子-2026").reviews]
    b = [r.expert_id for r in panels.draw(db, city, second, NOW, seed="公开种子-2026").reviews]
    assert a == b


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


def test_a_decline_draws_the_next_expert_from_the_same_ranking(db: Session) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="d")
    first = panel.reviews[0]
    reviews.respond(
        db, first.expert.user, first, False, NOW, "曾为该企业提供节能诊断咨询服务", conflict=True
    )
    assert (first.state, first.ended_reason) == (ReviewState.declined, "conflict")
    assert len(panel.reviews) == 4 and panel.reviews[-1].label == "R4"
    replacement = panel.reviews[-1]
    assert replacement.expert_id not in {r.expert_id for r in panel.reviews[:3]}
    # The replacement is the best-ranked candidate left that keeps the panel's composition.
    active = [
        set(r.expert.specialties) for r in panel.reviews if r.state is not ReviewState.declined
    ]
    assert any(s & {"C30", "C29"} for s in active) and any(s & {"energy", "carbon"} for s in active)
    entry = panel.report["replacements"][0]
    assert (entry["label"], entry["why"]) == ("R4", "R1谢绝：存在利益冲突")
    # The candidates left (the panel's experts are not) ranked by the same seed, read down to
    # the one taken.
    left = panels.rank("d", panels.candidate_ids(entry))
    assert not {r.expert_id for r in panel.reviews[:3]} & set(left)
    assert [c["expert_id"] for c in entry["considered"]] == left[: len(entry["considered"])]
    assert entry["considered"][-1]["expert_id"] == replacement.expert_id
    # The declaration is kept: the next draw for the same applicant leaves that expert out.
    assert db.scalars(select(ConflictDeclaration)).one().uscc == app.enterprise.uscc
    assert panels.exclusions(db, app, NOW)[first.expert_id][0].rule == "declared_by_expert"


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


def test_specialties_are_divisions_or_fields() -> None:
    assert panels.division("C3021") == "C30"
    assert panels.specialty_problem("C30") is None and panels.specialty_problem("carbon") is None
    assert "不是制造业大类代码" in (panels.specialty_problem("C99") or "")
    assert panels.specialty_label("C30") == "非金属矿物制品业（C30）"
