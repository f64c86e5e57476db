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


def test_available_lists_the_factory_guideline():
    assert GuidelineInfo(KEY, "factory", "绿色工厂评价通则（GB/T 36132-2018）", "2018") in (
        evaluators.available())


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
