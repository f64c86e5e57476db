"""Sentences the system composes (说明文字), kept as a message id and its values.

An explanation such as “申报值 12.5% 达到引领值 10%，得满分 5 分。” is written as its Chinese
template, the message id of the translation catalogue, with its values:
``message("%(label)s %(value)s 达到引领值 %(leading)s，得满分 %(points)s 分。", ...)``. The result
is a :class:`Text`: a ``str`` holding the Chinese sentence as before (for the e-mails, the PDF,
the exports and the API), which still knows its messages, so that a page can show it in the
reader's language (``web.i18n.message``) with the numbers written in the reader's conventions.

Values: text (user data, names from the guideline files: shown as given), numbers
(:class:`Number`), amounts with a unit (:class:`Quantity`), days (:class:`Day`), lists
(:class:`Joined`) and other messages (a word such as “申报值” is ``message("申报值")``, messages
stored before are :class:`Stored`).
``encode`` gives the messages as JSON; ``chinese`` writes encoded messages back in Chinese.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Union

from evaluators.values import decimal_text


class Number:
    """A number, rounded to ``places`` decimals when given."""

    __slots__ = ("value", "places", "text")

    def __init__(self, value: Decimal | float | int, places: int | None = None) -> None:
        self.value, self.places = value, places
        self.text = decimal_text(value, places)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Number({self.text})"

    def to_json(self) -> float | int:
        # `text` (decimal_text) has a point only when the number is not whole, and no exponent, so
        # the text itself tells: read as the Decimal of it would be, without making one.
        if "." in self.text:
            return float(self.text)
        value = int(self.text)
        return value if abs(value) < 2**53 else float(value)


class Quantity:
    """An amount and its unit: “12.5 kgce/万元”, “30%”."""

    __slots__ = ("number", "unit")

    def __init__(self, value: Decimal | float | int, unit: str, places: int | None = None) -> None:
        self.number, self.unit = Number(value, places), unit

    def __str__(self) -> str:
        return with_unit(self.number.text, self.unit)

    def __repr__(self) -> str:
        return f"Quantity({self})"

    def to_json(self) -> dict[str, Any]:
        return {"value": self.number.to_json(), "unit": self.unit}


@dataclass(frozen=True)
class Day:
    """A calendar day: “2026年1月5日”, or “1月5日” without the year."""

    day: datetime.date
    year: bool = True

    def __str__(self) -> str:
        return day_text(self.day.isoformat(), self.year)

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "year": self.year}


@dataclass(frozen=True)
class Joined:
    """Several values in a row, joined by “、” (or “；”)."""

    items: tuple[Value, ...]
    separator: str = "、"

    def __str__(self) -> str:
        return self.separator.join(str(item) for item in self.items)

    def to_json(self) -> dict[str, Any]:
        return {"join": [_json(item) for item in self.items], "separator": self.separator}


@dataclass(frozen=True)
class Stored:
    """Messages stored before (``encode``), taken up in a new message: an evaluation's reasons in a
    notification."""

    encoded: tuple[Any, ...]

    def __str__(self) -> str:
        return chinese(list(self.encoded))

    def to_json(self) -> dict[str, Any]:
        return {"text": list(self.encoded)}


Value = Union[str, int, float, Decimal, Number, Quantity, Day, Joined, Stored, "Text"]


class Message:
    """One message: its Chinese template (the message id) and the values of its placeholders."""

    __slots__ = ("id", "values", "text", "_encoded")

    def __init__(self, id: str, values: tuple[tuple[str, Value], ...] = ()) -> None:  # noqa: A002
        self.id, self.values = id, values
        # the Chinese sentence, written once
        self.text = id % {name: str(value) for name, value in values} if values else id
        self._encoded: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Message({self.text!r})"

    def to_dict(self) -> dict[str, Any]:
        if self._encoded is None:  # a message shared by several texts is encoded once
            self._encoded = ({"id": self.id, "values": {name: _json(value) for name, value in self.values}}
                             if self.values else {"id": self.id})
        return self._encoded


class Text(str):
    """Chinese text composed of messages, one after the other; adding text keeps them."""

    parts: tuple[Message, ...]

    def __new__(cls, parts: Iterable[Message] = ()) -> Text:
        parts = tuple(parts)
        text = super().__new__(cls, parts[0].text if len(parts) == 1 else "".join(p.text for p in parts))
        text.parts = parts
        return text

    def __add__(self, other: str) -> Text:  # type: ignore[override]
        return Text(self.parts + _parts(other))

    def __radd__(self, other: str) -> Text:
        return Text(_parts(other) + self.parts)

    def __reduce__(self) -> tuple[Any, ...]:
        return Text, (self.parts,)


def message(template: str, **values: Value) -> Text:
    """The message ``template`` (Chinese, with ``%(name)s`` placeholders) filled in with ``values``."""
    if not values:  # a fixed sentence or word: one for the process
        fixed = _FIXED.get(template)
        if fixed is None:
            fixed = _FIXED[template] = Text((Message(template),))
        return fixed
    return Text((Message(template, tuple(values.items())),))


_FIXED: dict[str, Text] = {}


def joined(texts: Iterable[str], separator: str) -> Text:
    """Texts joined by a separator (“；”), each keeping its messages."""
    result = Text()
    for number, text in enumerate(texts):
        result = result + (Text((Message(separator),)) + text if number else text)
    return result


def encode(text: str) -> list[dict[str, Any]]:
    """The messages of ``text`` as JSON; a text composed without messages has none."""
    return [part.to_dict() for part in text.parts] if isinstance(text, Text) else []


def encode_all(texts: Sequence[str]) -> list[list[dict[str, Any]]]:
    return [encode(text) for text in texts]


def chinese(encoded: Any) -> str:
    """Encoded messages (or a value of one) written in Chinese again."""
    if isinstance(encoded, list):
        return "".join(chinese(part) for part in encoded)
    if isinstance(encoded, Mapping):
        if "id" in encoded:
            values = encoded.get("values") or {}
            return encoded["id"] % {k: chinese(v) for k, v in values.items()} if values else encoded["id"]
        if "join" in encoded:
            return str(encoded.get("separator", "、")).join(chinese(v) for v in encoded["join"])
        if "unit" in encoded:
            return with_unit(decimal_text(encoded["value"]), encoded["unit"])
        if "day" in encoded:
            return day_text(encoded["day"], encoded.get("year", True))
        if "text" in encoded:
            return chinese(encoded["text"])
    if isinstance(encoded, bool) or encoded is None:
        return str(encoded or "")
    if isinstance(encoded, (int, float)):
        return decimal_text(encoded)
    return str(encoded)


def with_unit(number: str, unit: str) -> str:
    """A number and its unit: a space before a Latin unit (“12.5 kgce/万元”), none before “%” or “万元”."""
    if not unit:
        return number
    return f"{number} {unit}" if unit[0].isascii() and unit[0].isalpha() else f"{number}{unit}"


def day_text(iso: str, year: bool = True) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"


def _parts(text: str) -> tuple[Message, ...]:
    if isinstance(text, Text):
        return text.parts
    return (Message(text),) if text else ()


def _json(value: Value) -> Any:
    if isinstance(value, Text):
        return value.parts[0].to_dict() if len(value.parts) == 1 else {"text": encode(value)}
    if isinstance(value, (Number, Quantity, Day, Joined, Stored)):
        return value.to_json()
    if isinstance(value, Decimal):
        return Number(value).to_json()
    return value
