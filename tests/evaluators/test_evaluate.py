"""evaluate(): scoring, gates, eligibility and the trace, on worked examples."""
import copy
import json

import pytest

from evaluators import GuidelineError, evaluate
from evaluators.examples import example_document, example_evidence

KEY = "factory-gbt36132-2018"


@pytest.fixture
def full():
    return example_document(KEY, "full")


def _indicator(evaluation, indicator_id):
    return next(i for i in evaluation.indicators if i.id == indicator_id)


def _group(evaluation, group_id):
    return next(g for g in evaluation.groups if g.id == group_id)


def test_full_marks(full):
    result = evaluate(KEY, full, example_evidence(KEY), pass_mark=80)
    assert result.total == 100
    assert result.eligible and result.reasons == ()
    assert result.passed is True
    assert result.missing == ()
    assert all(g.share == 1 and g.points == g.points_max for g in result.groups)
    assert all(v.verdict == "pass" for v in (*result.basic_requirements, *result.vetoes))
    assert (result.guideline_key, result.guideline_version) == (KEY, "2018")


def test_blank_energy_indicators_take_calculated_values(full):
    result = evaluate(KEY, full)
    # 12 000 000 kWh × 0.1229 + 500 000 m³ × 1.2143 + 20 000 kg × 1.4571
    #   = 1 474 800 + 607 150 + 29 142 = 2 111 092 kgce; ÷ 120 000 万元 = 17.5924 ≤ 20 (leading)
    energy = _indicator(result, "perf_energy_per_output")
    assert energy.calculated and energy.value == 17.5924 and energy.points == 1
    assert "按能源数据计算" in energy.why
    assert result.figure("energy_tce") == 2111.092
    # (12 000 000 − 2 000 000 own − 2 000 000 green) × 0.5306 (2024 → 2023 national)
    #   + 500 000 × 2.162 + 20 000 × 3.096 = 4 244 800 + 1 081 000 + 61 920 = 5 387 720 kg
    assert result.figure("co2_kg") == 5_387_720
    assert result.figure("carbon_efficiency_level") == "低碳"  # 5 387.72 t ÷ 30 000 万元 = 0.18


def test_entered_value_wins_and_the_calculation_is_shown_beside_it(full):
    full["indicators"]["perf_energy_per_output"] = "60"
    indicator = _indicator(evaluate(KEY, full), "perf_energy_per_output")
    # lower is better: (100 − 60) ÷ (100 − 20) = 0.5 of 1 point
    assert not indicator.calculated and indicator.value == 60 and indicator.points == 0.5
    assert "17.5924" in indicator.why and "请核对" in indicator.why


@pytest.mark.parametrize(("indicator_id", "value", "points"), [
    # 容积率, higher: (1.5 − 1.0) ÷ (2.0 − 1.0) = 0.5 × 1 point
    ("perf_floor_area_ratio", "1.5", 0.5),
    ("perf_floor_area_ratio", "2.5", 1.0),   # beyond the leading value: full
    ("perf_floor_area_ratio", "0.8", 0.0),   # below the baseline: nothing
    # 建筑密度 %, "40%": (40 − 30) ÷ (50 − 30) = 0.5
    ("perf_building_density", "40%", 0.5),
    # 单位产值废水排放量, lower: (2.0 − 1.25) ÷ (2.0 − 0.5) = 0.5
    ("perf_wastewater_per_output", 1.25, 0.5),
    ("perf_wastewater_per_output", 0, 1.0),
    # 固废综合利用率: (81 − 60) ÷ (95 − 60) = 0.6
    ("perf_solid_waste_utilisation", "81", 0.6),
])
def test_numbers_between_baseline_and_leading(full, indicator_id, value, points):
    full["indicators"][indicator_id] = value
    result = evaluate(KEY, full)
    assert _indicator(result, indicator_id).points == points
    # 绩效 30 points: 29 of 30 indicator points + this one's; total moves by the same amount
    assert result.total == pytest.approx(100 - (1 - points), abs=0.005)


def test_required_item_unmet_makes_the_application_ineligible(full):
    full["indicators"]["infra_lighting_required"] = "不满足"
    result = evaluate(KEY, full, pass_mark=80)
    assert not result.eligible
    assert result.reasons == (
        "必选要求未满足：基础设施／照明——照明充分利用自然光，人工照明符合 GB 50034，分级设计并分区控制",)
    lighting = _indicator(result, "infra_lighting_required")
    assert lighting.points == 0 and "必选要求须全部满足" in lighting.why
    # 基础设施 loses 2.4 of 20: 17.6; total 97.6
    assert _group(result, "infrastructure").points == 17.6
    assert result.total == 97.6
    assert result.passed is True  # the score alone passes; eligibility is separate


def test_veto_answered_happened_fails_with_its_name(full):
    full["vetoes"]["veto_dishonest_debtor"] = "是"
    result = evaluate(KEY, full)
    veto = next(v for v in result.vetoes if v.id == "veto_dishonest_debtor")
    assert veto.verdict == "fail" and "失信被执行人" in veto.why
    assert not result.eligible
    assert result.reasons == (
        "否决项：失信被执行人（工信部节〔2024〕13号 第十五条（六）），依据：申报单位声明",)


def test_unanswered_gates_are_missing_and_block(full):
    del full["vetoes"]["veto_removed_from_list"]
    full["basic"]["basic_pollutant_permit"] = False
    result = evaluate(KEY, full)
    assert {g.id: g.verdict for g in result.vetoes}["veto_removed_from_list"] == "missing"
    assert {g.id: g.verdict for g in result.basic_requirements}["basic_pollutant_permit"] == "fail"
    assert len(result.reasons) == 2 and not result.eligible


def test_missing_required_indicators_are_listed(full):
    full["indicators"]["mgmt_energy_required"] = ""
    del full["indicators"]["emission_noise_required"]
    full["indicators"]["perf_floor_area_ratio"] = ""  # optional: not "missing"
    result = evaluate(KEY, full)
    assert result.missing == ("mgmt_energy_required", "emission_noise_required")
    assert not result.eligible
    assert all(r.startswith("必选要求未填写") for r in result.reasons)


def test_unreadable_number_scores_zero_and_says_why(full):
    full["indicators"]["perf_floor_area_ratio"] = "约1.5"
    indicator = _indicator(evaluate(KEY, full), "perf_floor_area_ratio")
    assert indicator.points == 0 and indicator.why.startswith("数值无法识别")
    assert indicator.value == "约1.5"


def test_evidence_is_carried_into_the_trace(full):
    result = evaluate(KEY, full, {"infra_building_required": ["总平面图.pdf", "验收意见.pdf"],
                                  "basic_lawful": "营业执照.pdf"})
    building = _indicator(result, "infra_building_required")
    assert building.evidence == ("总平面图.pdf", "验收意见.pdf")
    assert "总平面图.pdf" in building.why
    assert result.basic_requirements[0].evidence == ("营业执照.pdf",)
    assert "未上传证明材料" in _indicator(result, "infra_lighting_required").why


def test_pass_mark(full):
    full["indicators"]["infra_lighting_required"] = True
    full["indicators"]["infra_building_green"] = False  # 100 − 1.6 = 98.4
    assert evaluate(KEY, full).passed is None
    assert evaluate(KEY, full, pass_mark=98.4).passed is True
    assert evaluate(KEY, full, pass_mark="98.5").passed is False
    assert evaluate(KEY, full, pass_mark="eighty").passed is None


def test_unknown_guideline_raises():
    with pytest.raises(GuidelineError):
        evaluate("factory-unknown", {})


def test_determinism(full):
    evidence = example_evidence(KEY)
    first = json.dumps(evaluate(KEY, full, evidence, 80).to_dict(), ensure_ascii=False)
    shuffled = copy.deepcopy(full)
    shuffled["indicators"] = dict(reversed(list(full["indicators"].items())))
    shuffled = dict(reversed(list(shuffled.items())))
    assert json.dumps(evaluate(KEY, shuffled, evidence, 80).to_dict(), ensure_ascii=False) == first
    assert json.dumps(evaluate(KEY, full, evidence, 80).to_dict(), ensure_ascii=False) == first


GARBAGE = [
    None, [], "x", 1, True, {},
    {1: 2, None: [], "indicators": None},
    {"indicators": [1, 2]},
    {"indicators": {"perf_floor_area_ratio": {"a": 1}, "infra_building_required": [True],
                    "perf_energy_limit_standard": 12, 7: "x", "nonsense": "y"}},
    {"indicators": {"perf_floor_area_ratio": "1e999999", "perf_building_density": 10**400,
                    "perf_output_per_land": "-Infinity", "perf_wastewater_reuse": "NaN"}},
    {"energy": "x", "renewables": [1], "output": "y"},
    {"energy": {"electricity_kwh": "1e400", "natural_gas_m3": 10**30, "diesel_kg": "1e14"}},
    {"energy": {"electricity_kwh": "0.000000000001"}, "output": {"output_value_10k_yuan": "1e14",
                                                                "value_added_10k_yuan": "1e-12"}},
    {"energy": {"electricity_kwh": 0}, "renewables": {"own_generation_kwh": "lots"}},
    {"energy": {"electricity_kwh": 100}, "output": {"products": "x"}},
    {"energy": {"electricity_kwh": 100}, "output": {"products": [None, 1]}},
    {"energy": {"electricity_kwh": 100}, "output": {"products": [{"quantity": "0", "name": [1]}]}},
    {"year": "abc", "region": 123, "basic": [1], "vetoes": "yes"},
    {"year": 10**50, "region": {"code": 1}, "basic": {"basic_lawful": {"x": 1}},
     "vetoes": {"veto_dishonest_debtor": [True]}},
]


@pytest.mark.parametrize("document", GARBAGE)
@pytest.mark.parametrize("evidence", [None, {"x": 5}, [1], {"infra_building_required": [1, None]}])
def test_garbage_does_not_raise(document, evidence):
    result = evaluate(KEY, document, evidence, pass_mark=80)
    json.dumps(result.to_dict(), allow_nan=False)
    assert 0 <= result.total <= 100


MORE_GARBAGE = [
    {"years": "x"}, {"years": [None, 1, {"year": "x"}, {"year": 2023, "indicators": [1]}]},
    {"years": [{"year": 2023 + n, "indicators": {}} for n in range(40)]},
    {"events": "x"}, {"events": [None, {"veto": 1, "date": 2}, {"veto": "veto_dishonest_debtor"}]},
    {"events": [{"veto": "veto_dishonest_debtor", "date": "2024-02-30"}] * 300},
    {"basic": {"basic_full_time_staff": "lots", "basic_cleaner_production_audit": [100]}},
    {"energy": {"electricity_kwh": 100}, "output": {"products": [
        {"limit_grade_1": "x", "limit_grade_2": 1}, {"limit_grade_1": 1, "limit_grade_2": 2},
        {"product": ["cement_clinker"], "energy_per_unit": "1e400"},
        {"product": "cement_clinker", "energy_per_unit": -1}] * 30,
        "industry_average_carbon_intensity": "0"}},
    {"indicators": {"standards_system": "很完善", "renewable_share": "1e14",
                    "energy_productivity": "-1e14"}},
]


@pytest.mark.parametrize("key", ["factory-gbt36132-2025", "park-miit-2016",
                                 "supply-chain-miit-2016"])
@pytest.mark.parametrize("document", GARBAGE + MORE_GARBAGE)
def test_garbage_does_not_raise_for_any_guideline(key, document):
    result = evaluate(key, document, {"x": 5}, pass_mark=80, as_of="2025-03-31")
    json.dumps(result.to_dict(), allow_nan=False)
    assert 0 <= result.total <= 100
    assert not result.eligible


@pytest.mark.parametrize("document", MORE_GARBAGE)
def test_more_garbage_does_not_raise(document):
    result = evaluate(KEY, document, as_of="2025-03-31")
    json.dumps(result.to_dict(), allow_nan=False)
