"""Scoring one indicator (计分规则): yes/no, a number by interpolation or by ratio, a level.

Each rule returns the share of the indicator's points earned, whether the item's requirement
holds, the rule as a Chinese sentence and why this answer earned what it did.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from evaluators.interpolation import baseline_leading_fraction, reaches_baseline
from evaluators.trace import IndicatorResult
from evaluators.values import Answer, Reading, as_float, decimal_text

if TYPE_CHECKING:
    from evaluators.guidelines.definition import Band, Guideline, Indicator
    from evaluators.strategies.base import ProductLimit

POINT_PLACES = 2  # points are shown to two decimals
SHARE_PLACES = 4
VALUE_PLACES = 4

NumberRule = Literal["interpolate", "ratio"]
MISSING = Answer(Reading("missing"))


@dataclass(frozen=True)
class ItemScore:
    rule: str
    fraction: Decimal  # share of the points earned, 0–1
    met: bool  # answered, and for a requirement met (yes / at least the baseline)
    why: str


def d(value: float) -> Decimal:
    return Decimal(str(value))


def with_unit(value: Decimal | float, unit: str) -> str:
    text = decimal_text(value, VALUE_PLACES)
    if not unit:
        return text
    return f"{text} {unit}" if unit[0].isascii() and unit[0].isalpha() else f"{text}{unit}"


def score_item(guideline: Guideline, indicator: Indicator, answer: Answer, *,
               number_rule: NumberRule, must_meet: bool, figures: Mapping[str, Decimal],
               products: Sequence[ProductLimit] = ()) -> tuple[IndicatorResult, Decimal, ItemScore]:
    """One indicator's result, its exact points and its item score.

    ``must_meet``: a required item must be met for the designation (必选); otherwise a
    required item need only be answered (必填).
    """
    maximum = d(indicator.points)
    clause = _required_clause(guideline, indicator, must_meet)
    if indicator.type == "boolean":
        item = _boolean(guideline, indicator, answer.reading, maximum, must_meet)
    elif indicator.type == "number" and indicator.product_limits and products:
        item = _by_product_limits(products, maximum)
    elif indicator.type == "number" and number_rule == "interpolate":
        item = _interpolated(indicator, answer, maximum, figures, must_meet, guideline)
    elif indicator.type == "number":
        item = _ratio(indicator, answer, maximum)
    elif indicator.scored_levels:
        item = _levels(indicator, answer.reading, maximum)
    else:
        item = _text(indicator, answer.reading)
    why = item.why
    if indicator.required and not item.met:
        why += clause
    rule = item.rule
    if indicator.required and (indicator.scored_levels or (
            indicator.type == "number" and number_rule == "ratio")):
        rule += "必填项：须填报。"
    points = maximum * item.fraction
    reading = answer.reading
    if indicator.type != "text" or indicator.scored_levels:
        if reading.status == "given" and (points > 0 or (item.met and indicator.required
                                                         and must_meet)):
            why += (f"证明材料：{'、'.join(answer.evidence)}。" if answer.evidence
                    else "未上传证明材料，专家评审时可能要求补充。")
    value = reading.value if reading.status == "given" else reading.shown
    if isinstance(value, Decimal):
        value = as_float(value, VALUE_PLACES)
    result = IndicatorResult(
        id=indicator.id,
        group=indicator.group,
        name=indicator.name,
        type=indicator.type,
        required=indicator.required,
        value=value,
        unit=indicator.unit,
        rule=rule,
        points=as_float(points, POINT_PLACES),
        max_points=as_float(maximum, POINT_PLACES),
        evidence=answer.evidence,
        why=why,
        calculated=answer.calculated,
    )
    return result, points, item


def _required_clause(guideline: Guideline, indicator: Indicator, must_meet: bool) -> str:
    if not indicator.required:
        return ""
    if must_meet:
        return f"此项为必选要求，按{guideline.source}，必选要求须全部满足方可评为{guideline.designation}。"
    return "此项为必填项，须填报后方可参加评价。"


def _unanswered(reading: Reading, kind: str) -> str:
    if reading.status == "missing":
        return "未填写，得 0 分。"
    if kind == "number":
        return f"数值无法识别（填写内容“{reading.shown}”），得 0 分。"
    return f"填写内容“{reading.shown}”无法识别，得 0 分。"


def _boolean(guideline, indicator, reading, maximum, must_meet) -> ItemScore:
    points_text = decimal_text(maximum, POINT_PLACES)
    if indicator.required and must_meet:
        rule = f"必选要求：满足得 {points_text} 分；不满足则不能评为{guideline.designation}。"
    elif indicator.required:
        rule = f"必填项：满足得 {points_text} 分，不满足得 0 分。"
    else:
        rule = f"可选要求：满足加 {points_text} 分，不满足不加分。"
    if reading.status == "given" and reading.value:
        kind = "必选" if indicator.required and must_meet else ("必填" if indicator.required else "可选")
        return ItemScore(rule, Decimal(1), True, f"已满足{kind}要求，得 {points_text} 分。")
    if reading.status == "given":
        return ItemScore(rule, Decimal(0), not must_meet, "填报为不满足，得 0 分。")
    why = ("未填写，按未满足计，得 0 分。" if reading.status == "missing" else
           f"填写内容“{reading.shown}”无法识别（应为“满足”或“不满足”），按未满足计，得 0 分。")
    return ItemScore(rule, Decimal(0), False, why)


def choose_band(indicator: Indicator, figures: Mapping[str, Decimal],
                value: Decimal | None) -> tuple[Band, str]:
    """The band the banding figure falls in, with a sentence saying which and why.

    Without the figure, the band that gives the value the fewest points (the strictest).
    """
    figure = figures.get(indicator.band_by or "")
    unit = indicator.band_unit or ""
    if figure is not None:
        band = next(b for b in indicator.bands if b.holds(figure))
        label = band_label(indicator, band)
        return band, f"{indicator.band_name} {with_unit(figure, unit)}，适用“{label}”档。"
    strictest = min(indicator.bands, key=lambda b: (
        baseline_leading_fraction(value, d(b.baseline), d(b.leading)) if value is not None else 0,
        -abs(b.leading)))
    return strictest, (f"无法确定{indicator.band_name}（未填写能源消费数据），"
                       f"按得分最低的“{band_label(indicator, strictest)}”档计。")


def band_label(indicator: Indicator, band: Band) -> str:
    unit = indicator.band_unit or ""
    if band.at_least is None:
        return f"{indicator.band_name}低于 {with_unit(band.below, unit)}"
    if band.below is None:
        return f"{indicator.band_name} {with_unit(band.at_least, unit)} 及以上"
    return f"{indicator.band_name} {with_unit(band.at_least, unit)}–{with_unit(band.below, unit)}"


def _interpolated(indicator, answer, maximum, figures, must_meet, guideline) -> ItemScore:
    reading = answer.reading
    value = reading.value if reading.status == "given" else None
    band_note = ""
    if indicator.bands:
        band, band_note = choose_band(indicator, figures, value)
        baseline, leading = d(band.baseline), d(band.leading)
    else:
        baseline, leading = d(indicator.baseline), d(indicator.leading)
    unit = indicator.unit
    points_text = decimal_text(maximum, POINT_PLACES)
    better = "越高越好" if leading > baseline else "越低越好"
    baseline_text, leading_text = with_unit(baseline, unit), with_unit(leading, unit)
    rule = (f"数值{better}：未优于基准值 {baseline_text} 得 0 分，达到引领值 "
            f"{leading_text} 得满分 {points_text} 分，其间按线性插值计分。")
    if indicator.bands:
        rule = f"{band_note}{rule}"
    if indicator.required and must_meet:
        rule += f"必选要求：须达到基准值，否则不能评为{guideline.designation}。"
    elif indicator.required:
        rule += "必填项：须填报（可由能源数据计算）。"
    if value is None:
        return ItemScore(rule, Decimal(0), False, _unanswered(reading, "number"))

    fraction = baseline_leading_fraction(value, baseline, leading)
    points = maximum * fraction
    shown = with_unit(value, unit)
    why = "申报时未填写，按能源数据计算（见计算过程）。" if answer.calculated else ""
    label = "计算值" if answer.calculated else "申报值"
    if fraction == 1:
        why += f"{label} {shown} 达到引领值 {leading_text}，得满分 {points_text} 分。"
    elif fraction == 0:
        why += f"{label} {shown} 未优于基准值 {baseline_text}，得 0 分。"
    else:
        why += (f"{label} {shown} 介于基准值 {baseline_text} 与引领值 {leading_text} 之间，"
                f"按线性插值得 {decimal_text(points, POINT_PLACES)} 分（满分 {points_text} 分）。")
    if answer.calculated_value is not None and not answer.calculated:
        why += f"按申报的能源数据计算为 {with_unit(answer.calculated_value, unit)}，请核对。"
    met = reaches_baseline(value, baseline, leading) if must_meet else True
    return ItemScore(rule, fraction, met, why)


def _by_product_limits(products: Sequence[ProductLimit], maximum: Decimal) -> ItemScore:
    """STANDARDS.md §3 [S]: with a mandatory energy-limit standard the unit energy use is scored
    between its grade 2 (baseline) and grade 1 (leading); several products by energy use."""
    points_text = decimal_text(maximum, POINT_PLACES)
    rule = (f"有单位产品能耗限额标准的产品按单位产品综合能耗评价：达到限额标准1级（引领值）得满分 "
            f"{points_text} 分，未优于2级（基准值）得 0 分，其间线性插值；多种产品按各自综合能耗加权。")
    weighted = all(p.energy_tce is not None and p.energy_tce > 0 for p in products)
    total_weight = sum((p.energy_tce for p in products), Decimal(0)) if weighted else Decimal(
        len(products))
    fraction = Decimal(0)
    parts = []
    for product in products:
        share = baseline_leading_fraction(product.value, product.grade_2, product.grade_1)
        weight = (product.energy_tce if weighted else Decimal(1)) / total_weight
        fraction += share * weight
        label = "计算值" if product.calculated else "申报值"
        unit = product.unit
        parts.append(f"{product.name}{label} {with_unit(product.value, unit)}（1级 "
                     f"{with_unit(product.grade_1, unit)}、2级 {with_unit(product.grade_2, unit)}）"
                     f"得分比例 {decimal_text(share, SHARE_PLACES)}"
                     + (f"，能耗权重 {decimal_text(weight, SHARE_PLACES)}" if len(products) > 1 else ""))
    if len(products) > 1 and not weighted:
        parts.append("未填写各产品综合能耗，按等权计")
    points = maximum * fraction
    why = (f"按单位产品综合能耗评价：{'；'.join(parts)}。加权得分比例 "
           f"{decimal_text(fraction, SHARE_PLACES)}，得 {decimal_text(points, POINT_PLACES)} 分。")
    return ItemScore(rule, fraction, True, why)


def _ratio(indicator, answer, maximum) -> ItemScore:
    """Value ÷ leading value (leading ÷ value when lower is better), at most 1."""
    reading = answer.reading
    leading = d(indicator.leading)
    unit = indicator.unit
    points_text = decimal_text(maximum, POINT_PLACES)
    leading_text = with_unit(leading, unit)
    lower = indicator.direction == "lower"
    rule = (f"按{'引领值与申报值' if lower else '申报值与引领值'}之比计分（引领值 {leading_text}，"
            f"{'越低越好' if lower else '越高越好'}），比值最高按 1 计，得分 = 比值 × {points_text} 分。")
    if reading.status != "given":
        return ItemScore(rule, Decimal(0), False, _unanswered(reading, "number"))
    value = reading.value
    shown = with_unit(value, unit)
    label = "计算值" if answer.calculated else "申报值"
    if lower and value <= leading:
        return ItemScore(rule, Decimal(1), True,
                         f"{label} {shown} 不高于引领值 {leading_text}，比值按 1 计，得满分 {points_text} 分。")
    if not lower and value >= leading:
        return ItemScore(rule, Decimal(1), True,
                         f"{label} {shown} 达到引领值 {leading_text}，比值按 1 计，得满分 {points_text} 分。")
    if not lower and value <= 0:
        return ItemScore(rule, Decimal(0), True, f"{label} {shown} 不大于 0，得 0 分。")
    ratio = leading / value if lower else value / leading
    points = maximum * ratio
    formula = (f"引领值 {leading_text} ÷ {label} {shown}" if lower
               else f"{label} {shown} ÷ 引领值 {leading_text}")
    why = (f"{formula} = {decimal_text(ratio, SHARE_PLACES)}，得 {decimal_text(ratio, SHARE_PLACES)}"
           f" × {points_text} = {decimal_text(points, POINT_PLACES)} 分。")
    return ItemScore(rule, ratio, True, why)


def _levels(indicator, reading, maximum) -> ItemScore:
    points_text = decimal_text(maximum, POINT_PLACES)
    scale = "、".join(f"{option} {decimal_text(d(share) * 100)}%"
                     for option, share in zip(indicator.options, indicator.option_shares))
    rule = f"按所选档位计分（{scale}），满分 {points_text} 分。"
    if reading.status != "given":
        why = ("未填写，得 0 分。" if reading.status == "missing" else
               f"填写内容“{reading.shown}”不是可选档位（{'、'.join(indicator.options)}），得 0 分。")
        return ItemScore(rule, Decimal(0), False, why)
    share = d(indicator.option_shares[indicator.options.index(reading.value)])
    points = maximum * share
    return ItemScore(rule, share, True,
                     f"填报“{reading.value}”，按该档 {decimal_text(share * 100)}% 计，"
                     f"得 {decimal_text(points, POINT_PLACES)} 分。")


def _text(indicator, reading) -> ItemScore:
    rule = "文字信息，不计分，供专家评审参考。"
    if reading.status == "given":
        return ItemScore(rule, Decimal(0), True, f"已填写：{reading.value}。")
    if reading.status == "missing":
        why = "未填写。" + ("此项为必填项。" if indicator.required else "")
        return ItemScore(rule, Decimal(0), False, why)
    allowed = f"（可选范围：{'、'.join(indicator.options)}）" if indicator.options else ""
    return ItemScore(rule, Decimal(0), False, f"填写内容“{reading.shown}”无法识别{allowed}。")
