"""Errors the evaluators raise to their callers."""
from __future__ import annotations


class GuidelineError(LookupError):
    """An unknown guideline key, or a guideline data file that breaks the rules of its format.

    For a malformed file the attributes say where: the file, the line (of the field when it is
    present, else of the entry), the line where the entry starts, the table (``[[indicators]]``),
    the entry's id and the field.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 entry_line: int | None = None, table: str | None = None,
                 entry_id: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.entry_line = entry_line
        self.table = table
        self.entry_id = entry_id
        self.field = field

    def __str__(self) -> str:
        return self.message
