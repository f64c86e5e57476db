"""``baseline_leading``: GB/T 36132-2025 (绿色工厂评价通则, 2025 edition).

Each indicator carries its points in the file; a group's indicators add up to the group's
points. A quantitative indicator scores piecewise-linearly between its 基准值 (0 points) and
引领值 (full points), lower-is-better mirrored (STANDARDS.md §3, exact interpolation [U]); an
indicator with bands (可再生能源利用率 by annual energy use) takes the band's values. A
qualitative indicator earns its points when met. A required yes/no item must be met for the
designation; a required number must be reported (or calculated) but below its baseline it only
scores 0 — the baseline is a scoring anchor, not a gate.
"""
from __future__ import annotations

from evaluators.strategies.points import PointsStrategy


class BaselineLeading(PointsStrategy):
    name = "baseline_leading"
    title = "基准值—引领值插值计分"
    number_rule = "interpolate"
    must_meet_types = frozenset({"boolean"})
