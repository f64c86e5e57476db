"""Reading HTML form posts into the same shapes the API accepts."""
from __future__ import annotations

from typing import Any

from flask import flash, request
from markupsafe import Markup

from web import db
from web.i18n import composed, label
from workflow.errors import WorkflowError
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
        if section == "consultants" and name:  # consultants.0.name / consultants.0.uscc
            index, _, field = name.partition(".")
            if index.isdecimal() and int(index) < 5 and field in ("name", "uscc") and value.strip():
                consultants = data.setdefault("consultants", [])
                while len(consultants) <= int(index):
                    consultants.append({})
                consultants[int(index)][field] = value.strip()
            continue
        if section == "group" and name in ("name", "uscc"):
            if value.strip():
                data.setdefault("group", {})[name] = value.strip()
            continue
        if section == "years" and name:  # years.0.indicators.x / years.0.year: a park's earlier years
            index, _, rest = name.partition(".")
            if index.isdecimal() and int(index) < 2:
                slot = _year_slot(data, int(index))
                inner, _, indicator = rest.partition(".")
                if inner == "year":
                    slot["year"] = int(value) if value.strip().isdecimal() else value
                elif inner == "indicators" and indicator:
                    slot["indicators"][indicator] = value
            continue
        if name and section in SECTIONS:
            data.setdefault(section, {})[name] = value
        elif not name:
            data[key] = value
    if "consultants" in data:
        data["consultants"] = [c for c in data["consultants"] if c]
    if "year" in data:
        year = str(data["year"]).strip()
        data["year"] = int(year) if year.isdecimal() else year
    for section in ("energy", "renewables"):
        for name, value in list(data.get(section, {}).items()):
            data[section][name] = None if not str(value).strip() else value
    return data


def _year_slot(data: dict[str, Any], index: int) -> dict[str, Any]:
    years = data.setdefault("years", [])
    while len(years) <= index:
        years.append({"indicators": {}})
    return years[index]


def optional_int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdecimal() else None


def field_errors(details: dict[str, Any]) -> dict[str, str]:
    """Flatten marshmallow's nested messages to `section.id → message` for the template, each in the
    page's language (`composed`)."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            flat[prefix] = Markup(label("；")).join(composed(v) for v in value if not isinstance(v, dict)) or str(value)
        else:
            flat[prefix] = composed(value)

    walk("", details.get("fields", details))
    return flat


def refused(error: WorkflowError, message: str) -> None:
    """A page action the workflow refused: its state or input becomes a message on the page;
    what the user may not do (403) or may not see (404) stays an error page."""
    db.session().rollback()
    if error.status in (403, 404):
        raise error
    flash(message, "error")


def form_errors(error: WorkflowError) -> dict[str, str]:
    """A refused form: its field messages and the overall one, for the page shown again;
    403 and 404 stay error pages."""
    db.session().rollback()
    if error.status in (403, 404):
        raise error
    errors = field_errors(error.details) if error.details.get("fields") else {}
    errors["_"] = composed(error.message)
    return errors
