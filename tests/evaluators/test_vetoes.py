"""One-vote vetoes (工信部节〔2024〕13号 第十五条) over the 36 months before the evaluation date,
with dated events, and basic requirements; each failing item names what it rests on."""
import datetime

import pytest

from evaluators import evaluate
from evaluators.examples import example_document
from evaluators.gates import months_before

KEY = "factory-gbt36132-2018"
AS_OF = datetime.date(2025, 3, 31)  # window: 2022-03-31 to 2025-03-31


@pytest.fixture
def full():
    return example_document(KEY, "full")


def _veto(result, veto_id):
    return next(v for v in result.vetoes if v.id == veto_id)


@pytest.mark.parametrize(("day", "months", "start"), [
    (datetime.date(2025, 3, 31), 36, datetime.date(2022, 3, 31)),
    (datetime.date(2024, 2, 29), 36, datetime.date(2021, 2, 28)),  # no 29 February in 2021
    (datetime.date(2025, 1, 15), 1, datetime.date(2024, 12, 15)),
    (datetime.date(2025, 5, 31), 3, datetime.date(2025, 2, 28)),
])
def test_months_before(day, months, start):
    assert months_before(day, months) == start


@pytest.mark.parametrize(("date", "verdict"), [
    ("2024-06-01", "fail"),   # 10 months before: inside the window
    ("2022-03-31", "fail"),   # exactly 36 months before: still inside
    ("2022-03-30", "pass"),   # a day older: outside, passes with a note
    ("2019-05-20", "pass"),
    ("2025-04-02", "fail"),   # after the evaluation date: counted, never excused
])
def test_a_dated_event_decides_by_the_36_month_window(full, date, verdict):
    full["events"] = [{"veto": "veto_dishonest_debtor", "date": date, "description": "列入失信名单"}]
    result = evaluate(KEY, full, as_of=AS_OF)
    veto = _veto(result, "veto_dishonest_debtor")
    assert veto.verdict == verdict
    assert veto.events[0].date == date and veto.events[0].within_window is (verdict == "fail")
    if verdict == "fail":
        assert not result.eligible
        assert result.reasons == (
            "否决项：失信被执行人（工信部节〔2024〕13号 第十五条（六）），"
            f"依据：事件记录：{date}“列入失信名单”",)
        assert "与申报单位“未发生”的声明不一致" in veto.why
    else:
        assert result.eligible
        assert "早于近36个月（2022-03-31 至 2025-03-31），不构成否决" in veto.why
        assert any(note.startswith("否决项“失信被执行人”") for note in result.notes)


def test_the_window_moves_with_the_evaluation_date(full):
    full["events"] = [{"veto": "veto_energy_inspection", "date": "2022-06-01",
                       "description": "节能监察整改未完成"}]
    assert not evaluate(KEY, full, as_of="2025-05-31").eligible
    assert evaluate(KEY, full, as_of="2025-06-02").eligible


def test_declared_yes_fails_even_with_only_old_events(full):
    full["vetoes"]["veto_accident_or_tax"] = "是"
    full["events"] = [{"veto": "veto_accident_or_tax", "date": "2020-01-10", "description": "火灾"}]
    veto = _veto(evaluate(KEY, full, as_of=AS_OF), "veto_accident_or_tax")
    assert veto.verdict == "fail" and veto.basis == "申报单位声明" and "以声明为准" in veto.why


def test_old_events_answer_an_undeclared_item(full):
    del full["vetoes"]["veto_removed_from_list"]
    full["events"] = [{"veto": "veto_removed_from_list", "date": "2018-12-01"}]
    veto = _veto(evaluate(KEY, full, as_of=AS_OF), "veto_removed_from_list")
    assert veto.verdict == "pass" and veto.basis == "事件记录"


@pytest.mark.parametrize(("events", "note"), [
    ([{"veto": "veto_dishonest_debtor", "date": "2024/06/01"}], "日期“2024/06/01”无法识别"),
    ([{"date": "2024-06-01"}], "未注明所属否决项"),
    ([{"veto": "veto_unknown", "date": "2024-06-01"}], "veto_unknown 不属于本评价导则"),
    (["x"], "格式无法识别"),
    ("x", "应为列表"),
])
def test_unreadable_events_are_left_out_with_a_note(full, events, note):
    full["events"] = events
    result = evaluate(KEY, full, as_of=AS_OF)
    assert result.eligible
    assert any(note in n for n in result.notes)


def test_every_failing_item_is_named_with_its_basis_and_evidence(full):
    full["basic"]["basic_pollutant_permit"] = False
    full["vetoes"]["veto_abnormal_operation"] = True
    full["events"] = [{"veto": "veto_inspection_problem", "date": "2023-09-09",
                       "description": "督查通报"}]
    evidence = {"basic_pollutant_permit": ["排污登记回执.pdf"], "veto_abnormal_operation": ["公示截图.png"]}
    result = evaluate(KEY, full, evidence, as_of=AS_OF)
    assert result.reasons == (
        "基本要求未满足：依法取得排污许可（或完成排污登记）并按证排污，依据：申报单位声明，证明材料：排污登记回执.pdf",
        "否决项：非正常生产经营（工信部节〔2024〕13号 第十五条（一）），依据：申报单位声明，证明材料：公示截图.png",
        "否决项：督查检查发现严重问题（工信部节〔2024〕13号 第十五条（四）），依据：事件记录：2023-09-09“督查通报”",
    )
    verdicts = {g.id: g.verdict for g in (*result.basic_requirements, *result.vetoes)}
    assert [k for k, v in verdicts.items() if v == "fail"] == [
        "basic_pollutant_permit", "veto_abnormal_operation", "veto_inspection_problem"]


def test_as_of_is_recorded_and_must_be_a_date(full):
    assert evaluate(KEY, full, as_of=AS_OF).as_of == "2025-03-31"
    assert evaluate(KEY, full, as_of=datetime.datetime(2025, 3, 31, 9)).as_of == "2025-03-31"
    assert evaluate(KEY, full).as_of == datetime.date.today().isoformat()
    with pytest.raises(ValueError):
        evaluate(KEY, full, as_of="31/03/2025")
