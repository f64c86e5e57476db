"""What every scoring strategy takes and gives, and the registry they are found in."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from evaluators.trace import GroupResult, IndicatorResult, YearScore
from evaluators.values import Answer

if TYPE_CHECKING:
    from evaluators.guidelines.definition import Group, Guideline, Indicator, Parameter
    from evaluators.guidelines.locations import Place


@dataclass(frozen=True)
class ProductLimit:
    """A product's unit energy use with the grades of its mandatory limit standard (能耗限额)."""

    name: str
    unit: str
    value: Decimal
    grade_1: Decimal  # the standard's grade 1: the leading value
    grade_2: Decimal  # grade 2: the baseline
    energy_tce: Decimal | None  # the product's energy use, its weight among several
    calculated: bool = False  # unit energy use taken from the calculators


@dataclass(frozen=True)
class YearInputs:
    """One data year of an application: its answers, the calculators' figures and the
    products that have a mandatory energy-limit standard."""

    year: int | None
    answers: Mapping[str, Answer]
    figures: Mapping[str, Decimal]
    products: tuple[ProductLimit, ...] = ()


@dataclass(frozen=True)
class Inputs:
    """Every data year given, ascending; the document's own year is the last."""

    years: tuple[YearInputs, ...]

    @property
    def current(self) -> YearInputs:
        return self.years[-1]


@dataclass(frozen=True)
class Scoresheet:
    indicators: tuple[IndicatorResult, ...]
    groups: tuple[GroupResult, ...]
    total: Decimal
    reasons: tuple[str, ...]  # why the scored part makes the application ineligible, in Chinese
    missing: tuple[str, ...]  # ids of required items left blank
    years: tuple[YearScore, ...] = ()
    notes: tuple[str, ...] = ()


class Strategy(Protocol):
    name: str
    title: str  # the method's Chinese name, shown in the trace

    def years_required(self, guideline: Guideline) -> int: ...

    def allocate(self, groups: Sequence[Group], indicators: Sequence[Indicator],
                 parameters: Mapping[str, Parameter], place: Place) -> dict[str, Decimal]:
        """Each indicator's points; GuidelineError (located) when the file does not suit."""

    def score(self, guideline: Guideline, inputs: Inputs) -> Scoresheet: ...


_REGISTRY: dict[str, Strategy] = {}


def register(strategy: Strategy) -> Strategy:
    _REGISTRY[strategy.name] = strategy
    return strategy


def get(name: str) -> Strategy | None:
    return _REGISTRY.get(name)


def names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))
