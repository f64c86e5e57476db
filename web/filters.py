"""Template filters and globals: labels for states, kinds, tiers and dates in the page's language."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import format_date, pgettext

from models.enums import KIND_LABELS, REVOCATION_LABELS, TIER_LABELS, Kind, RevocationReason, Tier
from web.i18n import english, label
from workflow.clock import CHINA
from workflow.machines import state_label, trigger_label


def page_date(value: date | datetime | str | None) -> str:
    """2026年11月21日 on a Chinese page, 21 Nov 2026 on an English one; times in Beijing time."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    time = ""
    if isinstance(value, datetime):
        local = value.astimezone(CHINA)
        value, time = local.date(), f" {local:%H:%M}"
    if english():
        return format_date(value, "d MMM y") + time
    return f"{value.year}年{value.month}月{value.day}日{time}"


# One Chinese word names both a state and the action that leads to it.
STATE_WORDS = {"暂停": lambda: pgettext("state", "暂停"), "退回修改": lambda: pgettext("state", "退回修改")}


def page_state(value: Any) -> str:
    text = state_label(value)
    return STATE_WORDS[text]() if text in STATE_WORDS else label(text)


def kind_label(value: Any) -> str:
    return label(KIND_LABELS.get(Kind(str(value)), str(value))) if value else ""


def tier_label(value: Any) -> str:
    return label(TIER_LABELS.get(Tier(str(value)), str(value))) if value else ""


def reason_label(value: Any) -> str:
    return label(REVOCATION_LABELS.get(RevocationReason(str(value)), str(value))) if value else ""


def register(app: Flask) -> None:
    app.add_template_filter(page_date, "cndate")
    app.add_template_filter(page_state, "state")
    app.add_template_filter(lambda value: label(trigger_label(value)), "trigger")
    app.add_template_filter(kind_label, "kind")
    app.add_template_filter(tier_label, "tier")
    app.add_template_filter(reason_label, "revocation_reason")
