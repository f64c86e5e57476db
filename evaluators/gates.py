"""Gate checks before any score: basic requirements (基本要求) and one-vote vetoes (否决项).

STANDARDS.md §2 [C]: every basic requirement must hold, and none of the six situations of
工信部节〔2024〕13号 第十五条 may have occurred in the last three years. Each veto's window
(``window_months``, 36) is counted back from the evaluation date. An applicant declares each
veto (``vetoes``) and may list dated events (``events``): an event inside the window fails the
item whatever the declaration says; an older one does not, and the trace notes it.
"""
from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from evaluators.trace import EventResult, GateResult
from evaluators.values import Reading, decimal_text, read_boolean, read_number, read_text

if TYPE_CHECKING:
    from evaluators.guidelines.definition import Requirement, Veto

_EVENT_LIMIT = 200  # events read from one document; more is not a real application


@dataclass(frozen=True)
class Event:
    veto: str
    date: datetime.date
    description: str


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_basic(requirements: Sequence[Requirement], answers: Any,
                evidence: Mapping[str, tuple[str, ...]]) -> tuple[GateResult, ...]:
    """A yes/no requirement is answered true (met) or false; a number one by its value."""
    answers = answers if isinstance(answers, Mapping) else {}
    results = []
    for requirement in requirements:
        raw = answers.get(requirement.id)
        files = evidence.get(requirement.id, ())
        if requirement.type == "number" and not _yes_no(raw):
            results.append(_basic_number(requirement, raw, files))
            continue
        reading = read_boolean(raw)
        basis = "申报单位声明"
        if reading.status == "given" and reading.value:
            verdict, why = "pass", "申报单位确认满足该基本要求。"
            if requirement.type == "number":
                why += (f"未填写具体数值（要求不低于 {_amount(requirement.at_least, requirement.unit)}），"
                        "按申报单位确认计，专家评审时核对。")
            why += _evidence_note(files)
        elif reading.status == "given":
            verdict, why = "fail", "申报单位填报未满足该基本要求；基本要求须全部满足方可参与评分。"
        else:
            verdict, why, basis = "missing", _unanswered(reading, "“满足”或“不满足”"), ""
        results.append(GateResult(requirement.id, requirement.name, verdict, _shown(reading),
                                  files, why, basis))
    return tuple(results)


def _basic_number(requirement: Requirement, raw: Any, files: tuple[str, ...]) -> GateResult:
    reading = read_number(raw)
    wanted = _amount(requirement.at_least, requirement.unit)
    if reading.status != "given":
        why = _unanswered(reading, "数值")
        return GateResult(requirement.id, requirement.name, "missing", _shown(reading), files, why)
    value = reading.value
    shown = _amount(value, requirement.unit)
    basis = f"申报值 {shown}"
    if value >= _decimal(requirement.at_least):
        why = f"申报值 {shown}，不低于要求的 {wanted}，满足该基本要求。" + _evidence_note(files)
        verdict = "pass"
    else:
        why = f"申报值 {shown}，低于要求的 {wanted}；基本要求须全部满足方可参与评分。"
        verdict = "fail"
    return GateResult(requirement.id, requirement.name, verdict, _shown(reading), files, why, basis)


def read_events(raw: Any) -> tuple[tuple[Event, ...], tuple[str, ...]]:
    """Dated veto events from the document's ``events`` list; notes on entries left out."""
    if raw in (None, "", []):
        return (), ()
    if not isinstance(raw, list):
        return (), ("事件记录（events）格式无法识别，应为列表，未计入。",)
    events, notes = [], []
    for number, entry in enumerate(raw[:_EVENT_LIMIT], start=1):
        if not isinstance(entry, Mapping):
            notes.append(f"第{number}条事件记录格式无法识别，未计入。")
            continue
        veto = entry.get("veto")
        day = _date(entry.get("date"))
        if not isinstance(veto, str) or not veto:
            notes.append(f"第{number}条事件记录未注明所属否决项，未计入。")
        elif day is None:
            notes.append(f"第{number}条事件记录的日期“{read_text(entry.get('date')).shown}”无法识别"
                         "（应为 YYYY-MM-DD），未计入。")
        else:
            description = read_text(entry.get("description")).value
            events.append(Event(veto, day, description if isinstance(description, str) else ""))
    if len(raw) > _EVENT_LIMIT:
        notes.append(f"事件记录超过{_EVENT_LIMIT}条，其余未计入。")
    return tuple(events), tuple(notes)


def check_vetoes(vetoes: Sequence[Veto], answers: Any, events: Sequence[Event],
                 evidence: Mapping[str, tuple[str, ...]],
                 as_of: datetime.date) -> tuple[tuple[GateResult, ...], tuple[str, ...]]:
    """Each veto's verdict from its declaration and dated events, and notes on older events."""
    answers = answers if isinstance(answers, Mapping) else {}
    known = {v.id for v in vetoes}
    notes = [f"事件记录所属否决项 {event.veto} 不属于本评价导则，未计入。"
             for event in events if event.veto not in known]
    results = []
    for veto in vetoes:
        start = months_before(as_of, veto.window_months)
        window = f"近{veto.window_months}个月（{start.isoformat()} 至 {as_of.isoformat()}）"
        mine = sorted((e for e in events if e.veto == veto.id),
                      key=lambda e: (e.date, e.description))
        listed = tuple(EventResult(veto.id, e.date.isoformat(), e.description, e.date >= start)
                       for e in mine)
        recent = [e for e in listed if e.within_window]
        older = [e for e in listed if not e.within_window]
        reading = read_boolean(answers.get(veto.id))
        files = evidence.get(veto.id, ())
        declared = reading.value if reading.status == "given" else None
        older_note = (f"所列事件 {_events_text(older)} 早于{window}，不构成否决。" if older else "")
        if recent:
            basis = f"事件记录：{_events_text(recent)}"
            why = (f"{_events_text(recent)} 在{window}内，属于“{veto.name}”情形；依据{veto.source}，"
                   "实行一票否决。")
            if declared is False:
                why += "与申报单位“未发生”的声明不一致。"
            verdict = "fail"
        elif declared:
            basis = "申报单位声明"
            why = (f"申报单位声明{window}内发生过“{veto.name}”情形；依据{veto.source}，"
                   "实行一票否决，不得参与评价。")
            if older:
                why += f"（所列事件 {_events_text(older)} 早于该期间，但以声明为准。）"
            verdict = "fail"
        elif declared is False or older:
            verdict = "pass"
            basis = "申报单位声明" if declared is False else "事件记录"
            why = ("申报单位声明未发生该情形。" if declared is False else
                   "未作出声明，所列事件均早于追溯期间。") + older_note + _evidence_note(files)
        else:
            verdict, basis = "missing", ""
            why = ("未作出声明。须逐项声明是否发生该情形后方可评价。" if reading.status == "missing"
                   else f"填写内容“{reading.shown}”无法识别（应为“是”或“否”），视为未作出声明。")
        if older:
            notes.append(f"否决项“{veto.name}”：{older_note}")
        results.append(GateResult(veto.id, veto.name, verdict, _shown(reading), files, why,
                                  basis, listed))
    return tuple(results), tuple(notes)


def _events_text(events: Sequence[EventResult]) -> str:
    return "、".join(f"{e.date}“{e.description}”" if e.description else e.date for e in events)


def _date(raw: Any) -> datetime.date | None:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, str):
        try:
            return datetime.date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


def _yes_no(raw: Any) -> bool:
    """Whether a number requirement was answered with a yes/no rather than a value."""
    if isinstance(raw, bool):
        return True
    if isinstance(raw, str) and read_number(raw).status != "given":
        return read_boolean(raw).status == "given"
    return False


def _unanswered(reading: Reading, expected: str) -> str:
    if reading.status == "missing":
        return "未作答。基本要求须逐项确认满足后方可参与评分。"
    return f"填写内容“{reading.shown}”无法识别（应为{expected}），视为未作答。"


def _shown(reading: Reading) -> Any:
    if reading.status != "given":
        return reading.shown
    value = reading.value
    return float(value) if not isinstance(value, (bool, str)) else value


def _decimal(value: float | None) -> Decimal:
    return Decimal(str(value))


def _amount(value: Any, unit: str) -> str:
    text = decimal_text(value)
    return f"{text} {unit}" if unit and unit[0].isascii() and unit[0].isalpha() else f"{text}{unit}"


def _evidence_note(files: tuple[str, ...]) -> str:
    return f"证明材料：{'、'.join(files)}。" if files else ""
