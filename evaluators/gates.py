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

from evaluators.messages import Joined, Quantity, Text, message
from evaluators.trace import EventResult, GateResult
from evaluators.values import Reading, read_boolean, read_number, read_text

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
        basis = message("申报单位声明")
        if reading.status == "given" and reading.value:
            verdict, why = "pass", message("申报单位确认满足该基本要求。")
            if requirement.type == "number":
                why += message("未填写具体数值（要求不低于 %(wanted)s），按申报单位确认计，专家评审时核对。",
                               wanted=_amount(requirement.at_least, requirement.unit))
            why += _evidence_note(files)
        elif reading.status == "given":
            verdict, why = "fail", message("申报单位填报未满足该基本要求；基本要求须全部满足方可参与评分。")
        else:
            verdict, why, basis = "missing", _unanswered(reading, "yes_no"), ""
        results.append(GateResult(requirement.id, requirement.name, verdict, _shown(reading),
                                  files, why, basis))
    return tuple(results)


def _basic_number(requirement: Requirement, raw: Any, files: tuple[str, ...]) -> GateResult:
    reading = read_number(raw)
    wanted = _amount(requirement.at_least, requirement.unit)
    if reading.status != "given":
        why = _unanswered(reading, "number")
        return GateResult(requirement.id, requirement.name, "missing", _shown(reading), files, why)
    value = reading.value
    shown = _amount(value, requirement.unit)
    basis = message("申报值 %(value)s", value=shown)
    if value >= _decimal(requirement.at_least):
        why = message("申报值 %(value)s，不低于要求的 %(wanted)s，满足该基本要求。",
                      value=shown, wanted=wanted) + _evidence_note(files)
        verdict = "pass"
    else:
        why = message("申报值 %(value)s，低于要求的 %(wanted)s；基本要求须全部满足方可参与评分。",
                      value=shown, wanted=wanted)
        verdict = "fail"
    return GateResult(requirement.id, requirement.name, verdict, _shown(reading), files, why, basis)


def read_events(raw: Any) -> tuple[tuple[Event, ...], tuple[str, ...]]:
    """Dated veto events from the document's ``events`` list; notes on entries left out."""
    if raw in (None, "", []):
        return (), ()
    if not isinstance(raw, list):
        return (), (message("事件记录（events）格式无法识别，应为列表，未计入。"),)
    events, notes = [], []
    for number, entry in enumerate(raw[:_EVENT_LIMIT], start=1):
        if not isinstance(entry, Mapping):
            notes.append(message("第%(number)s条事件记录格式无法识别，未计入。", number=number))
            continue
        veto = entry.get("veto")
        day = _date(entry.get("date"))
        if not isinstance(veto, str) or not veto:
            notes.append(message("第%(number)s条事件记录未注明所属否决项，未计入。", number=number))
        elif day is None:
            notes.append(message("第%(number)s条事件记录的日期“%(entered)s”无法识别（应为 YYYY-MM-DD），未计入。",
                                 number=number, entered=str(read_text(entry.get("date")).shown)))
        else:
            description = read_text(entry.get("description")).value
            events.append(Event(veto, day, description if isinstance(description, str) else ""))
    if len(raw) > _EVENT_LIMIT:
        notes.append(message("事件记录超过%(limit)s条，其余未计入。", limit=_EVENT_LIMIT))
    return tuple(events), tuple(notes)


def check_vetoes(vetoes: Sequence[Veto], answers: Any, events: Sequence[Event],
                 evidence: Mapping[str, tuple[str, ...]],
                 as_of: datetime.date) -> tuple[tuple[GateResult, ...], tuple[str, ...]]:
    """Each veto's verdict from its declaration and dated events, and notes on older events."""
    answers = answers if isinstance(answers, Mapping) else {}
    known = {v.id for v in vetoes}
    notes: list[str] = [message("事件记录所属否决项 %(veto)s 不属于本评价导则，未计入。", veto=event.veto)
                        for event in events if event.veto not in known]
    results = []
    for veto in vetoes:
        start = months_before(as_of, veto.window_months)
        window = message("近%(months)s个月（%(start)s 至 %(end)s）", months=veto.window_months,
                         start=start.isoformat(), end=as_of.isoformat())
        mine = sorted((e for e in events if e.veto == veto.id),
                      key=lambda e: (e.date, e.description))
        listed = tuple(EventResult(veto.id, e.date.isoformat(), e.description, e.date >= start)
                       for e in mine)
        recent = [e for e in listed if e.within_window]
        older = [e for e in listed if not e.within_window]
        reading = read_boolean(answers.get(veto.id))
        files = evidence.get(veto.id, ())
        declared = reading.value if reading.status == "given" else None
        older_note = (message("所列事件 %(events)s 早于%(window)s，不构成否决。",
                              events=_events_text(older), window=window) if older else Text())
        if recent:
            basis = message("事件记录：%(events)s", events=_events_text(recent))
            why = message("%(events)s 在%(window)s内，属于“%(veto)s”情形；依据%(source)s，实行一票否决。",
                          events=_events_text(recent), window=window, veto=veto.name,
                          source=veto.source)
            if declared is False:
                why += message("与申报单位“未发生”的声明不一致。")
            verdict = "fail"
        elif declared:
            basis = message("申报单位声明")
            why = message("申报单位声明%(window)s内发生过“%(veto)s”情形；依据%(source)s，"
                          "实行一票否决，不得参与评价。", window=window, veto=veto.name,
                          source=veto.source)
            if older:
                why += message("（所列事件 %(events)s 早于该期间，但以声明为准。）",
                               events=_events_text(older))
            verdict = "fail"
        elif declared is False or older:
            verdict = "pass"
            basis = message("申报单位声明") if declared is False else message("事件记录")
            why = (message("申报单位声明未发生该情形。") if declared is False else
                   message("未作出声明，所列事件均早于追溯期间。")) + older_note + _evidence_note(files)
        else:
            verdict, basis = "missing", ""
            why = (message("未作出声明。须逐项声明是否发生该情形后方可评价。") if reading.status == "missing"
                   else message("填写内容“%(entered)s”无法识别（应为“是”或“否”），视为未作出声明。",
                                entered=str(reading.shown)))
        if older:
            notes.append(message("否决项“%(veto)s”：", veto=veto.name) + older_note)
        results.append(GateResult(veto.id, veto.name, verdict, _shown(reading), files, why,
                                  basis, listed))
    return tuple(results), tuple(notes)


def _events_text(events: Sequence[EventResult]) -> Joined:
    return Joined(tuple(f"{e.date}“{e.description}”" if e.description else e.date for e in events))


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


def _unanswered(reading: Reading, expected: str) -> Text:
    if reading.status == "missing":
        return message("未作答。基本要求须逐项确认满足后方可参与评分。")
    if expected == "number":
        return message("填写内容“%(entered)s”无法识别（应为数值），视为未作答。", entered=str(reading.shown))
    return message("填写内容“%(entered)s”无法识别（应为“满足”或“不满足”），视为未作答。",
                   entered=str(reading.shown))


def _shown(reading: Reading) -> Any:
    if reading.status != "given":
        return reading.shown
    value = reading.value
    return float(value) if not isinstance(value, (bool, str)) else value


def _decimal(value: float | None) -> Decimal:
    return Decimal(str(value))


def _amount(value: Any, unit: str) -> Quantity:
    return Quantity(value, unit)


def _evidence_note(files: tuple[str, ...]) -> Text:
    return message("证明材料：%(files)s。", files=Joined(files)) if files else Text()
