"""Evaluating an application's data against a guideline version (自动评价).

Order: read the document → run the calculators → read each indicator (a blank quantitative
indicator may take its calculated value) → gate checks → the guideline's scoring strategy →
eligibility and pass mark. ``evaluate`` raises only for an unknown guideline key; any
JSON-able document gives a result that explains itself.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from evaluators import gates, intensities, strategies
from evaluators.guidelines import Guideline, GuidelineError, Indicator, load
from evaluators.trace import Evaluation, GateResult
from evaluators.values import (
    Answer,
    Reading,
    as_float,
    read_boolean,
    read_number,
    read_region,
    read_text,
    read_year,
)

TOTAL_PLACES = 2
_NOTE_LIST_LIMIT = 10  # unknown ids listed in a note before "等"


def evaluate(
    key: str,
    document: dict,
    evidence: Mapping[str, Sequence[str]] | None = None,
    pass_mark: float | None = None,
) -> Evaluation:
    """Evaluate ``document`` (the application's data) against guideline ``key``.

    ``evidence`` maps an indicator, basic-requirement or veto id to the names of the files
    uploaded for it. ``passed`` is ``total >= pass_mark`` when a pass mark is given, else None.
    """
    guideline = load(key)
    notes: list[str] = []
    if not isinstance(document, Mapping):
        notes.append("申报数据格式无法识别，按空白申报评价。")
        document = {}

    year = read_year(document.get("year"))
    if year is None:
        notes.append("未填写或无法识别数据年份。")
    region = read_region(document.get("region"))
    if region is None and document.get("region") not in (None, ""):
        notes.append("地区代码无法识别（应为6位行政区划代码），按全国计。")

    files = _evidence(evidence)
    calculation = None
    if _calculators_apply(guideline, document.get("energy")):
        calculation = intensities.calculate(document, year, region)
        notes += calculation.notes

    section = document.get("indicators")
    if section is not None and not isinstance(section, Mapping):
        notes.append("指标数据格式无法识别，按未填写计。")
    submitted = section if isinstance(section, Mapping) else {}
    answers = {
        i.id: _answer(i, submitted.get(i.id), files, calculation) for i in guideline.indicators
    }
    notes += _unknown_ids("指标", submitted, {i.id for i in guideline.indicators})

    sheet = strategies.get(guideline.strategy).score(guideline, answers)
    basic = gates.check_basic(guideline.basic_requirements, document.get("basic"), files)
    vetoes = gates.check_vetoes(guideline.vetoes, document.get("vetoes"), files)

    reasons = _reasons(guideline, basic, vetoes, sheet)
    total = as_float(sheet.total, TOTAL_PLACES)
    mark = _pass_mark(pass_mark, notes)
    return Evaluation(
        guideline_key=guideline.key,
        guideline_version=guideline.version,
        eligible=not reasons,
        reasons=tuple(reasons),
        total=total,
        pass_mark=mark,
        passed=None if mark is None else total >= mark,
        groups=sheet.groups,
        indicators=sheet.indicators,
        basic_requirements=basic,
        vetoes=vetoes,
        missing=sheet.missing,
        calculations=calculation.steps if calculation else (),
        figures=calculation.figures if calculation else (),
        notes=tuple(notes),
    )


def _calculators_apply(guideline: Guideline, energy: Any) -> bool:
    if "energy" not in guideline.calculators or energy in (None, "", {}):
        return False
    return True


def _answer(indicator: Indicator, raw: Any, files: Mapping[str, tuple[str, ...]],
            calculation: intensities.Calculation | None) -> Answer:
    if indicator.type == "number":
        reading = read_number(raw)
    elif indicator.type == "boolean":
        reading = read_boolean(raw)
    else:
        reading = read_text(raw, indicator.options or ())
    evidence = files.get(indicator.id, ())
    derived = None
    if calculation is not None and indicator.derived_from:
        figure = calculation.figure(indicator.derived_from)
        derived = Decimal(str(figure)) if isinstance(figure, float) else None
    if derived is None:
        return Answer(reading, evidence)
    if reading.status == "missing":
        return Answer(Reading("given", derived, float(derived)), evidence, calculated=True,
                      calculated_value=derived)
    return Answer(reading, evidence, calculated_value=derived)


def _evidence(evidence: Any) -> dict[str, tuple[str, ...]]:
    """File names by id; anything unreadable is left out."""
    if not isinstance(evidence, Mapping):
        return {}
    files: dict[str, tuple[str, ...]] = {}
    for key, names in evidence.items():
        if not isinstance(key, str):
            continue
        if isinstance(names, str):
            names = [names]
        if isinstance(names, (list, tuple)):
            files[key] = tuple(n for n in names if isinstance(n, str) and n.strip())
    return files


def _unknown_ids(kind: str, submitted: Mapping[Any, Any], known: set[str]) -> list[str]:
    unknown = sorted(str(k) for k in submitted if k not in known)
    if not unknown:
        return []
    listed = "、".join(unknown[:_NOTE_LIST_LIMIT])
    more = f"等{len(unknown)}项" if len(unknown) > _NOTE_LIST_LIMIT else ""
    return [f"{kind} {listed}{more} 不属于本评价导则，已忽略。"]


def _reasons(guideline: Guideline, basic: tuple[GateResult, ...], vetoes: tuple[GateResult, ...],
             sheet: strategies.Scoresheet) -> list[str]:
    """Why the application cannot be designated, in Chinese; empty when it is eligible."""
    reasons = []
    for gate in basic:
        if gate.verdict == "fail":
            reasons.append(f"基本要求未满足：{gate.name}")
        elif gate.verdict == "missing":
            reasons.append(f"基本要求未作答：{gate.name}")
    by_id = {v.id: v for v in guideline.vetoes}
    for gate in vetoes:
        if gate.verdict == "fail":
            reasons.append(f"否决项：{gate.name}（{by_id[gate.id].source}）")
        elif gate.verdict == "missing":
            reasons.append(f"否决项未声明：{gate.name}")
    groups = {g.id: g.name for g in guideline.groups}
    indicators = {i.id: i for i in guideline.indicators}
    for result in sheet.unmet_required:
        item = indicators[result.id]
        reasons.append(f"必选要求未满足：{groups[item.group]}／{item.criterion}——{item.name}")
    for indicator_id in sheet.missing:
        item = indicators[indicator_id]
        reasons.append(f"必选要求未填写：{groups[item.group]}／{item.criterion}——{item.name}")
    return reasons


def _pass_mark(raw: Any, notes: list[str]) -> float | None:
    if raw is None:
        return None
    reading = read_number(raw)
    if reading.status != "given":
        notes.append("合格线无法识别，未判定是否达到合格线。")
        return None
    return as_float(reading.value, TOTAL_PLACES)


__all__ = ["GuidelineError", "evaluate"]
