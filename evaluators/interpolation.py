"""Scoring a number between a baseline (基准值) and a leading value (引领值).

STANDARDS.md §3 (GB/T 36132-2025 practice, exact interpolation [U]): piecewise-linear — for a
higher-is-better indicator 0 at or below the baseline, full at or above the leading value,
linear between; lower-is-better mirrored. The direction follows from which side the leading
value lies on.
"""
from __future__ import annotations

from decimal import Decimal


def baseline_leading_fraction(value: Decimal, baseline: Decimal, leading: Decimal) -> Decimal:
    """The share of the indicator's points earned, 0–1."""
    fraction = (value - baseline) / (leading - baseline)
    return min(Decimal(1), max(Decimal(0), fraction))


def reaches_baseline(value: Decimal, baseline: Decimal, leading: Decimal) -> bool:
    """Whether the value is at least as good as the baseline."""
    return value >= baseline if leading > baseline else value <= baseline
