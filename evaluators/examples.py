"""Example application documents for demo data and end-to-end tests (示例申报数据).

``example_document(key, quality)`` builds a realistic document for any guideline from its own
data: "full" meets everything at the leading values (scores 100), "pass" is a good applicant
(eligible, about 85), "fail" meets every required item but little else (eligible, below the
pass mark). A factory is a fictitious auto-parts maker in Yuhang, Hangzhou; a park is a
fictitious provincial development zone that reports three years; the figures are demo inputs,
not evaluation rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from evaluators import strategies
from evaluators.guidelines import Guideline, Indicator, load

QUALITIES = ("full", "pass", "fail")


@dataclass(frozen=True)
class Knobs:
    """How good an example is: the share of optional yes/no items met, and where numbers sit
    between baseline (0) and leading value (1) — or, for ratio scoring, their ratio to it."""

    optional_met: Decimal
    number_position: Decimal


_KNOBS = {
    "full": Knobs(Decimal(1), Decimal(1)),
    "pass": Knobs(Decimal("0.6"), Decimal("0.9")),
    "fail": Knobs(Decimal(0), Decimal("0.1")),
}
# Per strategy where the defaults do not land "pass" near 85 and "fail" under the pass mark.
_STRATEGY_KNOBS = {
    "baseline_leading": {"pass": Knobs(Decimal("0.75"), Decimal("0.8")),
                         "fail": Knobs(Decimal("0.5"), Decimal("0.5"))},
    "ratio_to_leading_by_year": {"pass": Knobs(Decimal("0.75"), Decimal("0.9")),
                                 "fail": Knobs(Decimal(0), Decimal("0.6"))},
    "additive_points": {"pass": Knobs(Decimal("0.75"), Decimal("0.8")),
                        "fail": Knobs(Decimal("0.5"), Decimal("0.3"))},
}
# A park's earlier years trail the latest one: its position is scaled by these, oldest first.
_YEAR_TREND = (Decimal("0.9"), Decimal("0.95"), Decimal(1))

# Energy, renewable power and output per quality. "full" is efficient enough that the
# calculated intensities reach every leading value of the factory guidelines.
_ENTERPRISE: dict[str, dict[str, Any]] = {
    "full": {
        "energy": {"electricity_kwh": 12_000_000, "natural_gas_m3": 500_000, "diesel_kg": 20_000},
        "renewables": {"own_generation_kwh": 2_000_000, "green_power_purchased_kwh": 2_000_000},
        "output": {"output_value_10k_yuan": 120_000, "value_added_10k_yuan": 30_000},
    },
    "pass": {
        "energy": {"electricity_kwh": 16_000_000, "natural_gas_m3": 800_000, "diesel_kg": 30_000},
        "renewables": {"own_generation_kwh": 1_200_000, "green_power_purchased_kwh": 0},
        "output": {"output_value_10k_yuan": 100_000, "value_added_10k_yuan": 22_000},
    },
    "fail": {
        "energy": {
            "electricity_kwh": 30_000_000, "natural_gas_m3": 3_000_000, "raw_coal_kg": 2_000_000,
        },
        "renewables": {"own_generation_kwh": 0, "green_power_purchased_kwh": 0},
        "output": {"output_value_10k_yuan": 60_000, "value_added_10k_yuan": 9_000},
    },
}
_PRODUCT = {"name": "汽车零部件", "unit": "件", "quantity": 6_000_000}
_YEAR = 2024
_REGION = "330110"  # 杭州市余杭区


def example_document(key: str, quality: str = "full") -> dict[str, Any]:
    """A JSON-able application document for guideline ``key`` at the given quality."""
    if quality not in QUALITIES:
        raise ValueError(f"quality must be one of {', '.join(QUALITIES)}")
    guideline = load(key)
    knobs = _STRATEGY_KNOBS.get(guideline.strategy, {}).get(quality, _KNOBS[quality])
    document: dict[str, Any] = {
        "year": _YEAR,
        "region": _REGION,
        "indicators": _indicators(guideline, knobs, Decimal(1)),
        "basic": {r.id: True if r.type == "boolean" else _plain(Decimal(str(r.at_least)))
                  for r in guideline.basic_requirements},
        "vetoes": {v.id: False for v in guideline.vetoes},
    }
    years = strategies.get(guideline.strategy).years_required(guideline)
    if years > 1:
        trend = (_YEAR_TREND[-years:] if quality != "full" and years <= len(_YEAR_TREND)
                 else (Decimal(1),) * years)
        document["years"] = [
            {"year": _YEAR - years + 1 + n, "indicators": _indicators(guideline, knobs, scale)}
            for n, scale in enumerate(trend[:-1])
        ]
    if "energy" in guideline.calculators:
        enterprise = _ENTERPRISE[quality]
        document["energy"] = dict(enterprise["energy"])
        document["renewables"] = dict(enterprise["renewables"])
        document["output"] = dict(enterprise["output"], products=[dict(_PRODUCT)])
    return document


def example_evidence(key: str) -> dict[str, list[str]]:
    """Plausible uploaded file names for every item of the guideline."""
    guideline = load(key)
    files = {i.id: [f"{i.criterion or i.group}-{i.id}.pdf"] for i in guideline.indicators
             if i.type != "text" or i.scored_levels}
    files.update({r.id: [f"基本要求-{r.id}.pdf"] for r in guideline.basic_requirements})
    files.update({v.id: [f"声明-{v.id}.pdf"] for v in guideline.vetoes})
    return files


def _indicators(guideline: Guideline, knobs: Knobs, scale: Decimal) -> dict[str, Any]:
    strategy = strategies.get(guideline.strategy)
    position = knobs.number_position * scale
    values: dict[str, Any] = {}
    for group in guideline.groups:
        members = guideline.group_indicators(group.id)
        # Yes/no items that need not be met (optional ones, or required ones that need only be
        # answered): the first `optional_met` share of them is met.
        flexible = [i for i in members if i.type == "boolean"
                    and not (i.required and strategy.must_meet(i))]
        met = int((len(flexible) * knobs.optional_met).to_integral_value(ROUND_HALF_UP))
        for indicator in members:
            if indicator.type == "boolean":
                values[indicator.id] = indicator not in flexible or indicator in flexible[:met]
            elif indicator.type == "number":
                # Calculated from the energy data when left blank (the trace says so).
                calculated = indicator.derived_from and "energy" in guideline.calculators
                values[indicator.id] = ("" if calculated
                                        else _number(indicator, strategy.number_rule, position))
            elif indicator.scored_levels:
                values[indicator.id] = _level(indicator, position)
            else:
                values[indicator.id] = "无" if not indicator.options else indicator.options[0]
    return values


def _number(indicator: Indicator, rule: str, position: Decimal) -> str:
    leading = Decimal(str(indicator.leading if indicator.leading is not None
                          else indicator.bands[-1].leading))
    if rule == "ratio":
        value = leading * position if indicator.direction == "higher" else leading / max(
            position, Decimal("0.01"))
    else:
        baseline = Decimal(str(indicator.baseline if indicator.baseline is not None
                               else indicator.bands[-1].baseline))
        value = baseline + (leading - baseline) * position
    return _plain(value)


def _level(indicator: Indicator, position: Decimal) -> str:
    """The highest level whose share does not exceed the position."""
    ranked = sorted(zip(indicator.option_shares, indicator.options), reverse=True)
    return next((option for share, option in ranked if Decimal(str(share)) <= position),
                ranked[-1][1])


def _plain(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP).normalize():f}"
