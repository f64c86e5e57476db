"""``additive_points``: MIIT 绿色供应链管理评价要求 (STANDARDS.md §5 [C]).

A 100-point table: a yes/no item earns its points when met; a quantitative item is pro-rated
against its 引领值 (a 60 % 产品回收率 against 100 % earns 60 % of its 5 points); the total is
the sum. A required item must be answered; answered "no" it scores 0 but does not block.
"""
from __future__ import annotations

from evaluators.strategies.points import PointsStrategy


class AdditivePoints(PointsStrategy):
    name = "additive_points"
    title = "逐项累加计分（定量指标按引领值折算）"
    number_rule = "ratio"
    must_meet_types = frozenset()
