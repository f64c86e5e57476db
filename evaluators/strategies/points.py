"""Scoring one data year item by item, shared by every strategy; and explicit points.

A strategy says how numbers are scored (``number_rule``) and which required items must be met
rather than merely answered (``must_meet_types``); this module walks the groups, adds the
points and says why any required item blocks the designation.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from evaluators.strategies.base import Inputs, Scoresheet, YearInputs
from evaluators.strategies.items import (
    MISSING,
    POINT_PLACES,
    SHARE_PLACES,
    NumberRule,
    d,
    score_item,
)
from evaluators.messages import Joined, Text, message
from evaluators.trace import GroupResult, IndicatorResult
from evaluators.values import as_float, decimal_text

if TYPE_CHECKING:
    from evaluators.guidelines.definition import Group, Guideline, Indicator, Parameter
    from evaluators.guidelines.locations import Place


@dataclass(frozen=True)
class YearSheet:
    """One year's results with exact points, before any rounding for the trace."""

    year: int | None
    indicators: tuple[IndicatorResult, ...]
    points: Mapping[str, Decimal]  # by indicator id
    group_points: Mapping[str, Decimal]  # by group id
    total: Decimal
    unmet: tuple[str, ...]  # required items answered but not met (must-meet items only)
    missing: tuple[str, ...]  # required items left blank or unreadable


class PointsStrategy:
    """Base of the registered strategies: group points = group weight × earned share."""

    name = ""
    title = ""
    number_rule: NumberRule = "interpolate"
    must_meet_types: frozenset[str] = frozenset()

    def years_required(self, guideline: Guideline) -> int:
        return 1

    def allocate(self, groups: Sequence[Group], indicators: Sequence[Indicator],
                 parameters: Mapping[str, Parameter], place: Place) -> dict[str, Decimal]:
        return self.explicit_points(groups, indicators)

    def check_indicator(self, indicator: Indicator) -> None:
        """Refuse a number this strategy cannot score."""
        if indicator.type != "number":
            return
        if self.number_rule == "interpolate" and not indicator.bands and indicator.baseline is None:
            raise indicator.place.error("baseline", "按基准值与引领值插值计分的数值指标缺少基准值 baseline")
        if indicator.product_limits and self.number_rule != "interpolate":
            raise indicator.place.error("product_limits", f"评分方法 {self.name} 不支持按能耗限额评价")
        if self.number_rule == "ratio":
            if indicator.bands:
                raise indicator.place.error("bands", f"评分方法 {self.name} 按引领值比值计分，不支持分档")
            if indicator.leading is None or indicator.leading <= 0:
                raise indicator.place.error("leading", "按比值计分的引领值应大于 0")

    def explicit_points(self, groups: Sequence[Group],
                        indicators: Sequence[Indicator]) -> dict[str, Decimal]:
        """Points written on each indicator; a group's indicators must add up to its points."""
        points: dict[str, Decimal] = {}
        for indicator in indicators:
            self.check_indicator(indicator)
            unscored = indicator.type == "text" and not indicator.scored_levels
            if indicator.points < 0:
                if unscored:
                    points[indicator.id] = Decimal(0)
                    continue
                raise indicator.place.error(
                    "points", f"缺少字段 points（评分方法 {self.name} 要求逐项写明分值）")
            if unscored and indicator.points != 0:
                raise indicator.place.error("points", "不计分的文字指标 points 应为 0")
            points[indicator.id] = d(indicator.points)
        for group in groups:
            total = sum((points[i.id] for i in indicators if i.group == group.id), Decimal(0))
            if total != d(group.points):
                raise group.place.error(
                    "points", f"指标组分值 {decimal_text(d(group.points))} 与其指标分值之和 "
                    f"{decimal_text(total)} 不一致")
        return points

    def must_meet(self, indicator: Indicator) -> bool:
        return indicator.type in self.must_meet_types

    def score(self, guideline: Guideline, inputs: Inputs) -> Scoresheet:
        sheet = self.score_year(guideline, inputs.current)
        groups = tuple(group_result(g, sheet.group_points[g.id]) for g in guideline.groups)
        return Scoresheet(
            indicators=sheet.indicators,
            groups=groups,
            total=sheet.total,
            reasons=self.reasons(guideline, sheet.unmet, {i: () for i in sheet.missing}),
            missing=sheet.missing,
        )

    def score_year(self, guideline: Guideline, year: YearInputs) -> YearSheet:
        results: list[IndicatorResult] = []
        points: dict[str, Decimal] = {}
        group_points: dict[str, Decimal] = {}
        unmet: list[str] = []
        missing: list[str] = []
        total = Decimal(0)
        for group in guideline.groups:
            earned = possible = Decimal(0)
            for indicator in guideline.group_indicators(group.id):
                answer = year.answers.get(indicator.id) or MISSING
                must_meet = self.must_meet(indicator)
                result, earned_here, item = score_item(
                    guideline, indicator, answer, number_rule=self.number_rule,
                    must_meet=must_meet, figures=year.figures,
                    products=year.products)
                results.append(result)
                points[indicator.id] = earned_here
                earned += earned_here
                possible += d(indicator.points)
                if indicator.required and not item.met:
                    blank = answer.reading.status == "missing" or not must_meet
                    (missing if blank else unmet).append(indicator.id)
            group_points[group.id] = d(group.points) * earned / possible if possible else Decimal(0)
            total += group_points[group.id]
        return YearSheet(year.year, tuple(results), points, group_points, total,
                         tuple(unmet), tuple(missing))

    def reasons(self, guideline: Guideline, unmet: Sequence[str],
                missing: Mapping[str, Sequence[int | None]]) -> tuple[str, ...]:
        """Why the scored part blocks the designation; ``missing`` maps ids to the years."""
        by_id = {i.id: i for i in guideline.indicators}
        groups = {g.id: g.name for g in guideline.groups}

        def where(item: Indicator) -> Text:
            group = groups[item.group]
            return message("%(group)s／%(criterion)s——%(indicator)s", group=group,
                           criterion=item.criterion, indicator=item.name) if item.criterion else (
                message("%(group)s——%(indicator)s", group=group, indicator=item.name))

        reasons = [message("必选要求未满足：%(item)s", item=where(by_id[i])) for i in unmet]
        for indicator_id, years in missing.items():
            item = by_id[indicator_id]
            when = Joined(tuple(message("%(year)s年", year=str(y)) for y in years if y is not None))
            if self.must_meet(item):
                reasons.append(message("必选要求未填写：%(item)s（%(years)s）", item=where(item), years=when)
                               if when.items else message("必选要求未填写：%(item)s", item=where(item)))
            else:
                reasons.append(message("必填项未填写：%(item)s（%(years)s）", item=where(item), years=when)
                               if when.items else message("必填项未填写：%(item)s", item=where(item)))
        return tuple(reasons)


def group_result(group: Group, points: Decimal) -> GroupResult:
    share = points / d(group.points)
    return GroupResult(
        id=group.id,
        name=group.name,
        points_max=group.points,
        points=as_float(points, POINT_PLACES),
        share=as_float(share, SHARE_PLACES),
    )
