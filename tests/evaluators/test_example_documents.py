"""example_document(): demo data others build on, for every guideline."""
import json

import pytest

import evaluators
from evaluators import evaluate, load
from evaluators.examples import QUALITIES, example_document, example_evidence

KEYS = [info.key for info in evaluators.available()]
AS_OF = "2026-03-31"


def test_every_packaged_guideline_is_covered():
    assert set(KEYS) >= {"factory-gbt36132-2018", "factory-gbt36132-2025", "park-miit-2016",
                         "supply-chain-miit-2016"}


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(("quality", "low", "high"), [
    ("full", 100, 100),
    ("pass", 80, 90),
    ("fail", 0, 79.99),
])
def test_quality_levels(key, quality, low, high):
    guideline = load(key)
    result = evaluate(key, example_document(key, quality), example_evidence(key),
                      pass_mark=guideline.default_pass_mark, as_of=AS_OF)
    assert result.eligible, result.reasons
    assert low <= result.total <= high
    assert result.passed is (quality != "fail")


def test_the_2018_factory_keeps_its_levels():
    # Other tests rely on these: pass ≈ 85 and fail between 55 and 70.
    key = "factory-gbt36132-2018"
    totals = [evaluate(key, example_document(key, q), as_of=AS_OF).total for q in QUALITIES]
    assert totals[0] == 100 and 80 <= totals[1] <= 90 and 55 <= totals[2] <= 70


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("quality", QUALITIES)
def test_documents_are_json(key, quality):
    document = example_document(key, quality)
    assert json.loads(json.dumps(document)) == document
    assert set(document["indicators"]) == {i.id for i in load(key).indicators}
    allowed = {"year", "region", "indicators", "basic", "vetoes", "energy", "renewables",
               "output", "years"}
    assert set(document) <= allowed


def test_a_park_document_carries_three_years():
    document = example_document("park-miit-2016", "pass")
    assert [entry["year"] for entry in document["years"]] == [2022, 2023]
    assert document["year"] == 2024 and "energy" not in document


@pytest.mark.parametrize("key", KEYS)
def test_evidence_covers_every_item(key):
    evidence = example_evidence(key)
    guideline = load(key)
    assert {r.id for r in guideline.basic_requirements} <= set(evidence)
    assert {v.id for v in guideline.vetoes} <= set(evidence)


def test_unknown_quality():
    with pytest.raises(ValueError):
        example_document("factory-gbt36132-2018", "excellent")
