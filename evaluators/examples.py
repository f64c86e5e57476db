"""Example application documents for demo data and end-to-end tests (示例申报数据).

``example_document(key, quality)`` builds a realistic document for any guideline from its own
data: "full" meets everything at the leading values (scores 100), "pass" is a good factory
(eligible, about 85), "fail" meets every required item but little else (eligible, about 60).
The enterprise figures below are a fictitious auto-parts maker in Yuhang, Hangzhou; they are
demo inputs, not evaluation rules.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from evaluators.guidelines import Guideline, load

QUALITIES = ("full", "pass", "fail")

# Share of each group's optional yes/no items met, and where quantitative values sit between
# baseline (0) and leading value (1), per quality.
_OPTIONAL_MET = {"full": Decimal(1), "pass": Decimal("0.6"), "fail": Decimal(0)}
_NUMBER_POSITION = {"full": Decimal(1), "pass": Decimal("0.9"), "fail": Decimal("0.1")}

# Energy, renewable power and output per quality. "full" is efficient enough that the
# calculated intensities reach every leading value of factory-gbt36132-2018.
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
    enterprise = _ENTERPRISE[quality]
    output = dict(enterprise["output"], products=[dict(_PRODUCT)])
    return {
        "year": _YEAR,
        "region": _REGION,
        "indicators": _indicators(guideline, quality),
        "basic": {r.id: True for r in guideline.basic_requirements},
        "vetoes": {v.id: False for v in guideline.vetoes},
        "energy": dict(enterprise["energy"]),
        "renewables": dict(enterprise["renewables"]),
        "output": output,
    }


def example_evidence(key: str) -> dict[str, list[str]]:
    """Plausible uploaded file names for every item of the guideline."""
    guideline = load(key)
    files = {i.id: [f"{i.criterion}-{i.id}.pdf"] for i in guideline.indicators if i.type != "text"}
    files.update({r.id: [f"基本要求-{r.id}.pdf"] for r in guideline.basic_requirements})
    files.update({v.id: [f"声明-{v.id}.pdf"] for v in guideline.vetoes})
    return files


def _indicators(guideline: Guideline, quality: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for group in guideline.groups:
        members = guideline.group_indicators(group.id)
        optional = [i for i in members if i.type == "boolean" and not i.required]
        met = int((len(optional) * _OPTIONAL_MET[quality]).to_integral_value(ROUND_HALF_UP))
        for indicator in members:
            if indicator.type == "boolean":
                values[indicator.id] = indicator.required or indicator in optional[:met]
            elif indicator.type == "number":
                # Calculated from the energy data when left blank (the trace says so).
                values[indicator.id] = "" if indicator.derived_from else _number(indicator, quality)
            else:
                values[indicator.id] = "无" if not indicator.options else indicator.options[0]
    return values


def _number(indicator, quality: str) -> str:
    baseline, leading = Decimal(str(indicator.baseline)), Decimal(str(indicator.leading))
    value = baseline + (leading - baseline) * _NUMBER_POSITION[quality]
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP).normalize():f}"
