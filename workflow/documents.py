"""The application document (申报数据): what is missing, and merging a saved draft."""
from __future__ import annotations

from typing import Any

import evaluators


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_required(guideline_key: str, data: dict[str, Any]) -> list[str]:
    """Ids of required indicators, basic requirements and veto declarations left unanswered.

    Indicators come from the evaluator, which knows which ones it can calculate from the
    energy and output data when left blank."""
    guideline = evaluators.load(guideline_key).to_dict()
    basic = data.get("basic") or {}
    vetoes = data.get("vetoes") or {}
    missing = list(evaluators.evaluate(guideline_key, data).missing)
    missing += [b["id"] for b in guideline.get("basic_requirements", []) if _blank(basic.get(b["id"]))]
    missing += [v["id"] for v in guideline.get("vetoes", []) if _blank(vetoes.get(v["id"]))]
    return missing


def merge(saved: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A draft save: sections (indicators, energy, ...) merge key by key; other values replace."""
    merged = dict(saved)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
