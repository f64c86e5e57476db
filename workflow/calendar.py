"""Working days on the official Chinese holiday calendar (国务院办公厅 节假日安排).

`chinese_calendar` knows the official holidays and make-up working days for the years it
ships; for a later year the count falls back to weekends only and says so, so that a notice
opened in December never crashes the tick (STACK.md).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkingDayCount:
    last_day: date
    warning: str = ""


def is_working_day(day: date, overrides: Mapping[date, bool] | None = None) -> tuple[bool, bool]:
    """(is it a working day, is that answer official): the admin's table first, then the package."""
    if overrides and day in overrides:
        return overrides[day], True
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, count: int, overrides: Mapping[date, bool] | None = None) -> WorkingDayCount:
    """The last day of a period of `count` working days beginning on `start` (inclusive)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    remaining = count
    unofficial: set[int] = set()
    while True:
        working, official = is_working_day(day, overrides)
        if not official:
            unofficial.add(day.year)
        if working:
            remaining -= 1
            if remaining == 0:
                break
        day += timedelta(days=1)
    warning = ""
    if unofficial:
        years = "、".join(str(y) for y in sorted(unofficial))
        warning = f"{years}年节假日安排尚未录入，工作日暂按周一至周五计算，请核对"
    return WorkingDayCount(day, warning)
