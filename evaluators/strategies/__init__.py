"""Scoring strategies (评分方法), registered by the name a guideline file gives in ``strategy``.

A strategy allots or checks each indicator's points when a guideline is loaded, and scores an
application's answers. Four are registered (ARCHITECTURE.md §6):

- ``weighted_required_optional`` — GB/T 36132-2018: weighted 必选/可选 points;
- ``baseline_leading`` — GB/T 36132-2025: interpolation between 基准值 and 引领值;
- ``ratio_to_leading_by_year`` — parks: ratio to 引领值, one score per year, averaged;
- ``additive_points`` — supply chains: additive points, quantitative items pro-rated.
"""
from __future__ import annotations

from evaluators.strategies.additive import AdditivePoints
from evaluators.strategies.base import (
    Inputs,
    ProductLimit,
    Scoresheet,
    Strategy,
    YearInputs,
    get,
    names,
    register,
)
from evaluators.strategies.baseline_leading import BaselineLeading
from evaluators.strategies.ratio_by_year import RatioToLeadingByYear
from evaluators.strategies.required_optional import WeightedRequiredOptional

for _strategy in (WeightedRequiredOptional(), BaselineLeading(), RatioToLeadingByYear(),
                  AdditivePoints()):
    register(_strategy)

__all__ = ["Inputs", "ProductLimit", "Scoresheet", "Strategy", "YearInputs", "get", "names",
           "register"]
