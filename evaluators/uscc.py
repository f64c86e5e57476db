"""统一社会信用代码 (unified social credit code) check, GB 32100-2015 (STANDARDS.md §8 [C]).

The alphabet, weights and modulus live in ``reference/uscc-gb32100-2015.toml``. The caller
strips spaces; lower-case letters are read as upper-case.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from evaluators.messages import Joined, message
from evaluators.reference import read_table

_TABLE = "uscc-gb32100-2015"


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    return read_table(_TABLE)["rules"]


def uscc_check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters.

    check = modulus − (Σ value(cᵢ) × wᵢ mod modulus), modulus → 0. Raises ValueError when the
    17 characters are not all in the alphabet (a programming error in test-data builders).
    """
    rules = _rules()
    alphabet, weights, modulus = rules["alphabet"], rules["weights"], rules["modulus"]
    body = first17.upper()
    if len(body) != len(weights) or any(c not in set(alphabet) for c in body):
        raise ValueError(f"需要{len(weights)}位且均在字符集 {alphabet} 中：{first17!r}")
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights))
    check = modulus - total % modulus
    return alphabet[0 if check == modulus else check]


def uscc_problem(code: Any) -> str | None:
    """None when the code is valid, otherwise a Chinese sentence saying what is wrong (a message of
    evaluators.messages, so that a page can show it in the reader's language)."""
    rules = _rules()
    length = rules["length"]
    if not isinstance(code, str):
        return message("统一社会信用代码应为文字")
    if len(code) != length:
        return message("统一社会信用代码应为%(length)s位，当前为%(actual)s位", length=length, actual=len(code))
    alphabet = rules["alphabet"]
    excluded = Joined(tuple(rules["excluded"]))
    for position, character in enumerate(code, start=1):
        if character.upper() not in set(alphabet):
            return message("第%(position)s位字符“%(character)s”不在允许的字符集中（不含%(excluded)s）",
                           position=position, character=character, excluded=excluded)
    code = code.upper()
    first, last = rules["division_code_from"], rules["division_code_to"]
    for position in range(first, last + 1):
        character = code[position - 1]
        if not character.isdigit():
            return message("第%(first)s–%(last)s位应为行政区划代码（数字），第%(position)s位为“%(character)s”",
                           first=first, last=last, position=position, character=character)
    expected = uscc_check_character(code[:-1])
    if code[-1] != expected:
        return message("校验码错误：第%(length)s位应为“%(expected)s”，实际为“%(actual)s”", length=length,
                       expected=expected, actual=code[-1])
    return None
