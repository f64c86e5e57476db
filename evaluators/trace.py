"""The explanation trace (评价说明): what an evaluation returns and shows to an energy manager.

Every result is a frozen dataclass with ``to_dict()`` giving plain JSON types; the same input
(and the same evaluation date) always gives the same trace. The explanations (``why``, ``rule``,
``reasons``, ``notes``) are Chinese text; each goes with its messages (``why_messages`` ...,
see ``evaluators.messages``) so that a page can show it in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from evaluators.messages import encode, encode_all

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
            "name_messages": encode(self.name),
            "inputs": dict(self.inputs),
            "factor": self.factor,
            "factor_unit": self.factor_unit,
            "factor_source": self.factor_source,
            "factor_confidence": self.factor_confidence,
            "result": self.result,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class YearValue:
    """One year's value and points of an indicator (parks report three years)."""

    year: int | None
    value: Scalar
    points: float
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "value": self.value, "points": self.points, "why": self.why,
                "why_messages": encode(self.why)}


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
    years: tuple[YearValue, ...] = ()  # per-year values and points, for multi-year guidelines

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
            "rule_messages": encode(self.rule),
            "points": self.points,
            "max_points": self.max_points,
            "evidence": list(self.evidence),
            "why": self.why,
            "why_messages": encode(self.why),
            "calculated": self.calculated,
            "years": [year.to_dict() for year in self.years],
        }


@dataclass(frozen=True)
class EventResult:
    """A dated veto event the applicant listed, and whether it falls in the veto's window."""

    veto: str
    date: str
    description: str
    within_window: bool

    def to_dict(self) -> dict[str, Any]:
        return {"veto": self.veto, "date": self.date, "description": self.description,
                "within_window": self.within_window}


@dataclass(frozen=True)
class GateResult:
    """A basic requirement (基本要求) or a veto declaration (否决项) and its verdict.

    ``basis`` says what the verdict rests on (the declaration, a value, dated events), in
    Chinese; ``evidence`` the files uploaded for it.
    """

    id: str
    name: str
    verdict: Verdict
    value: Scalar
    evidence: tuple[str, ...]
    why: str
    basis: str = ""
    events: tuple[EventResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "verdict": self.verdict,
            "value": self.value,
            "evidence": list(self.evidence),
            "why": self.why,
            "why_messages": encode(self.why),
            "basis": self.basis,
            "events": [event.to_dict() for event in self.events],
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
class YearScore:
    """The score of one data year (a park's green index for that year)."""

    year: int | None
    provided: bool
    total: float
    groups: tuple[GroupResult, ...]
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "provided": self.provided,
            "total": self.total,
            "groups": [group.to_dict() for group in self.groups],
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class BenchmarkResult:
    """A product's unit energy use against the benchmark (标杆) and baseline (基准) levels."""

    product: str
    name: str
    value: float
    unit: str
    benchmark: float
    baseline: float
    position: Literal["benchmark", "between", "below_baseline"]
    why: str
    source: str
    confidence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "benchmark": self.benchmark,
            "baseline": self.baseline,
            "position": self.position,
            "why": self.why,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Evaluation:
    """The outcome of :func:`evaluators.evaluate`.

    ``eligible`` is False when a basic requirement or veto fails or is unanswered, or a
    required item is unmet or blank (what "required" demands depends on the strategy);
    ``reasons`` says which. ``passed`` compares the total with the programme's pass mark and
    is None when no pass mark was given. ``years`` holds one score per data year for
    multi-year guidelines (parks); ``total`` is then the final score.
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
    figures: tuple[tuple[str, float | str], ...]  # headline results of the calculators, by key
    notes: tuple[str, ...]
    strategy: str = ""
    as_of: str = ""  # the evaluation date (ISO), from which veto windows are counted
    guideline_digest: str = ""
    years: tuple[YearScore, ...] = ()
    benchmarks: tuple[BenchmarkResult, ...] = ()

    def figure(self, key: str) -> float | str | None:
        return dict(self.figures).get(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "guideline_key": self.guideline_key,
            "guideline_version": self.guideline_version,
            "guideline_digest": self.guideline_digest,
            "strategy": self.strategy,
            "as_of": self.as_of,
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "reasons_messages": encode_all(self.reasons),
            "total": self.total,
            "pass_mark": self.pass_mark,
            "passed": self.passed,
            "groups": [group.to_dict() for group in self.groups],
            "years": [year.to_dict() for year in self.years],
            "indicators": [indicator.to_dict() for indicator in self.indicators],
            "basic_requirements": [gate.to_dict() for gate in self.basic_requirements],
            "vetoes": [gate.to_dict() for gate in self.vetoes],
            "missing": list(self.missing),
            "calculations": [step.to_dict() for step in self.calculations],
            "figures": dict(self.figures),
            "benchmarks": [benchmark.to_dict() for benchmark in self.benchmarks],
            "notes": list(self.notes),
            "notes_messages": encode_all(self.notes),
        }
