"""The explanations of the trace keep their messages: the Chinese text is what it always was, and
the messages stored beside it give that same text back, so a page can show either language."""
from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest

from evaluators import evaluate
from evaluators.examples import example_document
from evaluators.guidelines import available
from evaluators.messages import Day, Joined, Number, Quantity, Text, chinese, encode, message

AS_OF = "2026-11-23"


def test_a_message_reads_as_its_chinese_sentence_and_keeps_its_values() -> None:
    text = message("%(label)s %(value)s 介于基准值 %(baseline)s 与引领值 %(leading)s 之间，"
                   "按线性插值得 %(earned)s 分（满分 %(points)s 分）。", label=message("计算值"),
                   value=Quantity(Decimal("29.8155"), "kgce/万元", 4),
                   baseline=Quantity(100, "kgce/万元"), leading=Quantity(20, "kgce/万元"),
                   earned=Number(Decimal("0.87730625"), 2), points=Number(1))
    assert text == "计算值 29.8155 kgce/万元 介于基准值 100 kgce/万元 与引领值 20 kgce/万元 之间，按线性插值得 0.88 分（满分 1 分）。"
    assert encode(text) == [{"id": "%(label)s %(value)s 介于基准值 %(baseline)s 与引领值 %(leading)s 之间，"
                                   "按线性插值得 %(earned)s 分（满分 %(points)s 分）。",
                             "values": {"label": {"id": "计算值"},
                                        "value": {"value": 29.8155, "unit": "kgce/万元"},
                                        "baseline": {"value": 100, "unit": "kgce/万元"},
                                        "leading": {"value": 20, "unit": "kgce/万元"},
                                        "earned": 0.88, "points": 1}}]


def test_adding_text_keeps_every_message_and_plain_text_is_kept_as_it_is() -> None:
    text = "" + message("未填写。") + message("此项为必填项。")
    assert isinstance(text, Text) and text == "未填写。此项为必填项。"
    assert [part["id"] for part in encode(text)] == ["未填写。", "此项为必填项。"]
    assert encode(text + "（手写）")[-1] == {"id": "（手写）"}
    assert encode("不是组合的文字") == []


def test_lists_days_and_percentages() -> None:
    text = message("填报“%(option)s”，按该档 %(share)s%% 计。", option="较好", share=Number(Decimal("50.0")))
    assert text == "填报“较好”，按该档 50% 计。"
    days = Joined((Day(datetime.date(2026, 1, 5)), Day(datetime.date(2026, 10, 1), year=False)), "；")
    assert str(days) == "2026年1月5日；10月1日"
    assert chinese(json.loads(json.dumps(encode(message("%(days)s", days=days))))) == str(days)


@pytest.mark.parametrize("key", [g.key for g in available()])
@pytest.mark.parametrize("quality", ["pass", "fail", "blank"])
def test_the_stored_messages_give_back_the_chinese_text(key: str, quality: str) -> None:
    """Every explanation of every example, stored as JSON, reads back as the same Chinese."""
    document = example_document(key, quality) if quality != "blank" else {"vetoes": {"x": "也许"}, "years": [1]}
    trace = json.loads(json.dumps(evaluate(key, document, None, 80, as_of=AS_OF).to_dict()))
    explained = [(trace, "reasons"), (trace, "notes")]
    pairs = [(text, parts) for container, name in explained
             for text, parts in zip(container[name], container[f"{name}_messages"], strict=True)]
    for item in trace["indicators"] + trace["basic_requirements"] + trace["vetoes"]:
        pairs.append((item["why"], item["why_messages"]))
        if "rule" in item:
            pairs.append((item["rule"], item["rule_messages"]))
    for step in trace["calculations"]:
        if step["name_messages"]:  # a name taken from a reference table as it is has none
            pairs.append((step["name"], step["name_messages"]))
    assert pairs
    for text, parts in pairs:
        assert parts and chinese(parts) == text, text
