"""``weighted_required_optional``: GB/T 36132-2018 (绿色工厂评价通则).

必选 items share ``required_share`` of their group's points, 可选 items the rest, each by
weight; a number scores between baseline and leading value (STANDARDS.md §3). Group points =
group weight × earned share of the group; total = Σ group points. Every 必选 item must be met
for the designation — a required number must at least reach its baseline.
"""
from __future__ import annotations

from decimal import Decimal

from evaluators.strategies.items import d
from evaluators.strategies.points import PointsStrategy


class WeightedRequiredOptional(PointsStrategy):
    name = "weighted_required_optional"
    title = "必选要求与可选要求加权计分"
    number_rule = "interpolate"
    must_meet_types = frozenset({"boolean", "number"})

    def allocate(self, groups, indicators, parameters, place):
        if "required_share" not in parameters:
            raise place.child("scoring").error(
                "required_share", f"评分方法 {self.name} 需要参数 [scoring.required_share]")
        required_share = d(parameters["required_share"].value)
        if not 0 <= required_share <= 1:
            raise place.child("scoring").child("required_share").error(
                "value", "required_share 应在 0 与 1 之间")
        for indicator in indicators:
            self.check_indicator(indicator)
            if indicator.points >= 0:
                raise indicator.place.error(
                    "points", f"评分方法 {self.name} 按权重分配分值，请用 weight 而不是 points")
            if indicator.type == "number" and indicator.bands:
                raise indicator.place.error("bands", f"评分方法 {self.name} 不支持分档")
        points: dict[str, Decimal] = {}
        for group in groups:
            members = [i for i in indicators if i.group == group.id]
            required = [i for i in members if i.required and i.type != "text"]
            optional = [i for i in members if not i.required and i.type != "text"]
            required_weight = sum((d(i.weight) for i in required), Decimal(0))
            optional_weight = sum((d(i.weight) for i in optional), Decimal(0))
            if required_weight + optional_weight == 0:
                raise group.place.error("id", f"指标组 {group.id} 没有计分的指标")
            share = required_share if required_weight and optional_weight else (
                Decimal(1) if required_weight else Decimal(0))
            pools = (
                (required, required_weight, d(group.points) * share),
                (optional, optional_weight, d(group.points) * (1 - share)),
            )
            for items, weight, pool in pools:
                for item in items:
                    points[item.id] = pool * d(item.weight) / weight
            for item in members:
                points.setdefault(item.id, Decimal(0))
        return points
