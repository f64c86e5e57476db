"""Reference tables (参考数据): dated TOML files packaged beside this module.

Each table names its source and confidence (STANDARDS.md tags [C]/[S]/[U] as ``confirmed`` /
``secondary`` / ``unconfirmed``). Floats are read as :class:`~decimal.Decimal` so that worked
examples come out exact (1 000 000 kWh × 0.1229 = 122 900 kgce, not 122 899.999…).
"""
from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

CONFIDENCES = ("confirmed", "secondary", "unconfirmed")


class ReferenceError(LookupError):
    """A reference table is absent or malformed (a packaging fault, not a user error)."""


@lru_cache(maxsize=None)
def read_table(name: str) -> dict[str, Any]:
    """The parsed table ``<name>.toml``; callers must not mutate it."""
    resource = resources.files(__name__).joinpath(f"{name}.toml")
    if not resource.is_file():
        raise ReferenceError(f"参考数据表 {name} 不存在")
    with resource.open("rb") as handle:
        table = tomllib.load(handle, parse_float=Decimal)
    meta = table.get("table", {})
    if meta.get("confidence") not in CONFIDENCES or not meta.get("source"):
        raise ReferenceError(f"参考数据表 {name} 缺少来源或可信度")
    return table


def number(value: Any) -> Decimal:
    """A number from a table as Decimal (TOML integers arrive as int)."""
    return value if isinstance(value, Decimal) else Decimal(value)
