"""The GB/T 36132-2018 guideline file and the loader's checks."""
import copy
import json
import re
import tomllib
from decimal import Decimal
from importlib import resources

import pytest

import evaluators
from evaluators.guidelines import GuidelineError, GuidelineInfo, parse

KEY = "factory-gbt36132-2018"
CONFIDENCES = {"confirmed", "secondary", "unconfirmed"}


@pytest.fixture(scope="module")
def guideline():
    return evaluators.load(KEY)


@pytest.fixture
def raw():
    path = resources.files("evaluators.guidelines").joinpath(f"{KEY}.toml")
    with path.open("rb") as handle:
        return tomllib.load(handle, parse_float=Decimal)


def test_available_lists_every_packaged_version():
    assert GuidelineInfo(KEY, "factory", "绿色工厂评价通则（GB/T 36132-2018）", "2018") in (
        evaluators.available())
    assert [(g.key, g.kind) for g in evaluators.available()] == [
        ("factory-gbt36132-2018", "factory"), ("factory-gbt36132-2025", "factory"),
        ("park-miit-2016", "park"), ("supply-chain-miit-2016", "supply_chain")]


def test_load_is_cached(guideline):
    assert evaluators.load(KEY) is guideline


@pytest.mark.parametrize("key", ["factory-gbt36132-2099", "", "../reference/grid-co2", None, ["x"]])
def test_unknown_key(key):
    with pytest.raises(GuidelineError):
        evaluators.load(key)


def test_groups_and_weights(guideline):
    # STANDARDS.md §3 [U]: 20 + 15 + 15 + 10 + 10 + 30 = 100
    assert [(g.name, g.points) for g in guideline.groups] == [
        ("基础设施", 20), ("管理体系", 15), ("能源与资源投入", 15),
        ("产品", 10), ("环境排放", 10), ("绩效", 30)]
    assert guideline.default_pass_mark == 80
    assert guideline.parameter("default_pass_mark").confidence == "unconfirmed"


def test_second_level_indicators_of_standards_section_3(guideline):
    criteria = {(g.name, i.criterion) for g in guideline.groups
                for i in guideline.group_indicators(g.id)}
    expected = {
        "基础设施": {"建筑", "照明", "设备设施"},
        "管理体系": {"一般要求", "环境管理体系", "能源管理体系", "社会责任"},
        "能源与资源投入": {"能源投入", "资源投入", "采购"},
        "产品": {"一般要求", "生态设计", "有害物质使用", "节能", "减碳", "可回收利用率"},
        "环境排放": {"大气污染物", "水体污染物", "固体废弃物", "噪声", "温室气体"},
        "绩效": {"用地集约化", "原料无害化", "生产洁净化", "废物资源化", "能源低碳化"},
    }
    assert criteria == {(group, c) for group, names in expected.items() for c in names}


def test_points_are_allotted_60_40_within_each_group(guideline):
    # 基础设施: 60 % × 20 = 12 over 5 required items = 2.4 each; 8 over 5 optional = 1.6 each.
    points = {i.id: i.points for i in guideline.indicators}
    assert points["infra_building_required"] == 2.4
    assert points["infra_building_multistorey"] == 1.6
    # 绩效: 18 over 5 required = 3.6; 12 over 12 optional = 1 each; text items 0.
    assert points["perf_energy_required"] == 3.6
    assert points["perf_energy_per_output"] == 1.0
    assert points["perf_energy_limit_standard"] == 0
    for group in guideline.groups:
        members = guideline.group_indicators(group.id)
        assert sum(i.points for i in members) == pytest.approx(group.points)
        assert sum(i.points for i in members if i.required) == pytest.approx(group.points * 0.6)


def test_every_item_is_well_formed(guideline):
    for indicator in guideline.indicators:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", indicator.id)
        assert indicator.type in ("boolean", "number", "text")
        assert re.search(r"[\u4e00-\u9fff]", indicator.name)
        assert re.search(r"[\u4e00-\u9fff]", indicator.help)
        assert indicator.source and indicator.confidence in CONFIDENCES
        if indicator.type == "number":
            assert indicator.direction in ("higher", "lower")
            assert (indicator.leading > indicator.baseline) == (indicator.direction == "higher")
    for gate in (*guideline.basic_requirements, *guideline.vetoes):
        assert gate.source and gate.confidence in CONFIDENCES


def test_required_items_are_yes_no_and_quantitative_items_optional(guideline):
    required = [i for i in guideline.indicators if i.required]
    assert all(i.type == "boolean" for i in required)
    numbers = {i.id for i in guideline.indicators if i.type == "number"}
    assert {"perf_floor_area_ratio", "perf_building_density", "perf_output_per_land",
            "perf_wastewater_per_output", "perf_solid_waste_utilisation", "perf_wastewater_reuse",
            "perf_energy_per_output", "perf_carbon_per_output", "perf_renewable_share"} == numbers


def test_vetoes_are_the_six_of_article_15(guideline):
    assert len(guideline.vetoes) == 6
    assert all("工信部节〔2024〕13号 第十五条" in v.source for v in guideline.vetoes)
    assert all(v.question.startswith("近36个月内") for v in guideline.vetoes)


def test_to_dict_is_json_and_has_the_form_fields(guideline):
    data = json.loads(json.dumps(guideline.to_dict(), ensure_ascii=False))
    for key in ("key", "kind", "title", "version", "strategy", "default_pass_mark", "groups",
                "indicators", "basic_requirements", "vetoes", "energy_carriers"):
        assert key in data
    assert set(data["groups"][0]) >= {"id", "name", "points"}
    assert set(data["indicators"][0]) >= {"id", "group", "name", "unit", "type", "required",
                                          "help", "points"}
    assert {"id", "name", "question"} <= set(data["vetoes"][0])
    assert {"key": "electricity_kwh", "name": "电力（当量值）", "unit": "kWh"}.items() <= (
        data["energy_carriers"][0].items())


def test_the_file_parses_as_it_is(raw):
    assert parse(raw, expected_key=KEY).key == KEY


def _break(raw, change):
    broken = copy.deepcopy(raw)
    change(broken)
    return broken


def _indicator(raw, indicator_id):
    return next(i for i in raw["indicators"] if i["id"] == indicator_id)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["guideline"].update(strategy="guesswork"), "未知的评分方法"),
    (lambda d: d["guideline"].update(kind="city"), "kind"),
    (lambda d: d["guideline"].pop("default_pass_mark"), "default_pass_mark"),
    (lambda d: d.pop("scoring"), "required_share"),
    (lambda d: d["indicators"].append(dict(d["indicators"][0])), "编号重复"),
    (lambda d: d["groups"][0].update(confidence="probably"), "confidence"),
    (lambda d: d["groups"][0].update(points=0), "分值"),
    (lambda d: d["indicators"][0].update(group="nowhere"), "指标组"),
    (lambda d: d["indicators"][0].update(type="choice"), "type"),
    (lambda d: _indicator(d, "perf_floor_area_ratio").pop("baseline"), "baseline"),
    (lambda d: _indicator(d, "perf_floor_area_ratio").update(leading=Decimal("0.5")), "引领值"),
    (lambda d: _indicator(d, "perf_floor_area_ratio").update(derived_from="luck"), "derived_from"),
    (lambda d: _indicator(d, "infra_building_required").pop("source"), "source"),
])
def test_broken_files_are_refused(raw, change, message):
    with pytest.raises(GuidelineError, match=message):
        parse(_break(raw, change))


def test_file_name_must_match_key(raw):
    with pytest.raises(GuidelineError):
        parse(raw, expected_key="factory-other")


PACKAGED = [info.key for info in evaluators.available()]


def _raw(key):
    path = resources.files("evaluators.guidelines").joinpath(f"{key}.toml")
    with path.open("rb") as handle:
        return tomllib.load(handle, parse_float=Decimal)


def _tables_with_numbers(value, path="(file)"):
    """Every table that holds a number directly (a list of numbers counts)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _tables_with_numbers(item, f"{path}[{index}]")
        return
    if not isinstance(value, dict):
        return
    def numeric(v):
        return (isinstance(v, (int, Decimal)) and not isinstance(v, bool)) or (
            isinstance(v, list) and v and all(numeric(x) for x in v))
    if any(numeric(v) for v in value.values()):
        yield path, value
    for name, item in value.items():
        yield from _tables_with_numbers(item, f"{path}.{name}")


@pytest.mark.parametrize("key", PACKAGED)
def test_every_number_carries_its_source_and_confidence(key):
    for path, table in _tables_with_numbers(_raw(key)):
        assert table.get("source"), path
        assert table.get("confidence") in CONFIDENCES, path


@pytest.mark.parametrize("key", PACKAGED)
def test_each_packaged_guideline_is_whole(key):
    guideline = evaluators.load(key)
    assert guideline.kind in ("factory", "park", "supply_chain")
    for group in guideline.groups:
        members = guideline.group_indicators(group.id)
        assert sum(i.points for i in members) == pytest.approx(group.points)
    assert sum(g.points for g in guideline.groups) == 100
    assert len(guideline.vetoes) == 6
    assert all(v.window_months == 36 for v in guideline.vetoes)
    assert all("工信部节〔2024〕13号 第十五条" in v.source for v in guideline.vetoes)
    assert guideline.basic_requirements
    data = json.loads(json.dumps(guideline.to_dict(), ensure_ascii=False))
    for indicator in data["indicators"]:
        assert indicator["type"] in ("boolean", "number", "text")
        assert {"id", "group", "name", "unit", "type", "required", "help", "points"} <= set(
            indicator)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", indicator["id"])
    for gate in data["basic_requirements"]:
        assert {"id", "name", "help", "type"} <= set(gate)
    for veto in data["vetoes"]:
        assert {"id", "name", "question", "help"} <= set(veto)


@pytest.mark.parametrize("key", PACKAGED)
def test_unconfirmed_numbers_are_marked(key):
    # STANDARDS.md: the pass mark is a programme setting [U] everywhere.
    assert evaluators.load(key).parameter("default_pass_mark").confidence == "unconfirmed"


def _find(raw, indicator_id):
    return next(i for i in raw["indicators"] if i["id"] == indicator_id)


@pytest.mark.parametrize(("key", "change", "field", "message"), [
    ("factory-gbt36132-2025", lambda d: _find(d, "renewable_share")["bands"][1].pop("below"),
     "bands", "首尾相接"),
    ("factory-gbt36132-2025", lambda d: _find(d, "renewable_share")["bands"][0].update(
        leading=Decimal("0.5")), "leading", "引领值应在基准值的上方"),
    ("factory-gbt36132-2025", lambda d: _find(d, "renewable_share").update(band_by="luck"),
     "band_by", "不是可计算的数值"),
    ("factory-gbt36132-2025", lambda d: _find(d, "water_reuse").pop("baseline"), "baseline",
     "缺少基准值"),
    ("factory-gbt36132-2025", lambda d: _find(d, "water_reuse").pop("points"), "points",
     "缺少字段 points"),
    ("park-miit-2016", lambda d: _find(d, "standards_system").update(option_shares=[1, 0.5]),
     "option_shares", "一一对应"),
    ("park-miit-2016", lambda d: _find(d, "energy_productivity").update(leading=0), "leading",
     "大于 0"),
    ("park-miit-2016", lambda d: d.pop("scoring"), "years_required", "需要参数"),
    ("park-miit-2016", lambda d: d["basic_requirements"][3].pop("at_least"), "at_least",
     "缺少数值字段 at_least"),
    ("supply-chain-miit-2016", lambda d: d["vetoes"][0].pop("window_months"), "window_months",
     "正整数"),
    ("factory-gbt36132-2018", lambda d: d["indicators"][0].update(points=3), "points",
     "请用 weight"),
])
def test_broken_new_fields_are_refused_by_field(key, change, field, message):
    broken = _raw(key)
    change(broken)
    with pytest.raises(GuidelineError, match=message) as caught:
        parse(broken)
    assert caught.value.field == field
