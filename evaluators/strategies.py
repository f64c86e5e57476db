"""Scoring strategies (评分方法), registered by the name a guideline file gives in ``strategy``.

A strategy allots each indicator's points when a guideline is loaded and scores the answers
of an application. This first version holds ``weighted_required_optional`` (GB/T 36132-2018);
baseline/leading sums for GB/T 36132-2025, ratio-to-leading sums for parks and additive points
for supply chains register beside it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from evaluators.errors import GuidelineError
from evaluators.interpolation import baseline_leading_fraction, reaches_baseline
from evaluators.trace import GroupResult, IndicatorResult
from evaluators.values import Answer, Reading, as_float, decimal_text

if TYPE_CHECKING:
    from evaluators.guidelines.definition import Group, Guideline, Indicator, Parameter

POINT_PLACES = 2  # points are shown to two decimals
SHARE_PLACES = 4
VALUE_PLACES = 4


@dataclass(frozen=True)
class Scoresheet:
    indicators: tuple[IndicatorResult, ...]
    groups: tuple[GroupResult, ...]
    total: Decimal
    unmet_required: tuple[IndicatorResult, ...]  # required items answered "not met" or unreadable
    missing: tuple[str, ...]  # required items left blank


class Strategy(Protocol):
    name: str

    def allocate(self, groups: Sequence[Group], indicators: Sequence[Indicator],
                 parameters: Mapping[str, Parameter], where: str) -> dict[str, Decimal]: ...

    def score(self, guideline: Guideline, answers: Mapping[str, Answer]) -> Scoresheet: ...


_REGISTRY: dict[str, Strategy] = {}


def register(strategy: Strategy) -> Strategy:
    _REGISTRY[strategy.name] = strategy
    return strategy


def get(name: str) -> Strategy | None:
    return _REGISTRY.get(name)


def names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def _d(value: float) -> Decimal:
    return Decimal(str(value))


def _with_unit(value: Decimal | float, unit: str) -> str:
    text = decimal_text(value, VALUE_PLACES)
    if not unit:
        return text
    return f"{text} {unit}" if unit[0].isascii() and unit[0].isalpha() else f"{text}{unit}"


class WeightedRequiredOptional:
    """GB/T 36132-2018: 必选 items share ``required_share`` of their group's points, 可选 items
    the rest, each by weight; a number scores between baseline and leading value (STANDARDS.md
    §3). Group points = group weight × earned share of the group; total = Σ group points.
    Every 必选 item must be met for the designation (GB/T 36132-2018, 必选要求).
    """

    name = "weighted_required_optional"

    def allocate(self, groups, indicators, parameters, where):
        if "required_share" not in parameters:
            raise GuidelineError(f"{where}：评分方法 {self.name} 需要参数 required_share")
        required_share = _d(parameters["required_share"].value)
        if not 0 <= required_share <= 1:
            raise GuidelineError(f"{where}：required_share 应在 0 与 1 之间")
        points: dict[str, Decimal] = {}
        for group in groups:
            members = [i for i in indicators if i.group == group.id]
            required = [i for i in members if i.required and i.type != "text"]
            optional = [i for i in members if not i.required and i.type != "text"]
            required_weight = sum((_d(i.weight) for i in required), Decimal(0))
            optional_weight = sum((_d(i.weight) for i in optional), Decimal(0))
            if required_weight + optional_weight == 0:
                raise GuidelineError(f"{where}：指标组 {group.id} 没有计分的指标")
            share = required_share if required_weight and optional_weight else (
                Decimal(1) if required_weight else Decimal(0))
            pools = (
                (required, required_weight, _d(group.points) * share),
                (optional, optional_weight, _d(group.points) * (1 - share)),
            )
            for items, weight, pool in pools:
                for item in items:
                    points[item.id] = pool * _d(item.weight) / weight
            for item in members:
                points.setdefault(item.id, Decimal(0))
        return points

    def score(self, guideline, answers):
        results: list[IndicatorResult] = []
        unmet: list[IndicatorResult] = []
        missing: list[str] = []
        groups: list[GroupResult] = []
        total = Decimal(0)
        for group in guideline.groups:
            earned = possible = Decimal(0)
            for indicator in guideline.group_indicators(group.id):
                answer = answers.get(indicator.id) or Answer(_MISSING)
                result, points, met = score_indicator(guideline, indicator, answer)
                results.append(result)
                earned += points
                possible += _d(indicator.points)
                if indicator.required and answer.reading.status == "missing":
                    missing.append(indicator.id)
                elif indicator.required and not met:
                    unmet.append(result)
            share = earned / possible if possible else Decimal(0)
            group_points = _d(group.points) * share
            total += group_points
            groups.append(GroupResult(
                id=group.id,
                name=group.name,
                points_max=group.points,
                points=as_float(group_points, POINT_PLACES),
                share=as_float(share, SHARE_PLACES),
            ))
        return Scoresheet(tuple(results), tuple(groups), total, tuple(unmet), tuple(missing))


def score_indicator(guideline: Guideline, indicator: Indicator,
                    answer: Answer) -> tuple[IndicatorResult, Decimal, bool]:
    """One indicator's result, its exact points, and whether it is met (for required items)."""
    maximum = _d(indicator.points)
    if indicator.type == "boolean":
        rule, points, met, why = _boolean(guideline, indicator, answer, maximum)
    elif indicator.type == "number":
        rule, points, met, why = _number(guideline, indicator, answer, maximum)
    else:
        rule, points, met, why = _text(indicator, answer)
    reading = answer.reading
    if indicator.type != "text" and reading.status == "given" and (points > 0 or met):
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
    return result, points, met


def _required_clause(guideline: Guideline) -> str:
    return f"此项为必选要求，按{guideline.source}，必选要求须全部满足方可评为{guideline.designation}。"


def _boolean(guideline, indicator, answer, maximum):
    points_text = decimal_text(maximum, POINT_PLACES)
    reading = answer.reading
    if indicator.required:
        rule = f"必选要求：满足得 {points_text} 分；不满足则不能评为{guideline.designation}。"
    else:
        rule = f"可选要求：满足加 {points_text} 分，不满足不加分。"
    if reading.status == "given" and reading.value:
        kind = "必选" if indicator.required else "可选"
        return rule, maximum, True, f"已满足{kind}要求，得 {points_text} 分。"
    if reading.status == "given":
        why = "填报为不满足，得 0 分。"
    elif reading.status == "missing":
        why = "未填写，按未满足计，得 0 分。"
    else:
        why = f"填写内容“{reading.shown}”无法识别（应为“满足”或“不满足”），按未满足计，得 0 分。"
    if indicator.required:
        why += _required_clause(guideline)
    return rule, Decimal(0), False, why


def _number(guideline, indicator, answer, maximum):
    baseline, leading = _d(indicator.baseline), _d(indicator.leading)
    unit = indicator.unit
    points_text = decimal_text(maximum, POINT_PLACES)
    better = "越高越好" if leading > baseline else "越低越好"
    rule = (f"数值{better}：未优于基准值 {_with_unit(baseline, unit)} 得 0 分，达到引领值 "
            f"{_with_unit(leading, unit)} 得满分 {points_text} 分，其间按线性插值计分。")
    if indicator.required:
        rule += f"必选要求：须达到基准值，否则不能评为{guideline.designation}。"
    reading = answer.reading
    if reading.status != "given":
        why = ("未填写，得 0 分。" if reading.status == "missing"
               else f"数值无法识别（填写内容“{reading.shown}”），得 0 分。")
        if indicator.required:
            why += _required_clause(guideline)
        return rule, Decimal(0), False, why

    value = reading.value
    fraction = baseline_leading_fraction(value, baseline, leading)
    points = maximum * fraction
    shown = _with_unit(value, unit)
    why = "申报时未填写，按能源数据计算（见计算过程）。" if answer.calculated else ""
    label = "计算值" if answer.calculated else "申报值"
    baseline_text, leading_text = _with_unit(baseline, unit), _with_unit(leading, unit)
    if fraction == 1:
        why += f"{label} {shown} 达到引领值 {leading_text}，得满分 {points_text} 分。"
    elif fraction == 0:
        why += f"{label} {shown} 未优于基准值 {baseline_text}，得 0 分。"
    else:
        why += (f"{label} {shown} 介于基准值 {baseline_text} 与引领值 {leading_text} 之间，"
                f"按线性插值得 {decimal_text(points, POINT_PLACES)} 分（满分 {points_text} 分）。")
    if answer.calculated_value is not None and not answer.calculated:
        why += f"按申报的能源数据计算为 {_with_unit(answer.calculated_value, unit)}，请核对。"
    met = reaches_baseline(value, baseline, leading)
    if indicator.required and not met:
        why += _required_clause(guideline)
    return rule, points, met, why


def _text(indicator, answer):
    rule = "文字信息，不计分，供专家评审参考。"
    reading = answer.reading
    if reading.status == "given":
        return rule, Decimal(0), True, f"已填写：{reading.value}。"
    if reading.status == "missing":
        why = "未填写。" + ("此项为必填项。" if indicator.required else "")
        return rule, Decimal(0), False, why
    allowed = f"（可选范围：{'、'.join(indicator.options)}）" if indicator.options else ""
    return rule, Decimal(0), False, f"填写内容“{reading.shown}”无法识别{allowed}。"


_MISSING = Reading("missing")

register(WeightedRequiredOptional())
