"""Evaluating an application's data against a guideline version (自动评价).

Order: read the document → run the calculators → read each indicator (a blank quantitative
indicator may take its calculated value) → gate checks (basic requirements; vetoes counted
back from the evaluation date) → the guideline's scoring strategy → eligibility and pass mark.
``evaluate`` raises only for an unknown guideline key or an unreadable ``as_of``; any JSON-able
document gives a result that explains itself, and the same input with the same ``as_of``
gives the same result.

Document keys read: ``year``, ``region``, ``indicators``, ``basic``, ``vetoes``, ``events``
(dated veto events), ``energy``, ``renewables``, ``output`` and, for multi-year guidelines
(parks), ``years``: a list of ``{"year": 2022, "indicators": {...}}`` for the earlier years.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from evaluators import benchmarks, gates, intensities, strategies
from evaluators.guidelines import Guideline, GuidelineError, Indicator, load
from evaluators.messages import Joined, Text, message
from evaluators.strategies import Inputs, ProductLimit, YearInputs
from evaluators.trace import CalculationStep, Evaluation, GateResult
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
_YEAR_LIMIT = 20  # year entries read from one document
_PRODUCT_LIMIT = 50  # products read from one document


def evaluate(
    key: str,
    document: dict,
    evidence: Mapping[str, Sequence[str]] | None = None,
    pass_mark: float | None = None,
    as_of: datetime.date | str | None = None,
) -> Evaluation:
    """Evaluate ``document`` (the application's data) against guideline ``key``.

    ``evidence`` maps an indicator, basic-requirement or veto id to the names of the files
    uploaded for it. ``passed`` is ``total >= pass_mark`` when a pass mark is given, else None.
    ``as_of`` is the evaluation date (a date or "YYYY-MM-DD"; default today) from which the
    vetoes' 36-month windows are counted back: pass the submission date so that re-evaluating
    an application gives the same result.
    """
    guideline = load(key)
    strategy = strategies.get(guideline.strategy)
    evaluation_date = _as_of(as_of)
    notes: list[str] = _dates_in_force(guideline, evaluation_date)
    if not isinstance(document, Mapping):
        notes.append(message("申报数据格式无法识别，按空白申报评价。"))
        document = {}

    year = read_year(document.get("year"))
    if year is None:
        notes.append(message("未填写或无法识别数据年份。"))
    region = read_region(document.get("region"))
    if region is None and document.get("region") not in (None, ""):
        notes.append(message("地区代码无法识别（应为6位行政区划代码），按全国计。"))

    files = _evidence(evidence)
    calculation = _calculate(guideline, document, year, region)
    steps: list[CalculationStep] = []
    if calculation is not None:
        steps += calculation.steps
        notes += calculation.notes
    current = _year_inputs(guideline, document, year, files, calculation, notes, Text())
    years = [current]
    if strategy.years_required(guideline) > 1:
        years = _earlier_years(guideline, document, region, current, files, steps, notes)

    sheet = strategy.score(guideline, Inputs(tuple(years)))
    notes += sheet.notes
    basic = gates.check_basic(guideline.basic_requirements, document.get("basic"), files)
    events, event_notes = gates.read_events(document.get("events"))
    vetoes, veto_notes = gates.check_vetoes(guideline.vetoes, document.get("vetoes"), events,
                                           files, evaluation_date)
    notes += event_notes + veto_notes

    product_steps, product_results, product_notes = ((), (), ())
    if "energy" in guideline.calculators and isinstance(document.get("output"), Mapping):
        product_steps, product_results, product_notes = benchmarks.positions(
            document["output"].get("products"))
    steps += product_steps
    notes += product_notes

    reasons = _gate_reasons(guideline, basic, vetoes) + list(sheet.reasons)
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
        calculations=tuple(steps),
        figures=calculation.figures if calculation else (),
        notes=tuple(notes),
        strategy=guideline.strategy,
        as_of=evaluation_date.isoformat(),
        guideline_digest=guideline.digest,
        years=sheet.years,
        benchmarks=product_results,
    )


def _as_of(raw: datetime.date | str | None) -> datetime.date:
    if raw is None:
        return datetime.date.today()
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, str):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            pass
    raise ValueError(f"as_of 应为日期或 YYYY-MM-DD：{raw!r}")


def _dates_in_force(guideline: Guideline, day: datetime.date) -> list[str]:
    notes: list[str] = []
    if guideline.effective_on and day.isoformat() < guideline.effective_on:
        notes.append(message("本评价导则自 %(effective_on)s 起实施，评价日期 %(day)s 早于实施日期。",
                             effective_on=guideline.effective_on, day=day.isoformat()))
    if guideline.superseded_on and day.isoformat() >= guideline.superseded_on:
        notes.append(message("本评价导则已于 %(superseded_on)s 被新版本替代；申报按提交时采用的"
                             "导则版本评价，新申报应采用新版本。",
                             superseded_on=guideline.superseded_on))
    return notes


def _calculate(guideline: Guideline, document: Mapping[str, Any], year: int | None,
               region: str | None) -> intensities.Calculation | None:
    if "energy" not in guideline.calculators or document.get("energy") in (None, "", {}):
        return None
    return intensities.calculate(document, year, region)


def _year_inputs(guideline: Guideline, section: Mapping[str, Any], year: int | None,
                 files: Mapping[str, tuple[str, ...]],
                 calculation: intensities.Calculation | None, notes: list[str],
                 label: Text) -> YearInputs:
    raw = section.get("indicators")
    if raw is not None and not isinstance(raw, Mapping):
        notes.append(label + message("指标数据格式无法识别，按未填写计。"))
    submitted = raw if isinstance(raw, Mapping) else {}
    answers = {
        i.id: _answer(i, submitted.get(i.id), files, calculation) for i in guideline.indicators
    }
    notes += _unknown_ids(label, submitted, {i.id for i in guideline.indicators})
    figures = {}
    if calculation is not None:
        figures = {k: Decimal(str(v)) for k, v in calculation.figures if isinstance(v, float)}
    products: tuple[ProductLimit, ...] = ()
    if any(i.product_limits for i in guideline.indicators):
        products = _product_limits(section.get("output"), calculation, notes, label)
    return YearInputs(year, answers, figures, products)


def _product_limits(output: Any, calculation: intensities.Calculation | None, notes: list[str],
                    label: Text) -> tuple[ProductLimit, ...]:
    """Products with the grades of their mandatory energy-limit standard (STANDARDS.md §3):
    ``limit_grade_1``, ``limit_grade_2`` and ``energy_per_unit`` (kgce per product unit), and
    ``energy_tce`` to weigh several. A single product's unit energy use may be calculated."""
    entries = output.get("products") if isinstance(output, Mapping) else None
    if not isinstance(entries, list):
        return ()
    entries = [e for e in entries[:_PRODUCT_LIMIT] if isinstance(e, Mapping)]
    products = []
    for entry in entries:
        grade_1 = read_number(entry.get("limit_grade_1"))
        grade_2 = read_number(entry.get("limit_grade_2"))
        if grade_1.status == grade_2.status == "missing":
            continue
        name = read_text(entry.get("name")).value or read_text(entry.get("product")).value or "产品"
        if grade_1.status != "given" or grade_2.status != "given" or not (
                0 <= grade_1.value < grade_2.value):
            notes.append(label + message("%(product)s的能耗限额1级、2级值无法识别（1级应低于2级），"
                                         "未按限额标准评价。", product=name))
            continue
        value, calculated = read_number(entry.get("energy_per_unit")), False
        if value.status == "missing" and len(entries) == 1 and calculation is not None:
            figure = calculation.figure("kgce_per_product_unit")
            if isinstance(figure, float):
                value, calculated = Reading("given", Decimal(str(figure)), figure), True
        if value.status != "given" or value.value < 0:
            notes.append(label + message("%(product)s未填写可识别的单位产品综合能耗，未按限额标准评价。",
                                         product=name))
            continue
        weight = read_number(entry.get("energy_tce"))
        unit = read_text(entry.get("unit")).value
        products.append(ProductLimit(
            name=name,
            unit=f"kgce/{unit}" if unit else "kgce/单位产品",
            value=value.value,
            grade_1=grade_1.value,
            grade_2=grade_2.value,
            energy_tce=weight.value if weight.status == "given" and weight.value > 0 else None,
            calculated=calculated,
        ))
    return tuple(products)


def _earlier_years(guideline: Guideline, document: Mapping[str, Any], region: str | None,
                   current: YearInputs, files: Mapping[str, tuple[str, ...]],
                   steps: list[CalculationStep], notes: list[str]) -> list[YearInputs]:
    """The document's own year (when it has indicators) and each entry of ``years``."""
    entries = document.get("years")
    if entries is not None and not isinstance(entries, list):
        notes.append(message("多年数据（years）格式无法识别，应为列表，未计入。"))
        entries = []
    by_year: dict[int | None, YearInputs] = {}
    own = document.get("indicators")
    if isinstance(own, Mapping) and own:
        by_year[current.year] = current
    for number, entry in enumerate((entries or [])[:_YEAR_LIMIT], start=1):
        if not isinstance(entry, Mapping):
            notes.append(message("多年数据第%(number)s项格式无法识别，未计入。", number=number))
            continue
        year = read_year(entry.get("year"))
        if year is None:
            notes.append(message("多年数据第%(number)s项未填写可识别的年份，未计入。", number=number))
            continue
        if year in by_year:
            notes.append(message("%(year)s年数据重复填报，采用申报表本年度填报的数据。", year=str(year))
                         if year == current.year else
                         message("%(year)s年数据重复填报，采用第一次填报的数据。", year=str(year)))
            continue
        calculation = _calculate(guideline, entry, year, region)
        if calculation is not None:
            steps += [_labelled(step, year) for step in calculation.steps]
            notes += [message("%(year)s年：", year=str(year)) + note for note in calculation.notes]
        by_year[year] = _year_inputs(guideline, entry, year, files, calculation, notes,
                                     message("%(year)s年", year=str(year)))
    if not by_year:
        by_year[current.year] = current
    return sorted(by_year.values(), key=lambda y: (y.year is not None, y.year or 0))


def _labelled(step: CalculationStep, year: int) -> CalculationStep:
    return CalculationStep(f"{year}.{step.key}", message("（%(year)s年）", year=str(year)) + step.name, step.inputs,
                           step.factor, step.factor_unit, step.factor_source,
                           step.factor_confidence, step.result, step.unit)


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


def _unknown_ids(label: Text, submitted: Mapping[Any, Any], known: set[str]) -> list[str]:
    unknown = sorted(str(k) for k in submitted if k not in known)
    if not unknown:
        return []
    listed = Joined(tuple(unknown[:_NOTE_LIST_LIMIT]))
    if len(unknown) > _NOTE_LIST_LIMIT:
        return [label + message("指标 %(ids)s等%(count)s项 不属于本评价导则，已忽略。", ids=listed,
                                count=len(unknown))]
    return [label + message("指标 %(ids)s 不属于本评价导则，已忽略。", ids=listed)]


def _gate_reasons(guideline: Guideline, basic: tuple[GateResult, ...],
                  vetoes: tuple[GateResult, ...]) -> list[str]:
    """Every failing or unanswered gate, with what its verdict rests on, in Chinese."""
    reasons: list[str] = []
    for gate in basic:
        if gate.verdict == "fail":
            reasons.append(message("基本要求未满足：%(item)s，依据：%(basis)s", item=gate.name,
                                   basis=gate.basis) + _files(gate))
        elif gate.verdict == "missing":
            reasons.append(message("基本要求未作答：%(item)s", item=gate.name))
    by_id = {v.id: v for v in guideline.vetoes}
    for gate in vetoes:
        if gate.verdict == "fail":
            reasons.append(message("否决项：%(item)s（%(source)s），依据：%(basis)s", item=gate.name,
                                   source=by_id[gate.id].source, basis=gate.basis) + _files(gate))
        elif gate.verdict == "missing":
            reasons.append(message("否决项未声明：%(item)s", item=gate.name))
    return reasons


def _files(gate: GateResult) -> Text:
    return message("，证明材料：%(files)s", files=Joined(gate.evidence)) if gate.evidence else Text()


def _pass_mark(raw: Any, notes: list[str]) -> float | None:
    if raw is None:
        return None
    reading = read_number(raw)
    if reading.status != "given":
        notes.append(message("合格线无法识别，未判定是否达到合格线。"))
        return None
    return as_float(reading.value, TOTAL_PLACES)


__all__ = ["GuidelineError", "evaluate"]
