"""Gate checks before any score: basic requirements (基本要求) and one-vote vetoes (否决项).

STANDARDS.md §2 [C]: every basic requirement must hold, and none of the six situations of
工信部节〔2024〕13号 第十五条 may have occurred in the last three years.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evaluators.trace import GateResult
from evaluators.values import read_boolean

if TYPE_CHECKING:
    from evaluators.guidelines.definition import Requirement, Veto


def check_basic(requirements: Sequence[Requirement], answers: Any,
                evidence: Mapping[str, tuple[str, ...]]) -> tuple[GateResult, ...]:
    """Each requirement is answered true (met) or false (not met)."""
    answers = answers if isinstance(answers, Mapping) else {}
    results = []
    for requirement in requirements:
        reading = read_boolean(answers.get(requirement.id))
        files = evidence.get(requirement.id, ())
        if reading.status == "given" and reading.value:
            verdict, why = "pass", "申报单位确认满足该基本要求。" + _evidence_note(files)
        elif reading.status == "given":
            verdict, why = "fail", "申报单位填报未满足该基本要求；基本要求须全部满足方可参与评分。"
        elif reading.status == "missing":
            verdict, why = "missing", "未作答。基本要求须逐项确认满足后方可参与评分。"
        else:
            verdict, why = "missing", (f"填写内容“{reading.shown}”无法识别（应为“满足”或“不满足”），"
                                       "视为未作答。")
        results.append(GateResult(requirement.id, requirement.name, verdict,
                                  reading.shown if reading.status != "given" else reading.value,
                                  files, why))
    return tuple(results)


def check_vetoes(vetoes: Sequence[Veto], answers: Any,
                 evidence: Mapping[str, tuple[str, ...]]) -> tuple[GateResult, ...]:
    """Each declaration is answered true (the event happened: fail) or false (pass)."""
    answers = answers if isinstance(answers, Mapping) else {}
    results = []
    for veto in vetoes:
        reading = read_boolean(answers.get(veto.id))
        files = evidence.get(veto.id, ())
        if reading.status == "given" and reading.value:
            verdict, why = "fail", (f"申报单位声明发生过“{veto.name}”情形；依据{veto.source}，"
                                    "实行一票否决，不得参与评价。")
        elif reading.status == "given":
            verdict, why = "pass", "申报单位声明未发生该情形。" + _evidence_note(files)
        elif reading.status == "missing":
            verdict, why = "missing", "未作出声明。须逐项声明是否发生该情形后方可评价。"
        else:
            verdict, why = "missing", (f"填写内容“{reading.shown}”无法识别（应为“是”或“否”），"
                                       "视为未作出声明。")
        results.append(GateResult(veto.id, veto.name, verdict,
                                  reading.shown if reading.status != "given" else reading.value,
                                  files, why))
    return tuple(results)


def _evidence_note(files: tuple[str, ...]) -> str:
    return f"证明材料：{'、'.join(files)}。" if files else ""
