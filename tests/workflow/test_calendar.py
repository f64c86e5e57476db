"""Working days on the official holiday calendar (国务院办公厅 2026年节假日安排)."""
from __future__ import annotations

from datetime import date

import pytest

from workflow.calendar import add_working_days


@pytest.mark.parametrize(("start", "days", "last", "why"), [
    # Mon 28 Sep: 28, 29, 30 Sep, then the National Day holiday 1–7 Oct, then Thu 8, Fri 9 Oct.
    (date(2026, 9, 28), 5, date(2026, 10, 9), "国庆节假期不计"),
    # Fri 18 Sep (1), Sun 20 Sep is a make-up working day (2), Mon 21 Sep (3).
    (date(2026, 9, 18), 3, date(2026, 9, 21), "调休上班日计入"),
    # Sat 10 Oct is a make-up working day: Fri 9 (1), Sat 10 (2).
    (date(2026, 10, 9), 2, date(2026, 10, 10), "调休上班日计入"),
    # A plain week: Mon 23 Nov … Fri 27 Nov.
    (date(2026, 11, 23), 5, date(2026, 11, 27), "普通工作周"),
    # Starting on a Saturday: the period begins on Monday.
    (date(2026, 11, 21), 5, date(2026, 11, 27), "从周六开始"),
])
def test_official_calendar(start, days, last, why) -> None:
    counted = add_working_days(start, days)
    assert counted.last_day == last, why
    assert counted.warning == ""


def test_a_year_without_an_official_arrangement_falls_back_to_weekdays_and_says_so() -> None:
    counted = add_working_days(date(2026, 12, 28), 5)
    # Mon 28 … Thu 31 Dec (4), then 2027 is unknown: Fri 1 Jan counted as a weekday (5).
    assert counted.last_day == date(2027, 1, 1)
    assert "2027年节假日安排尚未录入" in counted.warning


def test_count_must_be_positive() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), 0)
