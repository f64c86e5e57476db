"""The trace is the product: every indicator, gate, group and calculator step explains itself,
and the same application evaluated again gives the same trace."""
import copy
import json
import re

import pytest

import evaluators
from evaluators import evaluate, load, strategies
from evaluators.examples import QUALITIES, example_document, example_evidence

KEYS = [info.key for info in evaluators.available()]
AS_OF = "2026-03-31"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _json(result):
    return json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False, sort_keys=True)


def _reversed(value):
    if isinstance(value, dict):
        return {k: _reversed(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("quality", QUALITIES)
def test_re_evaluating_gives_the_same_result(key, quality):
    document = example_document(key, quality)
    evidence = example_evidence(key)
    first = _json(evaluate(key, document, evidence, 80, as_of=AS_OF))
    assert _json(evaluate(key, copy.deepcopy(document), evidence, 80, as_of=AS_OF)) == first
    # the order keys arrive in does not matter
    assert _json(evaluate(key, _reversed(document), _reversed(evidence), 80, as_of=AS_OF)) == first


@pytest.mark.parametrize("key", KEYS)
def test_the_result_records_the_guideline_version_it_used(key):
    guideline = load(key)
    result = evaluate(key, example_document(key, "pass"), as_of=AS_OF)
    assert (result.guideline_key, result.guideline_version, result.strategy) == (
        key, guideline.version, guideline.strategy)
    assert result.guideline_digest == guideline.digest and len(guideline.digest) == 64
    assert strategies.get(result.strategy) is not None


def test_the_registry_holds_the_four_strategies():
    assert strategies.names() == ("additive_points", "baseline_leading",
                                  "ratio_to_leading_by_year", "weighted_required_optional")
    assert all(CHINESE.search(strategies.get(name).title) for name in strategies.names())


@pytest.mark.parametrize("key", KEYS)
def test_every_part_of_the_trace_explains_itself(key):
    guideline = load(key)
    result = evaluate(key, example_document(key, "pass"), example_evidence(key), as_of=AS_OF)
    data = json.loads(_json(result))
    for indicator in data["indicators"]:
        assert set(indicator) >= {"id", "value", "unit", "rule", "points", "max_points",
                                  "evidence", "why"}
        assert CHINESE.search(indicator["rule"]) and CHINESE.search(indicator["why"])
        assert 0 <= indicator["points"] <= indicator["max_points"]
    for gate in data["basic_requirements"] + data["vetoes"]:
        assert gate["verdict"] in ("pass", "fail", "missing") and CHINESE.search(gate["why"])
    assert [g["id"] for g in data["groups"]] == [g.id for g in guideline.groups]
    rounding = 0.005 * len(data["groups"])
    assert sum(g["points"] for g in data["groups"]) == pytest.approx(data["total"], abs=rounding)
    for step in data["calculations"]:
        assert CHINESE.search(step["name"])
        if step["factor"] is not None:
            assert step["factor_source"] and step["factor_confidence"] and step["factor_unit"]
    years = guideline.to_dict()["years_required"]
    assert len(data["years"]) == (years if years > 1 else 0)
    if years > 1:
        assert all(len(i["years"]) == years for i in data["indicators"])
        mean = sum(y["total"] for y in data["years"]) / years
        assert data["total"] == pytest.approx(mean, abs=0.01)


def test_what_is_missing_is_listed():
    key = "factory-gbt36132-2025"
    document = example_document(key, "pass")
    document["indicators"]["advanced_equipment"] = ""
    document["basic"].pop("basic_lawful")
    result = evaluate(key, document, as_of=AS_OF)
    assert result.missing == ("advanced_equipment",)
    assert "基本要求未作答：依法设立，建设和生产过程遵守法律法规、政策和标准" in result.reasons
