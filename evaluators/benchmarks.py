"""Each product's position against the energy-efficiency benchmark (标杆) and baseline (基准)
levels of 发改产业〔2023〕723号 (``reference/energy-efficiency-benchmarks-2023.toml``).

At or below the benchmark: 标杆水平; at or below the baseline: between the two; above the
baseline: the capacity must be upgraded or exit by the table's date (STANDARDS.md §7 [C]).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from evaluators.energy import PLACES
from evaluators.messages import message
from evaluators.reference import number, read_table
from evaluators.trace import BenchmarkResult, CalculationStep
from evaluators.values import as_float, decimal_text, read_number

_TABLE = "energy-efficiency-benchmarks-2023"
_PRODUCT_LIMIT = 50  # products read from one document
POSITIONS = {"benchmark": "达到标杆水平", "between": "介于标杆水平与基准水平之间",
             "below_baseline": "未达到基准水平"}


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    aliases: tuple[str, ...]
    unit: str
    benchmark: Decimal
    baseline: Decimal
    exit_by: str
    source: str
    confidence: str


@lru_cache(maxsize=1)
def levels() -> tuple[Level, ...]:
    return tuple(
        Level(
            key=row["key"],
            name=row["name"],
            aliases=tuple(row.get("aliases", ())),
            unit=row["unit"],
            benchmark=number(row["benchmark"]),
            baseline=number(row["baseline"]),
            exit_by=row["exit_by"].isoformat(),
            source=row["source"],
            confidence=row["confidence"],
        )
        for row in read_table(_TABLE)["products"]
    )


def level(product: Any) -> Level | None:
    """The levels of a product named by its key, its name or an alias."""
    if not isinstance(product, str):
        return None
    name = product.strip()
    return next((lv for lv in levels() if name in (lv.key, lv.name, *lv.aliases)), None)


def positions(products: Any) -> tuple[tuple[CalculationStep, ...], tuple[BenchmarkResult, ...],
                                      tuple[str, ...]]:
    """Steps, results and notes for the products in ``output.products`` that name a product."""
    if not isinstance(products, list):
        return (), (), ()
    steps, results, notes = [], [], []
    for entry in products[:_PRODUCT_LIMIT]:
        if not isinstance(entry, Mapping) or entry.get("product") in (None, ""):
            continue
        found = level(entry.get("product"))
        if found is None:
            notes.append(message("产品“%(product)s”不在能效标杆水平和基准水平表中，未对标。",
                                 product=str(entry.get("product"))))
            continue
        reading = read_number(entry.get("energy_per_unit"))
        if reading.status != "given" or reading.value < 0:
            notes.append(message("%(product)s未填写可识别的单位产品综合能耗（%(unit)s），未对标。",
                                 product=found.name, unit=found.unit))
            continue
        result = _position(found, reading.value)
        results.append(result)
        steps.append(CalculationStep(
            key=f"benchmark.{found.key}",
            name=message("%(product)s能效水平：%(position)s", product=found.name,
                         position=message(POSITIONS[result.position])),
            inputs=((f"单位产品综合能耗（{found.unit}）", result.value),
                    (f"标杆水平（{found.unit}）", result.benchmark),
                    (f"基准水平（{found.unit}）", result.baseline)),
            factor=None,
            factor_unit=None,
            factor_source=found.source,
            factor_confidence=found.confidence,
            result=result.value,
            unit=found.unit,
        ))
    return tuple(steps), tuple(results), tuple(notes)


def _position(found: Level, value: Decimal) -> BenchmarkResult:
    shown = f"{decimal_text(value, PLACES)} {found.unit}"
    benchmark = f"{decimal_text(found.benchmark)} {found.unit}"
    baseline = f"{decimal_text(found.baseline)} {found.unit}"
    if value <= found.benchmark:
        position = "benchmark"
        why = f"{found.name}单位产品综合能耗 {shown}，不高于标杆水平 {benchmark}，达到标杆水平。"
    elif value <= found.baseline:
        position = "between"
        why = (f"{found.name}单位产品综合能耗 {shown}，介于标杆水平 {benchmark} 与基准水平 "
               f"{baseline} 之间。")
    else:
        position = "below_baseline"
        why = (f"{found.name}单位产品综合能耗 {shown}，高于基准水平 {baseline}，未达到基准水平；"
               f"按发改产业〔2023〕723号，须于 {found.exit_by} 前完成改造升级或淘汰退出。")
    return BenchmarkResult(
        product=found.key,
        name=found.name,
        value=as_float(value, PLACES),
        unit=found.unit,
        benchmark=float(found.benchmark),
        baseline=float(found.baseline),
        position=position,
        why=why,
        source=found.source,
        confidence=found.confidence,
    )
