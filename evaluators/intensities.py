"""Energy and carbon intensities (能耗强度、碳排放强度) from an application's data.

Runs the calculators over the document's ``energy``, ``renewables`` and ``output`` sections and
gives the figures quantitative indicators may take (``derived_from`` in a guideline file):
per 10 000 yuan of output value (工业总产值) and of value added (工业增加值), per unit of a single
product, the share of renewable power in energy use, and in Zhejiang the carbon-efficiency
level of DB33/T 1347-2023 and, when ``output.industry_average_carbon_intensity`` (the industry's
average L, tCO2/万元) is given, its grade by K = L ÷ that average (STANDARDS.md §7).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluators import carbon, energy
from evaluators.energy import PLACES
from evaluators.messages import message
from evaluators.reference import number, read_table
from evaluators.trace import CalculationStep
from evaluators.values import as_float, decimal_text, read_number, read_text

_CARBON_EFFICIENCY_TABLE = "carbon-efficiency-db33-1347-2023"
_PERCENT = Decimal(100)  # a share written as a percentage

# Intensity denominators in the document's ``output``: key, name, short name, figure suffix.
_DENOMINATORS = (
    ("output_value_10k_yuan", "工业总产值", "产值", "10k_output"),
    ("value_added_10k_yuan", "工业增加值", "工业增加值", "10k_value_added"),
)

# Figures a guideline indicator may take as its value (``derived_from``).
DERIVABLE = frozenset({
    "energy_kgce",
    "energy_tce",
    "co2_kg",
    "co2_t",
    "kgce_per_10k_output",
    "kgce_per_10k_value_added",
    "kgco2_per_10k_output",
    "kgco2_per_10k_value_added",
    "renewable_share_percent",
    "kgce_per_product_unit",
    "kgco2_per_product_unit",
    "carbon_efficiency_tco2_per_10k",
    "carbon_efficiency_k",
    "own_renewable_kwh",
    "green_power_kwh",
})


@dataclass(frozen=True)
class Calculation:
    steps: tuple[CalculationStep, ...]
    figures: tuple[tuple[str, float | str], ...]
    notes: tuple[str, ...]

    def figure(self, key: str) -> float | str | None:
        return dict(self.figures).get(key)


def calculate(document: Mapping[str, Any], year: int | None, region: str | None) -> Calculation:
    """Standard coal, CO2 and intensities; figures absent when their inputs are."""
    coal = energy.standard_coal(document.get("energy"))
    steps = list(coal.steps)
    notes = list(coal.notes)
    figures: dict[str, Decimal | str] = {}
    if not coal.amounts:
        notes.append(message("未填写可识别的能源消费数据，未计算综合能耗和碳排放。"))
        return Calculation(tuple(steps), (), tuple(notes))

    co2 = carbon.emissions(coal.amounts, document.get("renewables"), year, region)
    steps += co2.steps
    notes += co2.notes
    figures.update(
        energy_kgce=coal.total_kgce,
        energy_tce=coal.total_tce,
        co2_kg=co2.total_kg,
        co2_t=co2.total_t,
    )

    own, green = co2.renewables.own_generation_kwh, co2.renewables.green_power_purchased_kwh
    figures.update(own_renewable_kwh=own, green_power_kwh=green)
    electricity = energy.carrier("electricity_kwh")
    if coal.total_kgce > 0 and electricity is not None:
        share = (own + green) * electricity.kgce_per_unit / coal.total_kgce * _PERCENT
        figures["renewable_share_percent"] = share
        steps.append(CalculationStep(
            key="intensity.renewable_share_percent",
            name=message("可再生能源使用比例（零碳电力折标准煤 ÷ 综合能耗）"),
            inputs=(("自发自用可再生能源电量（kWh）", as_float(own, PLACES)),
                    ("外购绿色电力（kWh）", as_float(green, PLACES)),
                    ("综合能耗（kgce）", as_float(coal.total_kgce, PLACES))),
            factor=float(electricity.kgce_per_unit),
            factor_unit="kgce/kWh",
            factor_source=electricity.source,
            factor_confidence=electricity.confidence,
            result=as_float(share, PLACES),
            unit="%",
        ))

    output = document.get("output") if isinstance(document.get("output"), Mapping) else {}
    for key, name, short, per in _DENOMINATORS:
        reading = read_number(output.get(key))
        if reading.status == "missing":
            notes.append(message("未填写%(figure)s，未计算按%(figure)s的强度。", figure=message(name)))
            continue
        if reading.status == "invalid" or reading.value <= 0:
            notes.append(message("%(figure)s“%(entered)s”无法识别或不大于 0，未计算按%(figure)s的强度。",
                                 figure=message(name), entered=str(reading.shown)))
            continue
        denominator = (f"{name}（万元）", reading.value)
        for figure, label, numerator, unit in (
            (f"kgce_per_{per}", message("单位%(denominator)s综合能耗", denominator=message(short)),
             ("综合能耗（kgce）", coal.total_kgce), "kgce"),
            (f"kgco2_per_{per}", message("单位%(denominator)s碳排放量", denominator=message(short)),
             ("二氧化碳排放总量（kgCO2）", co2.total_kg), "kgCO2"),
        ):
            value = numerator[1] / reading.value
            figures[figure] = value
            steps.append(_ratio_step(f"intensity.{figure}", label, numerator, denominator, value,
                                     f"{unit}/万元"))
        if key == "value_added_10k_yuan":
            steps += _carbon_efficiency(co2.total_t, reading.value, region, output, figures,
                                        notes)

    steps += _per_product(document, coal.total_kgce, co2.total_kg, figures, notes)
    shown = tuple((key, value if isinstance(value, str) else as_float(value, PLACES))
                  for key, value in sorted(figures.items()))
    return Calculation(tuple(steps), shown, tuple(notes))


def _ratio_step(key: str, name: str, numerator: tuple[str, Decimal],
                denominator: tuple[str, Decimal], value: Decimal, unit: str) -> CalculationStep:
    return CalculationStep(
        key=key,
        name=name,
        inputs=((numerator[0], as_float(numerator[1], PLACES)),
                (denominator[0], as_float(denominator[1], PLACES))),
        factor=None,
        factor_unit=None,
        factor_source=None,
        factor_confidence=None,
        result=as_float(value, PLACES),
        unit=unit,
    )


def _carbon_efficiency(co2_t: Decimal, value_added: Decimal, region: str | None,
                       output: Mapping[str, Any], figures: dict[str, Decimal | str],
                       notes: list[str]) -> list[CalculationStep]:
    """DB33/T 1347-2023 (Zhejiang only): L = CO2 (t) ÷ value added (万元), levelled 低碳 / 中碳 /
    高碳; with the industry's average L, K = L ÷ average, graded 1级–5级."""
    table = read_table(_CARBON_EFFICIENCY_TABLE)
    meta = table["table"]
    if region is None or region[:2] != meta["province"][:2]:
        return []
    efficiency = co2_t / value_added
    level = _band(table["levels"], efficiency)
    figures["carbon_efficiency_tco2_per_10k"] = efficiency
    figures["carbon_efficiency_level"] = level["name"]
    steps = [CalculationStep(
        key="intensity.carbon_efficiency",
        name=f"{meta['title']}：{level['name']}（{_bound(level, 'L')} {meta['unit']}）",
        inputs=(("二氧化碳排放总量（tCO2）", as_float(co2_t, PLACES)),
                ("工业增加值（万元）", as_float(value_added, PLACES))),
        factor=None,
        factor_unit=None,
        factor_source=meta["source"],
        factor_confidence=meta["confidence"],
        result=as_float(efficiency, PLACES),
        unit=meta["unit"],
    )]
    average = read_number(output.get("industry_average_carbon_intensity"))
    if average.status == "missing":
        notes.append(message("未填写所属行业平均碳效值（industry_average_carbon_intensity），未计算碳效等级。"))
        return steps
    if average.status == "invalid" or average.value <= 0:
        notes.append(message("行业平均碳效值“%(entered)s”无法识别或不大于 0，未计算碳效等级。",
                             entered=str(average.shown)))
        return steps
    ratio = efficiency / average.value
    grade = _band(table["grades"], ratio)
    figures["carbon_efficiency_k"] = ratio
    figures["carbon_efficiency_grade"] = grade["name"]
    steps.append(CalculationStep(
        key="intensity.carbon_efficiency_grade",
        name=f"碳效等级：{grade['name']}（{_bound(grade, 'K')}，K = 碳效值 ÷ 行业平均碳效值）",
        inputs=((f"碳效值 L（{meta['unit']}）", as_float(efficiency, PLACES)),
                (f"行业平均碳效值（{meta['unit']}）", as_float(average.value, PLACES))),
        factor=None,
        factor_unit=None,
        factor_source=meta["source"],
        factor_confidence=meta["confidence"],
        result=as_float(ratio, PLACES),
        unit="",
    ))
    return steps


def _band(rows: list[dict[str, Any]], value: Decimal) -> dict[str, Any]:
    """The first row whose ``at_most`` holds; the last row has none."""
    return next(row for row in rows if "at_most" not in row or value <= number(row["at_most"]))


def _bound(row: dict[str, Any], symbol: str) -> str:
    return (f"{symbol} ≤ {decimal_text(number(row['at_most']))}" if "at_most" in row
            else "高于上一档上限")


def _per_product(document: Mapping[str, Any], kgce: Decimal, co2_kg: Decimal,
                 figures: dict[str, Decimal | str], notes: list[str]) -> list[CalculationStep]:
    output = document.get("output") if isinstance(document.get("output"), Mapping) else {}
    products = output.get("products")
    if not isinstance(products, list) or not products:
        return []
    if len(products) > 1:
        notes.append(message("有多种产品，单位产品综合能耗需按各产品能耗分摊计算，系统未自动计算。"))
        return []
    product = products[0] if isinstance(products[0], Mapping) else {}
    quantity = read_number(product.get("quantity"))
    name = read_text(product.get("name")).value or "产品"
    unit = read_text(product.get("unit")).value or "单位产品"
    if quantity.status != "given" or quantity.value <= 0:
        notes.append(message("%(product)s产量未填写或无法识别，未计算单位产品能耗和碳排放。", product=name))
        return []
    steps = []
    for figure, label, total, total_unit, total_name in (
        ("kgce_per_product_unit", message("单位产品综合能耗（%(product)s）", product=name), kgce, "kgce",
         "综合能耗（kgce）"),
        ("kgco2_per_product_unit", message("单位产品碳排放量（%(product)s）", product=name), co2_kg, "kgCO2",
         "二氧化碳排放总量（kgCO2）"),
    ):
        value = total / quantity.value
        figures[figure] = value
        steps.append(_ratio_step(f"intensity.{figure}", label, (total_name, total),
                                 (f"产量（{unit}）", quantity.value), value, f"{total_unit}/{unit}"))
    return steps
