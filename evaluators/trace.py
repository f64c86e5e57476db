"""The explanation trace (评价说明): what an evaluation returns and shows to an energy manager.

Every result is a frozen dataclass with ``to_dict()`` giving plain JSON types; the same input
always gives the same trace.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["pass", "fail", "missing"]
Scalar = bool | int | float | str | None


@dataclass(frozen=True)
class CalculationStep:
    """One step of a calculator: ``result = f(inputs, factor)``, with the factor's source."""

    key: str
    name: str
    inputs: tuple[tuple[str, Scalar], ...]
    factor: float | None
    factor_unit: str | None
    factor_source: str | None
    factor_confidence: str | None
    result: float
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "inputs": dict(self.inputs),
            "factor": self.factor,
            "factor_unit": self.factor_unit,
            "factor_source": self.factor_source,
            "factor_confidence": self.factor_confidence,
            "result": self.result,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    group: str
    name: str
    type: str
    required: bool
    value: Scalar
    unit: str
    rule: str
    points: float
    max_points: float
    evidence: tuple[str, ...]
    why: str
    calculated: bool = False  # value taken from the calculators because the applicant left it blank

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "value": self.value,
            "unit": self.unit,
            "rule": self.rule,
            "points": self.points,
            "max_points": self.max_points,
            "evidence": list(self.evidence),
            "why": self.why,
            "calculated": self.calculated,
        }


@dataclass(frozen=True)
class GateResult:
    """A basic requirement (基本要求) or a veto declaration (否决项) and its verdict."""

    id: str
    name: str
    verdict: Verdict
    value: Scalar
    evidence: tuple[str, ...]
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "verdict": self.verdict,
            "value": self.value,
            "evidence": list(self.evidence),
            "why": self.why,
        }


@dataclass(frozen=True)
class GroupResult:
    id: str
    name: str
    points_max: float
    points: float
    share: float  # earned share of the group, 0–1

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "points_max": self.points_max,
            "points": self.points,
            "share": self.share,
        }


@dataclass(frozen=True)
class Evaluation:
    """The outcome of :func:`evaluators.evaluate`.

    ``eligible`` is False when a basic requirement or veto fails or is unanswered, or a
    required (必选) item is unmet or blank; ``reasons`` says which. ``passed`` compares the
    total with the programme's pass mark and is None when no pass mark was given.
    """

    guideline_key: str
    guideline_version: str
    eligible: bool
    reasons: tuple[str, ...]
    total: float
    pass_mark: float | None
    passed: bool | None
    groups: tuple[GroupResult, ...]
    indicators: tuple[IndicatorResult, ...]
    basic_requirements: tuple[GateResult, ...]
    vetoes: tuple[GateResult, ...]
    missing: tuple[str, ...]
    calculations: tuple[CalculationStep, ...]
    figures: tuple[tuple[str, float], ...]  # headline results of the calculators, by key
    notes: tuple[str, ...]

    def figure(self, key: str) -> float | None:
        return dict(self.figures).get(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "guideline_key": self.guideline_key,
            "guideline_version": self.guideline_version,
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "total": self.total,
            "pass_mark": self.pass_mark,
            "passed": self.passed,
            "groups": [group.to_dict() for group in self.groups],
            "indicators": [indicator.to_dict() for indicator in self.indicators],
            "basic_requirements": [gate.to_dict() for gate in self.basic_requirements],
            "vetoes": [gate.to_dict() for gate in self.vetoes],
            "missing": list(self.missing),
            "calculations": [step.to_dict() for step in self.calculations],
            "figures": dict(self.figures),
            "notes": list(self.notes),
        }
