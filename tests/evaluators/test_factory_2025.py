"""GB/T 36132-2025: interpolation between 基准值 and 引领值, bands by annual energy use.

Points in factory-gbt36132-2025.toml: 单位产值综合能耗 8 (100 → 20 kgce/万元), 单位产值碳排放量 6
(400 → 80 kgCO2/万元), 可再生能源利用率 6 (bands), 能碳管理平台功能数 3 (0 → 8 of 12),
工业用水重复利用率 4 (60 → 95 %), 容积率 3 (1.0 → 2.0).
"""
import pytest

from evaluators import evaluate, load
from evaluators.examples import example_document

KEY = "factory-gbt36132-2025"
AS_OF = "2026-03-31"


@pytest.fixture
def full():
    return example_document(KEY, "full")


def _indicator(result, indicator_id):
    return next(i for i in result.indicators if i.id == indicator_id)


def test_groups_and_quantitative_weight():
    guideline = load(KEY)
    assert [(g.name, g.points) for g in guideline.groups] == [
        ("能源低碳化", 30), ("资源高效化", 20), ("生产洁净化", 20), ("产品绿色化", 15), ("用地集约化", 15)]
    # STANDARDS.md §3: quantitative indicators carry about 60 % of the weight
    assert sum(i.points for i in guideline.indicators if i.type == "number") == 60
    assert guideline.effective_on == "2025-12-31" and guideline.strategy == "baseline_leading"
    platform = next(i for i in guideline.indicators if i.id == "energy_carbon_platform")
    assert (platform.leading, platform.unit) == (8, "项")


@pytest.mark.parametrize(("indicator_id", "value", "points"), [
    # 能碳管理平台功能数 6 of 8 leading: (6 − 0) ÷ 8 = 0.75 × 3 = 2.25; 10 ≥ 8: full
    ("energy_carbon_platform", "6", 2.25),
    ("energy_carbon_platform", "10", 3.0),
    # 工业用水重复利用率 81 %: (81 − 60) ÷ (95 − 60) = 0.6 × 4 = 2.4
    ("water_reuse", "81", 2.4),
    ("water_reuse", "50", 0.0),
    # 单位产值综合能耗 entered 60 kgce/万元: (100 − 60) ÷ 80 = 0.5 × 8 = 4
    ("energy_per_output", "60", 4.0),
    # 容积率 1.5: 0.5 × 3 = 1.5
    ("floor_area_ratio", "1.5", 1.5),
])
def test_interpolation_worked_examples(full, indicator_id, value, points):
    full["indicators"][indicator_id] = value
    result = evaluate(KEY, full, as_of=AS_OF)
    assert _indicator(result, indicator_id).points == points
    assert result.eligible  # below the baseline scores 0 but does not block


@pytest.mark.parametrize(("energy", "renewables", "share", "band", "points"), [
    # 1 000 000 kWh × 0.1229 = 122.9 tce (< 3 000): band 3 → 15 %.
    # 100 000 kWh own PV = 12 290 kgce ÷ 122 900 = 10 %: (10 − 3) ÷ 12 = 0.5833 × 6 = 3.5
    ({"electricity_kwh": 1_000_000}, {"own_generation_kwh": 100_000}, 10.0, "低于 3000 tce", 3.5),
    # 100 000 000 kWh = 12 290 tce (≥ 10 000): band 1 → 6 %; 4 000 000 kWh green = 4 %:
    # (4 − 1) ÷ 5 = 0.6 × 6 = 3.6
    ({"electricity_kwh": 100_000_000}, {"green_power_purchased_kwh": 4_000_000}, 4.0,
     "10000 tce 及以上", 3.6),
    # 50 000 000 kWh = 6 145 tce (5 000–10 000): band 2 → 10 %; 6 %: (6 − 2) ÷ 8 = 0.5 × 6 = 3
    ({"electricity_kwh": 50_000_000}, {"own_generation_kwh": 3_000_000}, 6.0,
     "5000 tce–10000 tce", 3.0),
    # 30 000 000 kWh = 3 687 tce (3 000–5 000): band 2 → 12 %; 12 %: full
    ({"electricity_kwh": 30_000_000}, {"own_generation_kwh": 3_600_000}, 12.0,
     "3000 tce–5000 tce", 6.0),
])
def test_renewable_share_is_banded_by_annual_energy_use(full, energy, renewables, share, band,
                                                        points):
    full.update(energy=energy, renewables=renewables)
    result = evaluate(KEY, full, as_of=AS_OF)
    indicator = _indicator(result, "renewable_share")
    assert indicator.calculated and indicator.value == share
    assert band in indicator.rule
    assert indicator.points == points


def test_without_energy_data_the_strictest_band_applies(full):
    # 8 % entered, no energy data: bands give (8−1)/5 → 1, (8−2)/8 = 0.75, (8−2)/10 = 0.6,
    # (8−3)/12 = 0.4167; the lowest, 0.4167 × 6 = 2.5
    for section in ("energy", "renewables", "output"):
        full.pop(section)
    full["indicators"]["renewable_share"] = "8"
    indicator = _indicator(evaluate(KEY, full, as_of=AS_OF), "renewable_share")
    assert indicator.points == 2.5 and "得分最低" in indicator.rule


def test_a_required_yes_no_item_must_be_met(full):
    full["indicators"]["emissions_compliant"] = False
    result = evaluate(KEY, full, as_of=AS_OF)
    assert not result.eligible
    assert result.reasons == ("必选要求未满足：生产洁净化／污染物排放——污染物稳定达标排放，按排污许可证要求排污",)


def test_a_required_number_must_be_reported(full):
    full["indicators"]["water_per_output"] = ""
    result = evaluate(KEY, full, as_of=AS_OF)
    assert result.missing == ("water_per_output",)
    assert result.reasons == ("必填项未填写：资源高效化／水资源——单位产值取水量",)


def test_notes_when_evaluated_before_the_standard_took_effect(full):
    assert any("2025-12-31 起实施" in n for n in evaluate(KEY, full, as_of="2025-06-01").notes)
    assert not any("起实施" in n for n in evaluate(KEY, full, as_of=AS_OF).notes)
    old = evaluate("factory-gbt36132-2018", example_document("factory-gbt36132-2018"), as_of=AS_OF)
    assert any("被新版本替代" in n for n in old.notes)


@pytest.mark.parametrize(("products", "points", "phrase"), [
    # One product, 105 kgce/t against grade 1 = 100 (leading) and grade 2 = 110 (baseline):
    # (110 − 105) ÷ (110 − 100) = 0.5 × 8 = 4
    ([{"name": "熟料", "unit": "t", "energy_per_unit": 105, "limit_grade_1": 100,
       "limit_grade_2": 110}], 4.0, "熟料申报值 105 kgce/t"),
    # Two products weighted by energy use 3 000 and 1 000 tce: A 0.5, B (10 − 7) ÷ (10 − 6) = 0.75;
    # (0.5 × 3 000 + 0.75 × 1 000) ÷ 4 000 = 0.5625 × 8 = 4.5
    ([{"name": "A", "unit": "t", "energy_per_unit": 105, "limit_grade_1": 100,
       "limit_grade_2": 110, "energy_tce": 3000},
      {"name": "B", "unit": "t", "energy_per_unit": "7", "limit_grade_1": 6, "limit_grade_2": 10,
       "energy_tce": 1000}], 4.5, "能耗权重 0.75"),
    # Without their energy use, equal weights: (0.5 + 0.75) ÷ 2 = 0.625 × 8 = 5
    ([{"name": "A", "unit": "t", "energy_per_unit": 105, "limit_grade_1": 100,
       "limit_grade_2": 110},
      {"name": "B", "unit": "t", "energy_per_unit": 7, "limit_grade_1": 6, "limit_grade_2": 10}],
     5.0, "按等权计"),
])
def test_unit_energy_use_against_the_limit_standard(full, products, points, phrase):
    full["output"]["products"] = products
    result = evaluate(KEY, full, as_of=AS_OF)
    indicator = _indicator(result, "energy_per_output")
    assert indicator.points == points
    assert indicator.why.startswith("按单位产品综合能耗评价") and phrase in indicator.why


def test_a_single_products_unit_energy_use_may_be_calculated(full):
    # full: 2 111 092 kgce ÷ 6 000 000 件 = 0.3518 kgce/件 (figures keep 4 decimals);
    # grades 0.3 / 0.4: (0.4 − 0.3518) ÷ 0.1 = 0.482 × 8 = 3.856 → 3.86
    full["output"]["products"] = [{"name": "汽车零部件", "unit": "件", "quantity": 6_000_000,
                                   "limit_grade_1": "0.3", "limit_grade_2": "0.4"}]
    indicator = _indicator(evaluate(KEY, full, as_of=AS_OF), "energy_per_output")
    assert indicator.points == 3.86 and "计算值 0.3518 kgce/件" in indicator.why


def test_without_limit_grades_the_output_value_intensity_is_scored(full):
    full["output"]["products"] = [{"name": "X", "energy_per_unit": 5, "limit_grade_1": 9,
                                   "limit_grade_2": 6}]  # grade 1 above grade 2: refused
    result = evaluate(KEY, full, as_of=AS_OF)
    indicator = _indicator(result, "energy_per_output")
    assert indicator.calculated and indicator.points == 8  # 17.59 kgce/万元 ≤ 20
    assert any("1级应低于2级" in note for note in result.notes)
