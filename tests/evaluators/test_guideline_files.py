"""A bureau adds a guideline version by adding a file; a malformed file is refused by line."""
import json
import textwrap

import pytest

import evaluators
from evaluators import GuidelineError, evaluate
from evaluators.guidelines import ENVIRONMENT_VARIABLE, load_file, problems

# A small Zhejiang-style factory guideline: two groups, explicit points, interpolation.
ZHEJIANG = textwrap.dedent('''\
    # 浙江省绿色低碳工厂建设评价导则（示例版本，供测试）
    [guideline]
    key = "factory-zj-2024"
    kind = "factory"
    title = "浙江省绿色低碳工厂建设评价导则（2024）"
    version = "ZJ-2024"
    designation = "浙江省绿色低碳工厂"
    strategy = "baseline_leading"
    source = "浙江省绿色低碳工厂建设评价导则（2024版）"
    calculators = ["energy", "carbon"]

    [guideline.default_pass_mark]
    value = 75
    unit = "分"
    source = "测试用合格线"
    confidence = "unconfirmed"

    [[groups]]
    id = "energy"
    name = "能源低碳化"
    points = 60
    source = "测试"
    confidence = "unconfirmed"

    [[groups]]
    id = "management"
    name = "管理"
    points = 40
    source = "测试"
    confidence = "unconfirmed"

    [[indicators]]
    id = "energy_per_output"
    group = "energy"
    name = "单位产值综合能耗"
    type = "number"
    required = true
    unit = "kgce/万元"
    direction = "lower"
    baseline = 100
    leading = 20
    points = 60
    derived_from = "kgce_per_10k_output"
    help = "按能源数据自动计算。"
    source = "测试"
    confidence = "unconfirmed"

    [[indicators]]
    id = "energy_management_system"
    group = "management"
    name = "建立能源管理体系"
    type = "boolean"
    required = true
    points = 40
    help = "上传能源管理体系认证证书。"
    source = "测试"
    confidence = "unconfirmed"

    [[vetoes]]
    id = "veto_dishonest_debtor"
    name = "失信被执行人"
    window_months = 36
    question = "近36个月内，是否被列入失信被执行人名单？"
    help = "如实作答。"
    source = "工信部节〔2024〕13号 第十五条（六）"
    confidence = "confirmed"
    ''')


@pytest.fixture
def bureau_dir(tmp_path, monkeypatch):
    directory = tmp_path / "guidelines"
    directory.mkdir()
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(directory))
    return directory


def test_a_new_file_is_a_new_version_without_code(bureau_dir):
    (bureau_dir / "factory-zj-2024.toml").write_text(ZHEJIANG, encoding="utf-8")
    keys = {info.key for info in evaluators.available()}
    assert "factory-zj-2024" in keys and "factory-gbt36132-2018" in keys
    guideline = evaluators.load("factory-zj-2024")
    assert guideline.kind == "factory" and guideline.default_pass_mark == 75
    assert len(guideline.digest) == 64
    json.dumps(guideline.to_dict(), ensure_ascii=False)
    # 1 000 000 kWh × 0.1229 = 122 900 kgce ÷ 2 000 万元 = 61.45 kgce/万元;
    # lower is better: (100 − 61.45) ÷ (100 − 20) = 0.481875 × 60 = 28.9125 → 28.91; + 40 = 68.91
    result = evaluate("factory-zj-2024", {
        "year": 2023, "indicators": {"energy_management_system": True},
        "vetoes": {"veto_dishonest_debtor": False},
        "energy": {"electricity_kwh": 1_000_000}, "output": {"output_value_10k_yuan": 2_000},
    }, pass_mark=75, as_of="2024-03-01")
    assert result.total == 68.91
    assert result.eligible and result.passed is False


def test_extra_directories_may_be_passed_as_an_argument(tmp_path):
    (tmp_path / "factory-zj-2024.toml").write_text(ZHEJIANG, encoding="utf-8")
    with pytest.raises(GuidelineError):
        evaluators.load("factory-zj-2024")
    assert evaluators.load("factory-zj-2024", extra_dirs=[tmp_path]).version == "ZJ-2024"
    assert load_file(tmp_path / "factory-zj-2024.toml").key == "factory-zj-2024"


def test_an_edited_file_is_read_again(bureau_dir):
    path = bureau_dir / "factory-zj-2024.toml"
    path.write_text(ZHEJIANG, encoding="utf-8")
    first = evaluators.load("factory-zj-2024")
    assert evaluators.load("factory-zj-2024") is first
    path.write_text(ZHEJIANG.replace('value = 75', 'value = 70'), encoding="utf-8")
    second = evaluators.load("factory-zj-2024")
    assert second.default_pass_mark == 70 and second.digest != first.digest


def test_a_packaged_key_cannot_be_replaced(bureau_dir):
    text = ZHEJIANG.replace('key = "factory-zj-2024"', 'key = "factory-gbt36132-2018"')
    (bureau_dir / "factory-gbt36132-2018.toml").write_text(text, encoding="utf-8")
    assert evaluators.load("factory-gbt36132-2018").version == "2018"
    assert any("重名" in message for message in problems())


def test_a_broken_extra_file_is_left_out_of_the_list_and_reported(bureau_dir):
    (bureau_dir / "factory-zj-2024.toml").write_text(ZHEJIANG.replace("points = 60\n", "", 1),
                                                    encoding="utf-8")
    assert "factory-zj-2024" not in {info.key for info in evaluators.available()}
    assert any("factory-zj-2024.toml" in message for message in problems())
    with pytest.raises(GuidelineError):
        evaluators.load("factory-zj-2024")


def _line_of(text, fragment, after=0):
    lines = text.splitlines()
    return next(n for n, line in enumerate(lines, start=1) if n > after and fragment in line)


def _refused(bureau_dir, text):
    (bureau_dir / "factory-zj-2024.toml").write_text(text, encoding="utf-8")
    with pytest.raises(GuidelineError) as caught:
        evaluators.load("factory-zj-2024")
    return caught.value


def test_missing_points_names_file_entry_field_and_line(bureau_dir):
    # Drop `points = 40` from the second indicator (energy_management_system).
    text = ZHEJIANG.replace("points = 40\nhelp", "help")
    error = _refused(bureau_dir, text)
    start = _line_of(text, "[[indicators]]", after=_line_of(text, 'id = "energy_per_output"'))
    assert (error.file, error.entry_id, error.field, error.entry_line, error.line) == (
        "factory-zj-2024.toml", "energy_management_system", "points", start, start)
    assert error.table == "[[indicators]]"
    assert str(error) == (
        f"评价导则文件 factory-zj-2024.toml，第{start}行起的 [[indicators]]"
        "（id = \"energy_management_system\"），字段 points：缺少字段 points"
        "（评分方法 baseline_leading 要求逐项写明分值）")


def test_a_wrong_value_names_the_field_line(bureau_dir):
    text = ZHEJIANG.replace('direction = "lower"', 'direction = "down"')
    error = _refused(bureau_dir, text)
    assert error.field == "direction" and error.entry_id == "energy_per_output"
    assert error.line == _line_of(text, 'direction = "down"')
    assert f"第{error.line}行" in str(error)


@pytest.mark.parametrize(("change", "field", "message"), [
    # group points no longer add up: 60 ≠ 50
    (lambda t: t.replace("points = 60\nderived_from", "points = 50\nderived_from"), "points",
     "指标组分值 60 与其指标分值之和 50 不一致"),
    (lambda t: t.replace('strategy = "baseline_leading"', 'strategy = "guesswork"'), "strategy",
     "未知的评分方法 guesswork"),
    (lambda t: t.replace("window_months = 36", "window_months = 0"), "window_months", "正整数"),
    (lambda t: t.replace('confidence = "confirmed"', 'confidence = "sure"'), "confidence",
     "confidence 应为"),
    (lambda t: t.replace('group = "management"', 'group = "nowhere"'), "group", "指标组 nowhere 不存在"),
    (lambda t: t.replace('key = "factory-zj-2024"', 'key = "factory-zj-2025"'), "key", "文件名"),
])
def test_semantic_errors_are_located(bureau_dir, change, field, message):
    error = _refused(bureau_dir, change(ZHEJIANG))
    assert error.field == field and message in str(error)
    assert error.entry_line is not None and f"第{error.entry_line}行起" in str(error)


def test_toml_syntax_errors_carry_the_line(bureau_dir):
    text = ZHEJIANG.replace('points = 40\n', 'points = = 40\n')
    error = _refused(bureau_dir, text)
    assert error.line == _line_of(text, "points = = 40")
    assert f"line {error.line}" in str(error) and "factory-zj-2024.toml" in str(error)


@pytest.mark.parametrize("key", ["../factory-gbt36132-2018", "Factory", "a/b", ""])
def test_keys_cannot_escape_the_directories(bureau_dir, key):
    with pytest.raises(GuidelineError):
        evaluators.load(key)
