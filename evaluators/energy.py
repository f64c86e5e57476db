"""Comprehensive energy consumption (综合能耗) in standard coal, GB/T 2589.

Each energy carrier's amount times its coefficient from ``reference/standard-coal-gbt2589.toml``
(electricity at the 当量值 0.1229 kgce/kWh, STANDARDS.md §7); every product is one trace step.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from evaluators.messages import Joined, message
from evaluators.reference import number, read_table
from evaluators.trace import CalculationStep
from evaluators.values import as_float, decimal_text, read_number

_TABLE = "standard-coal-gbt2589"
_KGCE_PER_TCE = Decimal(1000)  # unit conversion: 1 tce = 1000 kgce
PLACES = 4  # decimals kept in step results


@dataclass(frozen=True)
class Carrier:
    """An energy carrier (能源品种) and its standard-coal coefficient."""

    key: str
    name: str
    unit: str
    kgce_per_unit: Decimal
    co2: str  # "grid" (electricity factor) or "fuel" (fuel factor)
    help: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Amount:
    carrier: Carrier
    amount: Decimal


@dataclass(frozen=True)
class StandardCoal:
    amounts: tuple[Amount, ...]
    total_kgce: Decimal
    steps: tuple[CalculationStep, ...]
    notes: tuple[str, ...]

    @property
    def total_tce(self) -> Decimal:
        return self.total_kgce / _KGCE_PER_TCE


@lru_cache(maxsize=1)
def carriers() -> tuple[Carrier, ...]:
    return tuple(
        Carrier(
            key=row["key"],
            name=row["name"],
            unit=row["unit"],
            kgce_per_unit=number(row["kgce_per_unit"]),
            co2=row["co2"],
            help=row["help"],
            source=row["source"],
            confidence=row["confidence"],
        )
        for row in read_table(_TABLE)["carriers"]
    )


def carrier(key: str) -> Carrier | None:
    return next((c for c in carriers() if c.key == key), None)


def read_amounts(energy: Any) -> tuple[tuple[Amount, ...], tuple[str, ...]]:
    """Known carriers with a readable, non-negative amount, in table order; notes on the rest."""
    if not isinstance(energy, Mapping):
        return (), (message("能源消费数据格式无法识别，未计算综合能耗。"),) if energy not in (None, "") else ()
    amounts, notes = [], []
    known = {c.key for c in carriers()}
    for item in carriers():
        reading = read_number(energy.get(item.key))
        if reading.status == "missing":
            continue
        if reading.status == "invalid" or reading.value < 0:
            notes.append(message("%(carrier)s消费量“%(entered)s”无法识别，未计入。", carrier=item.name,
                                 entered=str(reading.shown)))
            continue
        amounts.append(Amount(item, reading.value))
    unknown = sorted(str(k) for k in energy if k not in known)
    if unknown:
        notes.append(message("能源品种 %(carriers)s 不在折标系数表中，未计入。", carriers=Joined(tuple(unknown))))
    return tuple(amounts), tuple(notes)


def standard_coal(energy: Any) -> StandardCoal:
    """Standard coal of the energy data (``{carrier key: amount in the carrier's unit}``)."""
    amounts, notes = read_amounts(energy)
    steps = []
    total = Decimal(0)
    for entry in amounts:
        kgce = entry.amount * entry.carrier.kgce_per_unit
        total += kgce
        steps.append(
            CalculationStep(
                key=f"energy.{entry.carrier.key}",
                name=message("%(carrier)s折标准煤", carrier=entry.carrier.name),
                inputs=(("消费量", as_float(entry.amount, PLACES)), ("单位", entry.carrier.unit)),
                factor=float(entry.carrier.kgce_per_unit),
                factor_unit=f"kgce/{entry.carrier.unit}",
                factor_source=entry.carrier.source,
                factor_confidence=entry.carrier.confidence,
                result=as_float(kgce, PLACES),
                unit="kgce",
            )
        )
    if amounts:
        steps.append(
            CalculationStep(
                key="energy.total_kgce",
                name=message("综合能耗（各能源品种折标准煤之和）"),
                inputs=tuple((s.name, s.result) for s in steps),
                factor=None,
                factor_unit=None,
                factor_source=None,
                factor_confidence=None,
                result=as_float(total, PLACES),
                unit="kgce",
            )
        )
        steps.append(
            CalculationStep(
                key="energy.total_tce",
                name=message("综合能耗（吨标准煤）"),
                inputs=(("综合能耗（kgce）", as_float(total, PLACES)),),
                factor=None,
                factor_unit=None,
                factor_source=f"1 tce = {decimal_text(_KGCE_PER_TCE)} kgce",
                factor_confidence=None,
                result=as_float(total / _KGCE_PER_TCE, PLACES),
                unit="tce",
            )
        )
    return StandardCoal(amounts, total, tuple(steps), notes)
