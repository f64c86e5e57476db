"""Parks (绿色工业园区, STANDARDS.md §4): ratio to 引领值, one score per year, the mean of three.

Points in park-miit-2016.toml: 能源产出率 8, 可再生能源使用比例 6, 单位工业增加值废水排放量 3,
主要污染物弹性系数 3, 万元工业增加值碳排放量消减率 4, 中水回用率 2, 绿色园区标准体系完善程度 4.
"""
import copy

import pytest

from evaluators import evaluate, load
from evaluators.examples import example_document, example_evidence

KEY = "park-miit-2016"
AS_OF = "2025-03-31"


@pytest.fixture
def full():
    return example_document(KEY, "full")


def _indicator(result, indicator_id):
    return next(i for i in result.indicators if i.id == indicator_id)


def _each_year(document, indicator_id, value):
    document["indicators"][indicator_id] = value
    for entry in document["years"]:
        entry["indicators"][indicator_id] = value


@pytest.mark.parametrize(("indicator_id", "value", "points"), [
    # 能源产出率 2.4 万元/tce against leading 3: ratio 0.8 × 8 = 6.4
    ("energy_productivity", "2.4", 6.4),
    ("energy_productivity", 3.6, 8.0),        # beyond the leading value: ratio counts as 1
    ("energy_productivity", 0, 0.0),
    # 可再生能源使用比例 7.5 % against 15 %: 0.5 × 6 = 3
    ("renewable_share", "7.5%", 3.0),
    # lower is better — 单位工业增加值废水排放量 6.25 t/万元, leading 5: 5 ÷ 6.25 = 0.8 × 3 = 2.4
    ("wastewater_per_value_added", "6.25", 2.4),
    ("wastewater_per_value_added", "4", 3.0),  # below the leading value: full
    # 主要污染物弹性系数 0.6, leading 0.3: 0.3 ÷ 0.6 = 0.5 × 3 = 1.5; negative (falling): full
    ("pollutant_elasticity", "0.6", 1.5),
    ("pollutant_elasticity", "-0.2", 3.0),
    # 碳排放量消减率 −1 % (emissions per 万元 rose): 0
    ("carbon_intensity_reduction", "-1", 0.0),
    # optional 中水回用率 left blank: 0 of 2, and no reason against eligibility
    ("reclaimed_water", "", 0.0),
    # 绿色园区标准体系完善程度 "基本建立": 40 % × 4 = 1.6
    ("standards_system", "基本建立", 1.6),
])
def test_ratio_to_leading_worked_examples(full, indicator_id, value, points):
    _each_year(full, indicator_id, value)
    result = evaluate(KEY, full, as_of=AS_OF)
    indicator = _indicator(result, indicator_id)
    assert indicator.points == points
    assert [y.points for y in indicator.years] == [points] * 3
    # the same in every year, so every year and the final lose the same
    lost = indicator.max_points - points
    assert result.total == pytest.approx(100 - lost, abs=0.005)
    assert [y.total for y in result.years] == [pytest.approx(100 - lost, abs=0.005)] * 3
    assert result.eligible, result.reasons


def test_three_years_each_scored_and_the_final_is_their_mean(full):
    # 能源产出率 2.1, 2.4, 2.7 against 3: 0.7 × 8 = 5.6, 6.4, 7.2; mean 6.4
    for entry, value in zip(full["years"], ("2.1", "2.4")):
        entry["indicators"]["energy_productivity"] = value
    full["indicators"]["energy_productivity"] = "2.7"
    result = evaluate(KEY, full, example_evidence(KEY), as_of=AS_OF)
    indicator = _indicator(result, "energy_productivity")
    assert [(y.year, y.value, y.points) for y in indicator.years] == [
        (2022, 2.1, 5.6), (2023, 2.4, 6.4), (2024, 2.7, 7.2)]
    assert indicator.points == 6.4 and indicator.value == 2.7
    assert "2022年 5.6 分" in indicator.why and "3年平均得 6.4 分" in indicator.why
    # yearly green index: 100 − 2.4, 100 − 1.6, 100 − 0.8; final 98.4
    assert [(y.year, y.total) for y in result.years] == [(2022, 97.6), (2023, 98.4), (2024, 99.2)]
    assert result.total == 98.4
    energy = next(g for g in result.groups if g.id == "energy")
    assert energy.points == 18.4  # 20 − 1.6 on average
    assert result.to_dict()["years"][0]["groups"][0]["points"] == 17.6


def test_a_missing_year_scores_zero_and_blocks(full):
    full["years"] = [entry for entry in full["years"] if entry["year"] != 2022]
    result = evaluate(KEY, full, as_of=AS_OF)
    assert [(y.year, y.provided) for y in result.years] == [
        (2022, False), (2023, True), (2024, True)]
    # (0 + 100 + 100) ÷ 3 = 66.67
    assert result.total == 66.67
    assert not result.eligible
    assert result.reasons == ("缺少2022年数据：园区评价需提供2022–2024年连续3年的数据",)


def test_a_required_indicator_missing_in_one_year_is_named_with_the_year(full):
    full["years"][1]["indicators"]["air_quality_good_days"] = ""
    result = evaluate(KEY, full, as_of=AS_OF)
    assert result.missing == ("air_quality_good_days",)
    assert result.reasons == ("必填项未填写：生态环境绿色化（HG）／HG-25——园区空气质量优良率（2023年）",)
    # 3 points lost in 2023 only: 100 − 3 ÷ 3 = 99
    assert result.total == 99


def test_years_outside_the_window_are_noted_not_scored(full):
    extra = copy.deepcopy(full["years"][0])
    extra["year"] = 2020
    full["years"].append(extra)
    full["years"].append({"year": "twenty", "indicators": {}})
    result = evaluate(KEY, full, as_of=AS_OF)
    assert result.total == 100 and [y.year for y in result.years] == [2022, 2023, 2024]
    assert any("2020年数据不在评价年度" in note for note in result.notes)
    assert any("未填写可识别的年份" in note for note in result.notes)


def test_the_top_level_year_may_be_given_in_years_instead(full):
    latest = {"year": full["year"], "indicators": full.pop("indicators")}
    full["years"].append(latest)
    result = evaluate(KEY, full, as_of=AS_OF)
    assert result.total == 100 and result.eligible


@pytest.mark.parametrize(("answer", "verdict", "phrase"), [
    (1, "fail", "申报值 1人，低于要求的 2人"),
    ("2", "pass", "不低于要求的 2人"),
    (5, "pass", "申报值 5人"),
    (True, "pass", "未填写具体数值"),
    ("否", "fail", "未满足"),
    ("", "missing", "未作答"),
])
def test_full_time_staff_at_least_two(full, answer, verdict, phrase):
    full["basic"]["basic_full_time_staff"] = answer
    gate = next(g for g in evaluate(KEY, full, as_of=AS_OF).basic_requirements
                if g.id == "basic_full_time_staff")
    assert gate.verdict == verdict and phrase in gate.why


def test_cleaner_production_audits_must_reach_100_percent(full):
    full["basic"]["basic_cleaner_production_audit"] = "95%"
    result = evaluate(KEY, full, {"basic_cleaner_production_audit": ["审核名单.pdf"]}, as_of=AS_OF)
    assert not result.eligible
    assert result.reasons == ("基本要求未满足：重点企业清洁生产审核实施率达到100%，依据：申报值 95%，"
                              "证明材料：审核名单.pdf",)


def test_guideline_shape():
    guideline = load(KEY)
    assert guideline.kind == "park" and guideline.strategy == "ratio_to_leading_by_year"
    assert len(guideline.indicators) == 31
    assert guideline.to_dict()["years_required"] == 3
    numbers = {i.name: (i.leading, i.direction, i.required) for i in guideline.indicators
               if i.type == "number"}
    # STANDARDS.md §4 table, a sample of rows
    assert numbers["能源产出率"] == (3, "higher", True)
    assert numbers["水资源产出率"] == (1500, "higher", True)
    assert numbers["单位工业增加值废水排放量"] == (5, "lower", True)
    assert numbers["主要污染物弹性系数"] == (0.3, "lower", True)
    assert numbers["露天停车场遮荫比例"] == (80, "higher", False)
    assert sum(1 for i in guideline.indicators if i.required) == 19  # "yes" rows of the table
    assert [g.name[-3:-1] for g in guideline.groups] == ["EG", "RG", "IG", "CG", "HG", "MG"]
    staff = next(r for r in guideline.basic_requirements if r.id == "basic_full_time_staff")
    audits = next(r for r in guideline.basic_requirements
                  if r.id == "basic_cleaner_production_audit")
    assert (staff.type, staff.at_least, audits.at_least) == ("number", 2, 100)
