"""Products against the energy-efficiency benchmark (标杆) and baseline (基准) levels,
发改产业〔2023〕723号 (STANDARDS.md §7)."""
import pytest

from evaluators import evaluate
from evaluators.benchmarks import level, levels, positions
from evaluators.examples import example_document


@pytest.mark.parametrize(("product", "value", "position"), [
    ("cement_clinker", 98, "benchmark"),     # ≤ 100 kgce/t
    ("水泥熟料", 100, "benchmark"),           # at the benchmark; the Chinese name works too
    ("cement_clinker", 110, "between"),      # 100 < 110 ≤ 117
    ("cement_clinker", 117, "between"),
    ("cement_clinker", 118, "below_baseline"),
    ("flat_glass", "8.5", "benchmark"),      # 8.5 / 12.0 kgce/重量箱
    ("平板玻璃", 12.5, "below_baseline"),
    ("caustic_soda", 330, "between"),        # 315 / 350
    ("soda_ash_joint", 150, "benchmark"),    # 160 / 245
    ("ammonia_natural_gas", 1100, "between"),  # 1000 / 1200
    ("coke_top_charged", 140, "below_baseline"),  # 110 / 135
    ("ethylene", 600, "between"),            # 590 / 640 kgoe/t
    ("陶瓷砖", 3.9, "benchmark"),             # 4.0 / 7.0 kgce/m²
])
def test_positions(product, value, position):
    steps, results, notes = positions([{"product": product, "energy_per_unit": value}])
    assert [r.position for r in results] == [position] and notes == ()
    assert steps[0].factor_source.startswith("发改产业〔2023〕723号")
    if position == "below_baseline":
        assert "2025-12-31 前完成改造升级或淘汰退出" in results[0].why


def test_the_table_of_standards_section_7():
    assert {lv.name.split("（")[0]: (float(lv.benchmark), float(lv.baseline), lv.unit)
            for lv in levels()} == {
        "水泥熟料": (100, 117, "kgce/t"), "平板玻璃": (8.5, 12.0, "kgce/重量箱"),
        "烧碱": (315, 350, "kgce/t"), "纯碱": (160, 245, "kgce/t"), "合成氨": (1000, 1200, "kgce/t"),
        "焦炭": (110, 135, "kgce/t"), "乙烯": (590, 640, "kgoe/t"), "陶瓷砖": (4.0, 7.0, "kgce/m²")}
    assert all(lv.confidence == "unconfirmed" and lv.source for lv in levels())
    assert level("不存在") is None and level(None) is None


def test_unknown_or_unmeasured_products_are_noted():
    _, results, notes = positions([{"product": "钢铁"}, {"product": "cement_clinker"},
                                   {"name": "无 product 键"}, "x"])
    assert results == () and len(notes) == 2


def test_benchmarks_appear_in_the_evaluation():
    document = example_document("factory-gbt36132-2018", "pass")
    document["output"]["products"] = [
        {"name": "熟料", "product": "cement_clinker", "unit": "t", "quantity": 100_000,
         "energy_per_unit": 105}]
    result = evaluate("factory-gbt36132-2018", document, as_of="2025-03-31")
    assert [(b.product, b.position) for b in result.benchmarks] == [("cement_clinker", "between")]
    assert result.to_dict()["benchmarks"][0]["why"].startswith("水泥熟料单位产品综合能耗 105 kgce/t")
    assert any(step.key == "benchmark.cement_clinker" for step in result.calculations)
