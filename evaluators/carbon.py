"""Energy-related CO2 emissions (二氧化碳排放量) of a factory.

Fossil fuels and purchased heat times their factors (``reference/fuel-co2.toml``), plus purchased
grid electricity times the grid factor of the data year and region (``reference/grid-co2.toml``).
Own renewable generation consumed on site and purchased green power are zero-carbon: both are
subtracted from the electricity total in steps of their own, so the energy manager sees them
(DB33/T 1347-2023 deducts own zero-carbon power, STANDARDS.md §7).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from evaluators.energy import PLACES, Amount
from evaluators.messages import message
from evaluators.reference import number, read_table
from evaluators.trace import CalculationStep
from evaluators.values import as_float, decimal_text, read_number

_GRID_TABLE = "grid-co2"
_FUEL_TABLE = "fuel-co2"
_KG_PER_T = Decimal(1000)  # unit conversion: 1 t = 1000 kg
NATIONAL = "national"


@dataclass(frozen=True)
class GridFactor:
    year: int
    region: str  # a province code, a regional grid id, or "national"
    name: str
    kgco2_per_kwh: Decimal
    basis: str
    source: str
    confidence: str


@dataclass(frozen=True)
class GridChoice:
    factor: GridFactor
    why: str  # how the factor was chosen, in Chinese


@dataclass(frozen=True)
class FuelFactor:
    carrier: str
    name: str
    kgco2_per_unit: Decimal
    stated: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Renewables:
    """Zero-carbon electricity, kWh, as applied (never more than the electricity consumed)."""

    own_generation_kwh: Decimal
    green_power_purchased_kwh: Decimal


@dataclass(frozen=True)
class Emissions:
    total_kg: Decimal
    electricity_kg: Decimal
    fuel_kg: Decimal
    renewables: Renewables
    steps: tuple[CalculationStep, ...]
    notes: tuple[str, ...]

    @property
    def total_t(self) -> Decimal:
        return self.total_kg / _KG_PER_T


@lru_cache(maxsize=1)
def grid_factors() -> tuple[GridFactor, ...]:
    return tuple(
        GridFactor(
            year=row["year"],
            region=row["region"],
            name=row["name"],
            kgco2_per_kwh=number(row["kgco2_per_kwh"]),
            basis=row["basis"],
            source=row["source"],
            confidence=row["confidence"],
        )
        for row in read_table(_GRID_TABLE)["factors"]
    )


@lru_cache(maxsize=1)
def fuel_factors() -> dict[str, FuelFactor]:
    return {
        row["carrier"]: FuelFactor(
            carrier=row["carrier"],
            name=row["name"],
            kgco2_per_unit=number(row["kgco2_per_unit"]),
            stated=row["stated"],
            source=row["source"],
            confidence=row["confidence"],
        )
        for row in read_table(_FUEL_TABLE)["factors"]
    }


def _grids_of(province: str) -> list[str]:
    return [g["id"] for g in read_table(_GRID_TABLE).get("grids", ()) if province in g["provinces"]]


def grid_factor(year: int | None, region: str | None) -> GridChoice:
    """The grid factor for the data year and a GB/T 2260 region code.

    Same year: the province's own factor, else its regional grid's, else the national one.
    Otherwise the national factor of the latest year not after the data year; if the data year
    precedes every published factor, the earliest national factor.
    """
    national = sorted((f for f in grid_factors() if f.region == NATIONAL), key=lambda f: f.year)
    if year is None:
        factor = national[-1]
        return GridChoice(factor, f"未填写数据年份，采用最新的{factor.year}年全国因子。")
    candidates = []
    if region is not None:
        province = region[:2] + "0000"
        candidates = [province, *_grids_of(province)]
    for place in [*candidates, NATIONAL]:
        for factor in grid_factors():
            if factor.year == year and factor.region == place:
                return GridChoice(factor, f"采用{year}年{factor.name}因子。")
    earlier = [f for f in national if f.year <= year]
    if earlier:
        factor = earlier[-1]
        return GridChoice(
            factor,
            f"{year}年尚无该地区或全国的电力排放因子，采用不晚于数据年份的最近年度"
            f"（{factor.year}年）全国因子。",
        )
    factor = national[0]
    return GridChoice(factor, f"数据年份{year}早于已发布的因子，采用最早的{factor.year}年全国因子。")


def read_renewables(
    renewables: Any, electricity_kwh: Decimal
) -> tuple[Renewables, tuple[str, ...]]:
    """Own generation and green power, each read, non-negative, and capped at consumption."""
    notes = []
    section = renewables if isinstance(renewables, Mapping) else {}
    if renewables not in (None, "") and not isinstance(renewables, Mapping):
        notes.append(message("可再生能源数据格式无法识别，按 0 计。"))
    values = []
    for key, name in (("own_generation_kwh", "自发自用可再生能源电量"),
                      ("green_power_purchased_kwh", "外购绿色电力")):
        reading = read_number(section.get(key))
        if reading.status == "invalid" or (reading.status == "given" and reading.value < 0):
            notes.append(message("%(figure)s“%(entered)s”无法识别，按 0 计。", figure=message(name),
                                 entered=str(reading.shown)))
            values.append(Decimal(0))
        else:
            values.append(reading.value if reading.status == "given" else Decimal(0))
    own, green = values
    if own > electricity_kwh:
        notes.append(message("自发自用可再生能源电量超过用电总量，按用电总量计。"))
        own = electricity_kwh
    if green > electricity_kwh - own:
        notes.append(message("外购绿色电力超过扣除自发自用电量后的外购电量，按外购电量计。"))
        green = electricity_kwh - own
    return Renewables(own, green), tuple(notes)


def emissions(
    amounts: tuple[Amount, ...], renewables: Any, year: int | None, region: str | None
) -> Emissions:
    """CO2 of the energy amounts (from :func:`evaluators.energy.read_amounts`)."""
    steps: list[CalculationStep] = []
    notes: list[str] = []
    electricity = sum((a.amount for a in amounts if a.carrier.co2 == "grid"), Decimal(0))
    applied, renewable_notes = read_renewables(renewables, electricity)
    notes += renewable_notes

    electricity_kg = Decimal(0)
    if any(a.carrier.co2 == "grid" for a in amounts):
        grid_kwh = electricity - applied.own_generation_kwh
        emitting_kwh = grid_kwh - applied.green_power_purchased_kwh
        choice = grid_factor(year, region)
        factor = choice.factor
        electricity_kg = emitting_kwh * factor.kgco2_per_kwh
        steps += [
            _step("carbon.grid_kwh", "扣除自发自用可再生能源电量（零碳电力）",
                  (("用电总量（kWh）", electricity), ("自发自用可再生能源电量（kWh）", applied.own_generation_kwh)),
                  grid_kwh, "kWh"),
            _step("carbon.emitting_kwh", "扣除外购绿色电力（零碳电力）",
                  (("外购电网电量（kWh）", grid_kwh), ("外购绿色电力（kWh）", applied.green_power_purchased_kwh)),
                  emitting_kwh, "kWh"),
            CalculationStep(
                key="carbon.electricity",
                name=message("外购电网电力二氧化碳排放"),
                inputs=(("计排放的外购电量（kWh）", as_float(emitting_kwh, PLACES)),
                        ("数据年份", year), ("地区", region)),
                factor=float(factor.kgco2_per_kwh),
                factor_unit="kgCO2/kWh",
                factor_source=(f"{factor.source}（{factor.year}年{factor.name}，{factor.basis}）。"
                               f"{choice.why}"),
                factor_confidence=factor.confidence,
                result=as_float(electricity_kg, PLACES),
                unit="kgCO2",
            ),
        ]

    fuel_kg = Decimal(0)
    for entry in amounts:
        if entry.carrier.co2 != "fuel":
            continue
        fuel = fuel_factors().get(entry.carrier.key)
        if fuel is None:
            notes.append(message("%(carrier)s没有二氧化碳排放因子，未计入排放。", carrier=entry.carrier.name))
            continue
        kg = entry.amount * fuel.kgco2_per_unit
        fuel_kg += kg
        steps.append(
            CalculationStep(
                key=f"carbon.{entry.carrier.key}",
                name=message("%(carrier)s二氧化碳排放", carrier=entry.carrier.name),
                inputs=(("消费量", as_float(entry.amount, PLACES)), ("单位", entry.carrier.unit)),
                factor=float(fuel.kgco2_per_unit),
                factor_unit=f"kgCO2/{entry.carrier.unit}",
                factor_source=f"{fuel.source}（{fuel.stated}）",
                factor_confidence=fuel.confidence,
                result=as_float(kg, PLACES),
                unit="kgCO2",
            )
        )

    total = electricity_kg + fuel_kg
    if amounts:
        steps.append(_step("carbon.total_kg", "二氧化碳排放总量",
                           (("外购电力排放（kgCO2）", electricity_kg), ("燃料及热力排放（kgCO2）", fuel_kg)),
                           total, "kgCO2"))
        steps.append(
            CalculationStep(
                key="carbon.total_t",
                name=message("二氧化碳排放总量（吨）"),
                inputs=(("二氧化碳排放总量（kgCO2）", as_float(total, PLACES)),),
                factor=None,
                factor_unit=None,
                factor_source=f"1 t = {decimal_text(_KG_PER_T)} kg",
                factor_confidence=None,
                result=as_float(total / _KG_PER_T, PLACES),
                unit="tCO2",
            )
        )
    return Emissions(total, electricity_kg, fuel_kg, applied, tuple(steps), tuple(notes))


def _step(key: str, name: str, inputs: tuple[tuple[str, Decimal], ...], result: Decimal,
          unit: str) -> CalculationStep:
    return CalculationStep(
        key=key,
        name=name,
        inputs=tuple((label, as_float(value, PLACES)) for label, value in inputs),
        factor=None,
        factor_unit=None,
        factor_source=None,
        factor_confidence=None,
        result=as_float(result, PLACES),
        unit=unit,
    )
