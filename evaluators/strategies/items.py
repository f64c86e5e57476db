"""Scoring one indicator (计分规则): yes/no, a number by interpolation or by ratio, a level.

Each rule returns the share of the indicator's points earned, whether the item's requirement
holds, the rule as a Chinese sentence and why this answer earned what it did (as messages:
``evaluators.messages``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from evaluators.interpolation import baseline_leading_fraction, reaches_baseline
from evaluators.messages import Joined, Number, Quantity, Text, message
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
    rule: Text
    fraction: Decimal  # share of the points earned, 0–1
    met: bool  # answered, and for a requirement met (yes / at least the baseline)
    why: Text


def d(value: float) -> Decimal:
    return Decimal(str(value))


def with_unit(value: Decimal | float, unit: str) -> Quantity:
    return Quantity(value, unit, VALUE_PLACES)


def points_of(value: Decimal | float) -> Number:
    return Number(value, POINT_PLACES)


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
        rule += message("必填项：须填报。")
    points = maximum * item.fraction
    reading = answer.reading
    if indicator.type != "text" or indicator.scored_levels:
        if reading.status == "given" and (points > 0 or (item.met and indicator.required
                                                         and must_meet)):
            why += (message("证明材料：%(files)s。", files=Joined(answer.evidence)) if answer.evidence
                    else message("未上传证明材料，专家评审时可能要求补充。"))
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


def _required_clause(guideline: Guideline, indicator: Indicator, must_meet: bool) -> Text:
    if not indicator.required:
        return Text()
    if must_meet:
        return message("此项为必选要求，按%(source)s，必选要求须全部满足方可评为%(designation)s。",
                       source=guideline.source, designation=guideline.designation)
    return message("此项为必填项，须填报后方可参加评价。")


def _unanswered(reading: Reading, kind: str) -> Text:
    if reading.status == "missing":
        return message("未填写，得 0 分。")
    if kind == "number":
        return message("数值无法识别（填写内容“%(entered)s”），得 0 分。", entered=str(reading.shown))
    return message("填写内容“%(entered)s”无法识别，得 0 分。", entered=str(reading.shown))


def _entered_as(answer: Answer) -> Text:
    return message("计算值") if answer.calculated else message("申报值")


def _boolean(guideline, indicator, reading, maximum, must_meet) -> ItemScore:
    points_text = points_of(maximum)
    if indicator.required and must_meet:
        rule = message("必选要求：满足得 %(points)s 分；不满足则不能评为%(designation)s。",
                       points=points_text, designation=guideline.designation)
    elif indicator.required:
        rule = message("必填项：满足得 %(points)s 分，不满足得 0 分。", points=points_text)
    else:
        rule = message("可选要求：满足加 %(points)s 分，不满足不加分。", points=points_text)
    if reading.status == "given" and reading.value:
        if indicator.required and must_meet:
            why = message("已满足必选要求，得 %(points)s 分。", points=points_text)
        elif indicator.required:
            why = message("已满足必填要求，得 %(points)s 分。", points=points_text)
        else:
            why = message("已满足可选要求，得 %(points)s 分。", points=points_text)
        return ItemScore(rule, Decimal(1), True, why)
    if reading.status == "given":
        return ItemScore(rule, Decimal(0), not must_meet, message("填报为不满足，得 0 分。"))
    why = (message("未填写，按未满足计，得 0 分。") if reading.status == "missing" else
           message("填写内容“%(entered)s”无法识别（应为“满足”或“不满足”），按未满足计，得 0 分。",
                   entered=str(reading.shown)))
    return ItemScore(rule, Decimal(0), False, why)


def choose_band(indicator: Indicator, figures: Mapping[str, Decimal],
                value: Decimal | None) -> tuple[Band, Text]:
    """The band the banding figure falls in, with a sentence saying which and why.

    Without the figure, the band that gives the value the fewest points (the strictest).
    """
    figure = figures.get(indicator.band_by or "")
    unit = indicator.band_unit or ""
    if figure is not None:
        band = next(b for b in indicator.bands if b.holds(figure))
        return band, message("%(figure_name)s %(figure)s，适用“%(band)s”档。",
                             figure_name=indicator.band_name or "", figure=with_unit(figure, unit),
                             band=band_label(indicator, band))
    strictest = min(indicator.bands, key=lambda b: (
        baseline_leading_fraction(value, d(b.baseline), d(b.leading)) if value is not None else 0,
        -abs(b.leading)))
    return strictest, message("无法确定%(figure_name)s（未填写能源消费数据），按得分最低的“%(band)s”档计。",
                              figure_name=indicator.band_name or "",
                              band=band_label(indicator, strictest))


def band_label(indicator: Indicator, band: Band) -> Text:
    unit = indicator.band_unit or ""
    name = indicator.band_name or ""
    if band.at_least is None:
        return message("%(figure_name)s低于 %(below)s", figure_name=name,
                       below=with_unit(band.below, unit))
    if band.below is None:
        return message("%(figure_name)s %(at_least)s 及以上", figure_name=name,
                       at_least=with_unit(band.at_least, unit))
    return message("%(figure_name)s %(at_least)s–%(below)s", figure_name=name,
                   at_least=with_unit(band.at_least, unit), below=with_unit(band.below, unit))


def _interpolated(indicator, answer, maximum, figures, must_meet, guideline) -> ItemScore:
    reading = answer.reading
    value = reading.value if reading.status == "given" else None
    band_note = Text()
    if indicator.bands:
        band, band_note = choose_band(indicator, figures, value)
        baseline, leading = d(band.baseline), d(band.leading)
    else:
        baseline, leading = d(indicator.baseline), d(indicator.leading)
    unit = indicator.unit
    points_text = points_of(maximum)
    baseline_text, leading_text = with_unit(baseline, unit), with_unit(leading, unit)
    rule = message("数值越高越好：未优于基准值 %(baseline)s 得 0 分，达到引领值 %(leading)s 得满分 "
                   "%(points)s 分，其间按线性插值计分。" if leading > baseline else
                   "数值越低越好：未优于基准值 %(baseline)s 得 0 分，达到引领值 %(leading)s 得满分 "
                   "%(points)s 分，其间按线性插值计分。",
                   baseline=baseline_text, leading=leading_text, points=points_text)
    if indicator.bands:
        rule = band_note + rule
    if indicator.required and must_meet:
        rule += message("必选要求：须达到基准值，否则不能评为%(designation)s。",
                        designation=guideline.designation)
    elif indicator.required:
        rule += message("必填项：须填报（可由能源数据计算）。")
    if value is None:
        return ItemScore(rule, Decimal(0), False, _unanswered(reading, "number"))

    fraction = baseline_leading_fraction(value, baseline, leading)
    points = maximum * fraction
    shown = with_unit(value, unit)
    why = message("申报时未填写，按能源数据计算（见计算过程）。") if answer.calculated else Text()
    label = _entered_as(answer)
    if fraction == 1:
        why += message("%(label)s %(value)s 达到引领值 %(leading)s，得满分 %(points)s 分。",
                       label=label, value=shown, leading=leading_text, points=points_text)
    elif fraction == 0:
        why += message("%(label)s %(value)s 未优于基准值 %(baseline)s，得 0 分。",
                       label=label, value=shown, baseline=baseline_text)
    else:
        why += message("%(label)s %(value)s 介于基准值 %(baseline)s 与引领值 %(leading)s 之间，"
                       "按线性插值得 %(earned)s 分（满分 %(points)s 分）。",
                       label=label, value=shown, baseline=baseline_text, leading=leading_text,
                       earned=points_of(points), points=points_text)
    if answer.calculated_value is not None and not answer.calculated:
        why += message("按申报的能源数据计算为 %(calculated)s，请核对。",
                       calculated=with_unit(answer.calculated_value, unit))
    met = reaches_baseline(value, baseline, leading) if must_meet else True
    return ItemScore(rule, fraction, met, why)


def _by_product_limits(products: Sequence[ProductLimit], maximum: Decimal) -> ItemScore:
    """STANDARDS.md §3 [S]: with a mandatory energy-limit standard the unit energy use is scored
    between its grade 2 (baseline) and grade 1 (leading); several products by energy use."""
    points_text = points_of(maximum)
    rule = message("有单位产品能耗限额标准的产品按单位产品综合能耗评价：达到限额标准1级（引领值）得满分 "
                   "%(points)s 分，未优于2级（基准值）得 0 分，其间线性插值；多种产品按各自综合能耗加权。",
                   points=points_text)
    weighted = all(p.energy_tce is not None and p.energy_tce > 0 for p in products)
    total_weight = sum((p.energy_tce for p in products), Decimal(0)) if weighted else Decimal(
        len(products))
    fraction = Decimal(0)
    parts = []
    for product in products:
        share = baseline_leading_fraction(product.value, product.grade_2, product.grade_1)
        weight = (product.energy_tce if weighted else Decimal(1)) / total_weight
        fraction += share * weight
        unit = product.unit
        values = dict(product=product.name, label=message("计算值") if product.calculated
                      else message("申报值"), value=with_unit(product.value, unit),
                      grade_1=with_unit(product.grade_1, unit),
                      grade_2=with_unit(product.grade_2, unit), share=Number(share, SHARE_PLACES))
        if len(products) > 1:
            parts.append(message("%(product)s%(label)s %(value)s（1级 %(grade_1)s、2级 %(grade_2)s）"
                                 "得分比例 %(share)s，能耗权重 %(weight)s",
                                 weight=Number(weight, SHARE_PLACES), **values))
        else:
            parts.append(message("%(product)s%(label)s %(value)s（1级 %(grade_1)s、2级 %(grade_2)s）"
                                 "得分比例 %(share)s", **values))
    if len(products) > 1 and not weighted:
        parts.append(message("未填写各产品综合能耗，按等权计"))
    points = maximum * fraction
    why = message("按单位产品综合能耗评价：%(products)s。加权得分比例 %(fraction)s，得 %(earned)s 分。",
                  products=Joined(tuple(parts), "；"), fraction=Number(fraction, SHARE_PLACES),
                  earned=points_of(points))
    return ItemScore(rule, fraction, True, why)


def _ratio(indicator, answer, maximum) -> ItemScore:
    """Value ÷ leading value (leading ÷ value when lower is better), at most 1."""
    reading = answer.reading
    leading = d(indicator.leading)
    unit = indicator.unit
    points_text = points_of(maximum)
    leading_text = with_unit(leading, unit)
    lower = indicator.direction == "lower"
    rule = message("按引领值与申报值之比计分（引领值 %(leading)s，越低越好），比值最高按 1 计，"
                   "得分 = 比值 × %(points)s 分。" if lower else
                   "按申报值与引领值之比计分（引领值 %(leading)s，越高越好），比值最高按 1 计，"
                   "得分 = 比值 × %(points)s 分。", leading=leading_text, points=points_text)
    if reading.status != "given":
        return ItemScore(rule, Decimal(0), False, _unanswered(reading, "number"))
    value = reading.value
    shown = with_unit(value, unit)
    label = _entered_as(answer)
    if lower and value <= leading:
        return ItemScore(rule, Decimal(1), True, message(
            "%(label)s %(value)s 不高于引领值 %(leading)s，比值按 1 计，得满分 %(points)s 分。",
            label=label, value=shown, leading=leading_text, points=points_text))
    if not lower and value >= leading:
        return ItemScore(rule, Decimal(1), True, message(
            "%(label)s %(value)s 达到引领值 %(leading)s，比值按 1 计，得满分 %(points)s 分。",
            label=label, value=shown, leading=leading_text, points=points_text))
    if not lower and value <= 0:
        return ItemScore(rule, Decimal(0), True, message("%(label)s %(value)s 不大于 0，得 0 分。",
                                                         label=label, value=shown))
    ratio = leading / value if lower else value / leading
    points = maximum * ratio
    why = message("引领值 %(leading)s ÷ %(label)s %(value)s = %(ratio)s，得 %(ratio)s × %(points)s = "
                  "%(earned)s 分。" if lower else
                  "%(label)s %(value)s ÷ 引领值 %(leading)s = %(ratio)s，得 %(ratio)s × %(points)s = "
                  "%(earned)s 分。", leading=leading_text, label=label, value=shown,
                  ratio=Number(ratio, SHARE_PLACES), points=points_text, earned=points_of(points))
    return ItemScore(rule, ratio, True, why)


def _levels(indicator, reading, maximum) -> ItemScore:
    points_text = points_of(maximum)
    scale = Joined(tuple(message("%(option)s %(share)s%%", option=option,
                                 share=Number(d(share) * 100))
                         for option, share in zip(indicator.options, indicator.option_shares)))
    rule = message("按所选档位计分（%(scale)s），满分 %(points)s 分。", scale=scale, points=points_text)
    if reading.status != "given":
        why = (message("未填写，得 0 分。") if reading.status == "missing" else
               message("填写内容“%(entered)s”不是可选档位（%(options)s），得 0 分。",
                       entered=str(reading.shown), options=Joined(tuple(indicator.options))))
        return ItemScore(rule, Decimal(0), False, why)
    share = d(indicator.option_shares[indicator.options.index(reading.value)])
    points = maximum * share
    return ItemScore(rule, share, True,
                     message("填报“%(option)s”，按该档 %(share)s%% 计，得 %(earned)s 分。",
                             option=reading.value, share=Number(share * 100),
                             earned=points_of(points)))


def _text(indicator, reading) -> ItemScore:
    rule = message("文字信息，不计分，供专家评审参考。")
    if reading.status == "given":
        return ItemScore(rule, Decimal(0), True, message("已填写：%(text)s。", text=reading.value))
    if reading.status == "missing":
        why = message("未填写。") + (message("此项为必填项。") if indicator.required else Text())
        return ItemScore(rule, Decimal(0), False, why)
    if indicator.options:
        return ItemScore(rule, Decimal(0), False, message(
            "填写内容“%(entered)s”无法识别（可选范围：%(options)s）。", entered=str(reading.shown),
            options=Joined(tuple(indicator.options))))
    return ItemScore(rule, Decimal(0), False, message("填写内容“%(entered)s”无法识别。",
                                                      entered=str(reading.shown)))
