"""统一社会信用代码, GB 32100-2015 (STANDARDS.md §8).

Alphabet 0–9 A–Y without I O S V Z: value(M) = 21, value(Y) = 30.
Worked example, the standard's sample 91350100M000100Y43:
  Σ = 9·1 + 1·3 + 3·9 + 5·27 + 0·19 + 1·26 + 0·16 + 0·17 + 21·20 + 0·29 + 0·25 + 0·13
      + 1·8 + 0·24 + 0·10 + 30·30 + 4·28 = 1640;  1640 mod 31 = 28;  31 − 28 = 3 → "3".
Modulus case: first 16 of the sample give 1528 (≡ 9); a 17th "3" adds 3·28 = 84 → 1612 = 31·52,
  so check = 31 → "0".
"""
import pytest

from evaluators import uscc_check_character, uscc_problem


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",   # the standard's own sample
    "91350100m000100y43",   # lower case is read as upper case
    "91350100M000100Y30",   # check value 31 → "0"
])
def test_valid_codes(code):
    assert uscc_problem(code) is None


@pytest.mark.parametrize(("code", "problem"), [
    ("91350100M000100Y4", "统一社会信用代码应为18位，当前为17位"),
    ("91350100M000100Y433", "统一社会信用代码应为18位，当前为19位"),
    ("", "统一社会信用代码应为18位，当前为0位"),
    ("91350100I000100Y43", "第9位字符“I”不在允许的字符集中（不含I、O、S、V、Z）"),
    ("9135010OM000100Y43", "第8位字符“O”不在允许的字符集中（不含I、O、S、V、Z）"),
    ("91350100M000100Y4-", "第18位字符“-”不在允许的字符集中（不含I、O、S、V、Z）"),
    ("91A50100M000100Y43", "第3–8位应为行政区划代码（数字），第3位为“A”"),
    ("913501A0M000100Y43", "第3–8位应为行政区划代码（数字），第7位为“A”"),
    ("91350100M000100Y44", "校验码错误：第18位应为“3”，实际为“4”"),
    ("91350100M000100Y3A", "校验码错误：第18位应为“0”，实际为“A”"),
])
def test_invalid_codes(code, problem):
    assert uscc_problem(code) == problem


@pytest.mark.parametrize("value", [None, 91350100, ["91350100M000100Y43"]])
def test_non_text_is_a_problem_not_an_error(value):
    assert uscc_problem(value) == "统一社会信用代码应为文字"


@pytest.mark.parametrize(("first17", "check"), [
    ("91350100M000100Y4", "3"),
    ("91350100M000100Y3", "0"),
])
def test_check_character(first17, check):
    assert uscc_check_character(first17) == check


def test_check_character_makes_valid_codes_for_test_data():
    for body in ("91330110MA2B3C4D5", "91340800000000000", "12330000470000123"):
        assert uscc_problem(body + uscc_check_character(body)) is None


def test_check_character_refuses_a_bad_body():
    with pytest.raises(ValueError):
        uscc_check_character("91350100I000100Y4")
