"""Supply chains (绿色供应链管理企业, STANDARDS.md §5): a 100-point table, quantitative items
pro-rated against 100 %."""
import pytest

from evaluators import evaluate, load
from evaluators.examples import example_document

KEY = "supply-chain-miit-2016"


@pytest.fixture
def full():
    return example_document(KEY, "full")


def _indicator(result, indicator_id):
    return next(i for i in result.indicators if i.id == indicator_id)


@pytest.mark.parametrize(("indicator_id", "value", "points"), [
    # 产品回收率 60 % of 5 points, pro-rated against 100 %: 0.6 × 5 = 3
    ("recycling_product_rate", "60", 3.0),
    # 包装回收率 85 %: 0.85 × 5 = 4.25
    ("recycling_packaging_rate", 85, 4.25),
    # 低风险供应商占比 50 % of 4: 2
    ("supplier_low_risk_share", "50%", 2.0),
    ("supplier_low_risk_share", "0", 0.0),
    # yes/no items: all or nothing — 纳入发展规划 8, 专门机构 6, one disclosure item 2.5
    ("strategy_in_plan", False, 0.0),
    ("strategy_organisation", "否", 0.0),
    ("disclosure_supplier", False, 0.0),
    ("disclosure_supplier", True, 2.5),
])
def test_additive_worked_examples(full, indicator_id, value, points):
    full["indicators"][indicator_id] = value
    result = evaluate(KEY, full, as_of="2025-03-31")
    indicator = _indicator(result, indicator_id)
    assert indicator.points == points
    assert result.total == pytest.approx(100 - (indicator.max_points - points), abs=0.005)
    assert result.eligible  # answered "no" scores 0 but does not block


def test_a_worked_total(full):
    # 100 − (5 − 3) 产品回收率 60 % − 8 纳入发展规划 − 2.5 × 2 disclosures − (4 − 3) 低风险 75 % = 84
    full["indicators"].update(recycling_product_rate="60", strategy_in_plan=False,
                              disclosure_purchasing=False, disclosure_report=False,
                              supplier_low_risk_share="75")
    result = evaluate(KEY, full, as_of="2025-03-31")
    assert result.total == 84
    groups = {g.id: g.points for g in result.groups}
    assert groups == {"strategy": 12, "supplier": 19, "production": 20, "recycling": 18,
                      "platform": 10, "disclosure": 5}


def test_an_unanswered_item_blocks_and_is_named(full):
    full["indicators"]["recycling_system"] = ""
    result = evaluate(KEY, full, as_of="2025-03-31")
    assert result.missing == ("recycling_system",)
    assert result.reasons == ("必填项未填写：绿色回收／绿色回收——建立产品回收体系",)


def test_the_table_of_standards_section_5():
    guideline = load(KEY)
    assert guideline.strategy == "additive_points" and guideline.kind == "supply_chain"
    assert [(g.name, g.points) for g in guideline.groups] == [
        ("绿色供应链管理战略", 20), ("绿色供应商管理", 20), ("绿色生产", 20), ("绿色回收", 20),
        ("绿色信息平台", 10), ("绿色信息披露", 10)]
    points = {i.name: i.points for i in guideline.indicators}
    assert points["将绿色供应链管理纳入企业发展规划"] == 8
    assert points["低风险供应商占比"] == 4
    assert points["产品回收率"] == 5 and points["包装回收率"] == 5
    assert [i.points for i in guideline.group_indicators("disclosure")] == [2.5] * 4
    assert sum(points.values()) == 100
