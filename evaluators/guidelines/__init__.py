"""Guideline versions (评价导则): one TOML data file per version, packaged beside this module.

``available()`` lists them; ``load(key)`` reads, checks and caches one. An application keeps
the guideline version it was submitted under for life (STANDARDS.md, rule for the code).
"""
from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from evaluators.errors import GuidelineError
from evaluators.guidelines.definition import (
    Group,
    Guideline,
    GuidelineInfo,
    Indicator,
    Parameter,
    Requirement,
    Veto,
    parse,
)

__all__ = [
    "Group",
    "Guideline",
    "GuidelineError",
    "GuidelineInfo",
    "Indicator",
    "Parameter",
    "Requirement",
    "Veto",
    "available",
    "load",
    "parse",
]

_SUFFIX = ".toml"


@lru_cache(maxsize=1)
def _keys() -> tuple[str, ...]:
    names = (entry.name for entry in resources.files(__name__).iterdir() if entry.is_file())
    return tuple(sorted(name[: -len(_SUFFIX)] for name in names if name.endswith(_SUFFIX)))


def available() -> list[GuidelineInfo]:
    """Every packaged guideline version, by key."""
    return [load(key).info for key in _keys()]


def load(key: str) -> Guideline:
    """The guideline with this key; GuidelineError if there is none."""
    if not isinstance(key, str) or key not in _keys():
        raise GuidelineError(f"评价导则“{key}”不存在")
    return _load(key)


@lru_cache(maxsize=None)
def _load(key: str) -> Guideline:
    with resources.files(__name__).joinpath(key + _SUFFIX).open("rb") as handle:
        try:
            data = tomllib.load(handle, parse_float=Decimal)
        except tomllib.TOMLDecodeError as error:
            raise GuidelineError(f"评价导则 {key} 的数据文件格式错误：{error}") from error
    return parse(data, expected_key=key)
