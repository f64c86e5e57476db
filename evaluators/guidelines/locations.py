"""Where a value sits in a guideline data file, for error messages a bureau can act on.

tomllib reports syntax errors with line numbers but forgets lines once parsed; a semantic error
(a missing ``points`` on an indicator) is located by scanning the text for the entry's table
header: the n-th ``[[indicators]]`` header starts the n-th indicator, and a field is the first
``name =`` line before the next header.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from evaluators.errors import GuidelineError

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")

Step = tuple[str, int | None]  # a table name and, for an array of tables, the entry's index


@dataclass(frozen=True)
class Header:
    line: int
    name: str  # dotted, e.g. "indicators.bands"
    array: bool


@dataclass(frozen=True)
class SourceText:
    """A guideline file's name (as shown in messages) and, when read from disk, its text."""

    label: str
    text: str | None = None

    @cached_property
    def _lines(self) -> tuple[str, ...]:
        return tuple((self.text or "").splitlines())

    @cached_property
    def _headers(self) -> tuple[Header, ...]:
        headers = []
        for number, line in enumerate(self._lines, start=1):
            match = _HEADER.match(line)
            if match:
                headers.append(Header(number, match.group(2), match.group(1) == "[["))
        return tuple(headers)

    def span(self, path: tuple[Step, ...]) -> tuple[int, int] | None:
        """First and last line (1-based) of the table at ``path``; None when not found.

        The root table spans the lines before the first header.
        """
        if self.text is None:
            return None
        start, end = 1, len(self._lines)
        prefix = ""
        first_header = self._headers[0].line if self._headers else end + 1
        if not path:
            return 1, first_header - 1
        candidates = [h for h in self._headers if start <= h.line <= end]
        for name, index in path:
            full = f"{prefix}{name}"
            matches = [h for h in candidates if h.name == full and h.array == (index is not None)]
            position = index or 0
            if position >= len(matches):
                return None
            header = matches[position]
            following = [h for h in candidates if h.line > header.line
                         and not h.name.startswith(full + ".")]
            start = header.line
            end = following[0].line - 1 if following else end
            candidates = [h for h in candidates if start < h.line <= end]
            prefix = full + "."
        return start, end

    def field_line(self, path: tuple[Step, ...], name: str) -> int | None:
        """The line of ``name = ...`` directly in the table at ``path``."""
        span = self.span(path)
        if span is None:
            return None
        start, end = span
        pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for number in range(start, end + 1):
            line = self._lines[number - 1]
            if number > start and _HEADER.match(line):
                return None
            if pattern.match(line):
                return number
        return None


@dataclass(frozen=True)
class Place:
    """A table in a guideline file: ``[guideline]``, ``[[indicators]]`` number 3, ..."""

    source: SourceText
    path: tuple[Step, ...] = ()
    entry_id: str | None = field(default=None)

    def child(self, name: str, index: int | None = None, entry_id: str | None = None) -> Place:
        return Place(self.source, (*self.path, (name, index)), entry_id)

    def identified(self, entry_id: object) -> Place:
        return Place(self.source, self.path, entry_id if isinstance(entry_id, str) else None)

    @property
    def table(self) -> str:
        """The table as written in TOML: ``[[indicators]]``, ``[scoring.required_share]``."""
        if not self.path:
            return "文件顶层"
        name = ".".join(step for step, _ in self.path)
        return f"[[{name}]]" if self.path[-1][1] is not None else f"[{name}]"

    def describe(self, field_name: str | None = None) -> str:
        span = self.source.span(self.path)
        parts = [f"评价导则文件 {self.source.label}"]
        if span is not None and self.path:
            parts.append(f"第{span[0]}行起的 {self.table}")
        else:
            parts.append(self.table)
        if self.entry_id is not None:
            parts[-1] += f"（id = \"{self.entry_id}\"）"
        if field_name is not None:
            line = self.source.field_line(self.path, field_name)
            parts.append(f"字段 {field_name}" + (f"（第{line}行）" if line else ""))
        return "，".join(parts)

    def error(self, field_name: str | None, problem: str) -> GuidelineError:
        span = self.source.span(self.path)
        line = self.source.field_line(self.path, field_name) if field_name else None
        return GuidelineError(
            f"{self.describe(field_name)}：{problem}",
            file=self.source.label,
            line=line or (span[0] if span else None),
            entry_line=span[0] if span else None,
            table=self.table,
            entry_id=self.entry_id,
            field=field_name,
        )
