"""example_document(): demo data others build on."""
import json

import pytest

from evaluators import evaluate, load
from evaluators.examples import QUALITIES, example_document, example_evidence

KEY = "factory-gbt36132-2018"


@pytest.mark.parametrize(("quality", "low", "high"), [
    ("full", 100, 100),
    ("pass", 80, 90),
    ("fail", 55, 70),
])
def test_quality_levels(quality, low, high):
    result = evaluate(KEY, example_document(KEY, quality), pass_mark=load(KEY).default_pass_mark)
    assert result.eligible, result.reasons
    assert low <= result.total <= high
    assert result.passed is (quality != "fail")


@pytest.mark.parametrize("quality", QUALITIES)
def test_documents_are_json(quality):
    document = example_document(KEY, quality)
    assert json.loads(json.dumps(document)) == document
    assert set(document["indicators"]) == {i.id for i in load(KEY).indicators}


def test_evidence_covers_every_item():
    evidence = example_evidence(KEY)
    guideline = load(KEY)
    assert {r.id for r in guideline.basic_requirements} <= set(evidence)
    assert {v.id for v in guideline.vetoes} <= set(evidence)


def test_unknown_quality():
    with pytest.raises(ValueError):
        example_document(KEY, "excellent")
