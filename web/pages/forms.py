"""Reading HTML form posts into the same shapes the API accepts."""
from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

SECTIONS = ("indicators", "basic", "vetoes", "energy", "renewables", "output")


def nested(form: MultiDict[str, str] | None = None) -> dict[str, Any]:
    """`indicators.x=1&energy.electricity_kwh=5&year=2025` → {"indicators": {"x": "1"}, ...}."""
    form = form if form is not None else request.form
    data: dict[str, Any] = {}
    for key, value in form.items():
        if key in ("csrf_token", "action", "version"):
            continue
        section, _, name = key.partition(".")
        if name and section in SECTIONS:
            data.setdefault(section, {})[name] = value
        elif not name:
            data[key] = value
    if "year" in data:
        year = str(data["year"]).strip()
        data["year"] = int(year) if year.isdigit() else year
    for section in ("energy", "renewables"):
        for name, value in list(data.get(section, {}).items()):
            data[section][name] = None if not str(value).strip() else value
    return data


def optional_int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() else None


# marshmallow's own English messages, as a clerk should read them. A schema that sets its
# own Chinese message is shown as it is.
MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": "此项为必填项",
    "Field may not be null.": "此项为必填项",
    "Invalid value.": "填写的值不正确",
    "Not a valid string.": "请填写文字",
    "Not a valid integer.": "请输入整数",
    "Not a valid number.": "请输入数字",
    "Special numeric values (nan or infinity) are not permitted.": "请输入数字",
    "Not a valid date.": "请选择或填写日期，如 2027-03-31",
    "Not a valid boolean.": "请选择“是”或“否”",
    "Not a valid list.": "填写的格式不正确",
    "Not a valid mapping type.": "填写的格式不正确",
    "Not a valid email address.": "电子邮箱格式不正确",
    "Invalid input type.": "填写的格式不正确",
    "Invalid type.": "填写的格式不正确",
    "Unknown field.": "不是本表单的项目",
}
PATTERNS = [
    (re.compile(r"^Must be one of: .*\.$"), lambda m: "请从列表中选择"),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     lambda m: f"应在 {m[1]} 到 {m[2]} 之间"),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), lambda m: f"不能小于 {m[1]}"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), lambda m: f"不能大于 {m[1]}"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: f"至少填写 {m[1]} 个字"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: f"不能超过 {m[1]} 个字"),
]


def chinese(message: str) -> str:
    """A validation message in Chinese: marshmallow's defaults translated, ours unchanged."""
    if message in MARSHMALLOW_MESSAGES:
        return MARSHMALLOW_MESSAGES[message]
    for pattern, render in PATTERNS:
        match = pattern.match(message)
        if match:
            return render(match)
    return message


def field_errors(details: dict[str, Any]) -> dict[str, str]:
    """Flatten marshmallow's nested messages to `section.id → message` for the template."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            flat[prefix] = "；".join(chinese(str(v)) for v in value if not isinstance(v, dict)) or str(value)
        else:
            flat[prefix] = chinese(str(value))

    walk("", details.get("fields", details))
    return flat
