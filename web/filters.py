"""Template filters and globals: Chinese labels for states, kinds, tiers and dates."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask

from models.enums import KIND_LABELS, REVOCATION_LABELS, TIER_LABELS, Kind, RevocationReason, Tier
from workflow.clock import CHINA
from workflow.machines import state_label, trigger_label


def chinese_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        local = value.astimezone(CHINA)
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def kind_label(value: Any) -> str:
    return KIND_LABELS.get(Kind(str(value)), str(value)) if value else ""


def tier_label(value: Any) -> str:
    return TIER_LABELS.get(Tier(str(value)), str(value)) if value else ""


def reason_label(value: Any) -> str:
    return REVOCATION_LABELS.get(RevocationReason(str(value)), str(value)) if value else ""


def register(app: Flask) -> None:
    app.add_template_filter(chinese_date, "cndate")
    app.add_template_filter(state_label, "state")
    app.add_template_filter(trigger_label, "trigger")
    app.add_template_filter(kind_label, "kind")
    app.add_template_filter(tier_label, "tier")
    app.add_template_filter(reason_label, "revocation_reason")
