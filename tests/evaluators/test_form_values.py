"""Reading values that arrive from web forms (strings, blanks, anything JSON)."""
from decimal import Decimal

import pytest

from evaluators.values import read_boolean, read_number, read_region, read_text, read_year


@pytest.mark.parametrize(("raw", "status", "value"), [
    ("12.5", "given", Decimal("12.5")),
    (" 1,200 ", "given", Decimal("1200")),
    ("85%", "given", Decimal("85")),
    (3, "given", Decimal(3)),
    (0.5, "given", Decimal("0.5")),
    ("0", "given", Decimal(0)),
    ("", "missing", None),
    ("   ", "missing", None),
    (None, "missing", None),
    ("abc", "invalid", None),
    ("1e400", "invalid", None),
    ("nan", "invalid", None),
    ("Infinity", "invalid", None),
    (float("inf"), "invalid", None),
    (True, "invalid", None),
    ([1], "invalid", None),
    ({"a": 1}, "invalid", None),
    (10**40, "invalid", None),
])
def test_read_number(raw, status, value):
    reading = read_number(raw)
    assert (reading.status, reading.value) == (status, value)


@pytest.mark.parametrize(("raw", "status", "value"), [
    (True, "given", True),
    (False, "given", False),
    ("是", "given", True),
    ("否", "given", False),
    ("满足", "given", True),
    ("不满足", "given", False),
    ("on", "given", True),
    ("TRUE", "given", True),
    (1, "given", True),
    (0, "given", False),
    ("", "missing", None),
    (None, "missing", None),
    (2, "invalid", None),
    ("也许", "invalid", None),
    ([], "invalid", None),
])
def test_read_boolean(raw, status, value):
    reading = read_boolean(raw)
    assert (reading.status, reading.value) == (status, value)


def test_read_text_with_options():
    assert read_text("A", ("A", "B")).value == "A"
    assert read_text("C", ("A", "B")).status == "invalid"
    assert read_text({"x": 1}).status == "invalid"


@pytest.mark.parametrize(("raw", "year"), [
    (2025, 2025), ("2024", 2024), ("2024.0", 2024), ("2024.5", None), ("abc", None), (None, None),
    (99, None), (True, None),
])
def test_read_year(raw, year):
    assert read_year(raw) == year


@pytest.mark.parametrize(("raw", "region"), [
    ("330000", "330000"), (330106, "330106"), (" 340800 ", "340800"), ("33", None),
    ("３３００００", None), (True, None), (None, None),
])
def test_read_region(raw, region):
    assert read_region(raw) == region
