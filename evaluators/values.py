"""Reading submitted values (申报值).

Values arrive from web forms and JSON, so they may be strings ("12.5", "", "是"), numbers,
booleans or anything else. Nothing here raises: a value is either read, missing (None or blank)
or unreadable, and the caller explains which.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any, Literal

Status = Literal["given", "missing", "invalid"]

# Words accepted for yes/no answers (checkboxes send "on"; Chinese forms send 是/否, 满足/不满足).
_TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on", "是", "满足", "符合", "有", "已满足"})
_FALSE_WORDS = frozenset({"false", "0", "no", "n", "off", "否", "不满足", "不符合", "无", "未满足"})

# Digits a form value may carry: larger or finer numbers are typing errors, and keeping them
# out keeps every later product exact in Decimal and finite as float.
_LARGEST_EXPONENT = 15
_SMALLEST_EXPONENT = -12
_LONGEST_TEXT = 2000


@dataclass(frozen=True)
class Reading:
    """One submitted value: ``value`` is bool, Decimal or str when ``status`` is "given"."""

    status: Status
    value: bool | Decimal | str | None = None
    shown: bool | int | float | str | None = None  # what the applicant entered, JSON-safe


def blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def shown(raw: Any) -> bool | int | float | str | None:
    """A JSON-safe echo of what was entered, for the trace."""
    if raw is None or isinstance(raw, bool) or isinstance(raw, str):
        return raw[:_LONGEST_TEXT] if isinstance(raw, str) else raw
    if isinstance(raw, int):
        return raw if abs(raw) < 10**_LARGEST_EXPONENT else str(raw)[:40]
    if isinstance(raw, float):
        return raw if raw == raw and raw not in (float("inf"), float("-inf")) else str(raw)
    if isinstance(raw, Decimal):
        return str(raw)
    return None


def read_number(raw: Any) -> Reading:
    if blank(raw):
        return Reading("missing")
    if isinstance(raw, bool):
        return Reading("invalid", shown=raw)
    if isinstance(raw, (int, float, Decimal)):
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("，", "").removesuffix("%").strip()
    else:
        return Reading("invalid", shown=shown(raw))
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return Reading("invalid", shown=shown(raw))
    if not number.is_finite():
        return Reading("invalid", shown=shown(raw))
    if number and not _SMALLEST_EXPONENT <= number.adjusted() < _LARGEST_EXPONENT:
        return Reading("invalid", shown=shown(raw))
    return Reading("given", number, shown(raw))


def read_boolean(raw: Any) -> Reading:
    if blank(raw):
        return Reading("missing")
    if isinstance(raw, bool):
        return Reading("given", raw, raw)
    if isinstance(raw, int) and raw in (0, 1):
        return Reading("given", bool(raw), raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE_WORDS:
            return Reading("given", True, raw)
        if word in _FALSE_WORDS:
            return Reading("given", False, raw)
    return Reading("invalid", shown=shown(raw))


def read_text(raw: Any, options: tuple[str, ...] = ()) -> Reading:
    if blank(raw):
        return Reading("missing")
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        return Reading("invalid", shown=shown(raw))
    text = str(shown(raw)).strip()
    if options and text not in options:
        return Reading("invalid", shown=text)
    return Reading("given", text, text)


def read_year(raw: Any) -> int | None:
    """A four-digit calendar year, or None."""
    reading = read_number(raw)
    if reading.status != "given" or reading.value != reading.value.to_integral_value():
        return None
    year = int(reading.value)
    return year if len(str(year)) == 4 else None


def read_region(raw: Any) -> str | None:
    """A six-digit GB/T 2260 division code, or None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    code = raw.strip() if isinstance(raw, str) else ""
    if len(code) == 6 and code.isascii() and code.isdigit():
        return code
    return None


def decimal_text(number: Decimal | float | int, places: int | None = None) -> str:
    """A number written plainly for a Chinese sentence: 2.40 → "2.4", 1E+2 → "100"."""
    value = number if isinstance(number, Decimal) else Decimal(str(number))
    with localcontext() as context:
        context.prec = 80
        if places is not None:
            value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if value == value.to_integral_value():
            return f"{value.quantize(Decimal(1)):f}"
        return f"{value.normalize():f}"


def as_float(number: Decimal, places: int) -> float:
    """A Decimal rounded half-up to ``places`` decimals, as float for JSON."""
    with localcontext() as context:
        # Enough digits for any ratio of two readable values (see _LARGEST_EXPONENT).
        context.prec = 80
        return float(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Answer:
    """An indicator's reading with what the trace needs to explain it."""

    reading: Reading
    evidence: tuple[str, ...] = ()
    calculated: bool = False  # taken from the calculators because the applicant left it blank
    calculated_value: Decimal | None = None  # the calculators' figure, shown beside an entered one
