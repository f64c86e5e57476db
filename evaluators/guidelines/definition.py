"""A guideline version (评价导则) as frozen dataclasses, read from its TOML data file.

The data file holds every number with its source and confidence; this module checks the file
against the format and lets the guideline's scoring strategy allot each indicator's points.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from evaluators import energy, intensities, strategies
from evaluators.errors import GuidelineError
from evaluators.reference import CONFIDENCES

KINDS = ("factory", "park", "supply_chain")
INDICATOR_TYPES = ("boolean", "number", "text")
DIRECTIONS = ("higher", "lower")
CALCULATORS = ("energy", "carbon")


@dataclass(frozen=True)
class GuidelineInfo:
    key: str
    kind: str
    title: str
    version: str


@dataclass(frozen=True)
class Parameter:
    """A number the strategy uses (e.g. the required items' share of a group)."""

    name: str
    value: float
    unit: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Group:
    """A first-level indicator group (一级指标) and its points."""

    id: str
    name: str
    points: float
    source: str = ""
    confidence: str = "unconfirmed"


@dataclass(frozen=True)
class Indicator:
    """A scored item: a 必选 (required) or 可选 (optional) requirement or a quantitative indicator.

    ``points`` is the most the item can earn, allotted by the guideline's strategy.
    ``criterion`` is the second-level indicator (二级指标) the item belongs to.
    """

    id: str
    group: str
    criterion: str
    name: str
    type: str
    required: bool
    unit: str
    help: str
    points: float
    weight: float
    direction: str | None
    baseline: float | None
    leading: float | None
    options: tuple[str, ...] | None
    derived_from: str | None
    source: str
    confidence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "criterion": self.criterion,
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "unit": self.unit,
            "help": self.help,
            "points": self.points,
            "weight": self.weight,
            "direction": self.direction,
            "baseline": self.baseline,
            "leading": self.leading,
            "options": list(self.options) if self.options is not None else None,
            "derived_from": self.derived_from,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Requirement:
    """A basic requirement (基本要求): must be met before any score counts."""

    id: str
    name: str
    help: str
    source: str
    confidence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "help": self.help,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Veto:
    """A one-vote veto (一票否决): the applicant declares whether the event happened."""

    id: str
    name: str
    question: str
    help: str
    source: str
    confidence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "question": self.question,
            "help": self.help,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Guideline:
    key: str
    kind: str
    title: str
    version: str
    strategy: str
    source: str
    superseded_on: str | None
    default_pass_mark: float
    parameters: tuple[Parameter, ...]
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]
    basic_requirements: tuple[Requirement, ...]
    vetoes: tuple[Veto, ...]
    calculators: tuple[str, ...]
    designation: str  # what a pass designates, e.g. 绿色工厂

    @property
    def info(self) -> GuidelineInfo:
        return GuidelineInfo(self.key, self.kind, self.title, self.version)

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise GuidelineError(f"评价导则 {self.key} 缺少参数 {name}")

    def group_indicators(self, group_id: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.group == group_id)

    def to_dict(self) -> dict[str, Any]:
        """The guideline as JSON: what forms are generated from and the API serves."""
        pass_mark = self.parameter("default_pass_mark")
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "version": self.version,
            "strategy": self.strategy,
            "designation": self.designation,
            "source": self.source,
            "superseded_on": self.superseded_on,
            "default_pass_mark": self.default_pass_mark,
            "default_pass_mark_confidence": pass_mark.confidence,
            "parameters": [
                {
                    "name": p.name,
                    "value": p.value,
                    "unit": p.unit,
                    "source": p.source,
                    "confidence": p.confidence,
                }
                for p in self.parameters
            ],
            "groups": [
                {
                    "id": g.id,
                    "name": g.name,
                    "points": g.points,
                    "source": g.source,
                    "confidence": g.confidence,
                }
                for g in self.groups
            ],
            "indicators": [indicator.to_dict() for indicator in self.indicators],
            "basic_requirements": [r.to_dict() for r in self.basic_requirements],
            "vetoes": [v.to_dict() for v in self.vetoes],
            "calculators": list(self.calculators),
            "energy_carriers": [
                {"key": c.key, "name": c.name, "unit": c.unit, "help": c.help}
                for c in energy.carriers()
            ]
            if "energy" in self.calculators
            else [],
        }


def parse(data: dict[str, Any], expected_key: str | None = None) -> Guideline:
    """A Guideline from the parsed TOML, or GuidelineError saying what is wrong with the file."""
    meta = _table(data, "guideline", "[guideline]")
    key = _text(meta, "key", "[guideline]")
    where = f"评价导则 {key}"
    if expected_key is not None and key != expected_key:
        raise GuidelineError(f"{where}：文件名与 key 不一致（{expected_key}）")
    kind = _text(meta, "kind", where)
    if kind not in KINDS:
        raise GuidelineError(f"{where}：kind 应为 {'、'.join(KINDS)} 之一")
    strategy_name = _text(meta, "strategy", where)
    strategy = strategies.get(strategy_name)
    if strategy is None:
        raise GuidelineError(f"{where}：未知的评分方法 {strategy_name}")
    calculators = tuple(meta.get("calculators", ()))
    if any(c not in CALCULATORS for c in calculators):
        raise GuidelineError(f"{where}：calculators 只能是 {'、'.join(CALCULATORS)}")
    superseded_on = meta.get("superseded_on")
    if superseded_on is not None and not isinstance(superseded_on, datetime.date):
        raise GuidelineError(f"{where}：superseded_on 应为日期")

    parameters = [_parameter("default_pass_mark", meta.get("default_pass_mark"), where)]
    for name, raw in data.get("scoring", {}).items():
        parameters.append(_parameter(name, raw, where))

    groups = tuple(_group(raw, where) for raw in data.get("groups", ()))
    raw_indicators = list(data.get("indicators", ()))
    requirements = tuple(_requirement(raw, where) for raw in data.get("basic_requirements", ()))
    vetoes = tuple(_veto(raw, where) for raw in data.get("vetoes", ()))
    if not groups or not raw_indicators:
        raise GuidelineError(f"{where}：至少需要一个指标组和一个指标")

    ids = [g.id for g in groups]
    ids += [_text(raw, "id", where) for raw in raw_indicators]
    ids += [r.id for r in requirements] + [v.id for v in vetoes]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise GuidelineError(f"{where}：编号重复 {', '.join(duplicates)}")

    group_ids = {g.id for g in groups}
    drafts = tuple(_indicator(raw, group_ids, where) for raw in raw_indicators)
    points = strategy.allocate(groups, drafts, {p.name: p for p in parameters}, where)
    indicators = tuple(_with_points(draft, points[draft.id]) for draft in drafts)

    return Guideline(
        key=key,
        kind=kind,
        title=_text(meta, "title", where),
        version=_text(meta, "version", where),
        strategy=strategy_name,
        source=_text(meta, "source", where),
        superseded_on=superseded_on.isoformat() if superseded_on else None,
        default_pass_mark=parameters[0].value,
        parameters=tuple(parameters),
        groups=groups,
        indicators=indicators,
        basic_requirements=requirements,
        vetoes=vetoes,
        calculators=calculators,
        designation=_text(meta, "designation", where),
    )


def _table(data: Any, name: str, where: str) -> dict[str, Any]:
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise GuidelineError(f"{where}：缺少 {name}")
    return value


def _text(raw: dict[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise GuidelineError(f"{where}：缺少文字字段 {name}")
    return value


def _number(raw: dict[str, Any], name: str, where: str) -> float:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise GuidelineError(f"{where}：{name} 应为数值")
    return float(value)


def _confidence(raw: dict[str, Any], where: str) -> str:
    confidence = raw.get("confidence")
    if confidence not in CONFIDENCES:
        raise GuidelineError(f"{where}：confidence 应为 {'、'.join(CONFIDENCES)} 之一")
    return confidence


def _parameter(name: str, raw: Any, where: str) -> Parameter:
    if not isinstance(raw, dict):
        raise GuidelineError(f"{where}：参数 {name} 应写明 value、source、confidence")
    where = f"{where} 参数 {name}"
    return Parameter(
        name=name,
        value=_number(raw, "value", where),
        unit=str(raw.get("unit", "")),
        source=_text(raw, "source", where),
        confidence=_confidence(raw, where),
    )


def _group(raw: dict[str, Any], where: str) -> Group:
    where = f"{where} 指标组 {raw.get('id')}"
    points = _number(raw, "points", where)
    if points <= 0:
        raise GuidelineError(f"{where}：分值应大于 0")
    return Group(
        id=_text(raw, "id", where),
        name=_text(raw, "name", where),
        points=points,
        source=_text(raw, "source", where),
        confidence=_confidence(raw, where),
    )


def _indicator(raw: dict[str, Any], group_ids: set[str], where: str) -> Indicator:
    where = f"{where} 指标 {raw.get('id')}"
    kind = raw.get("type")
    if kind not in INDICATOR_TYPES:
        raise GuidelineError(f"{where}：type 应为 {'、'.join(INDICATOR_TYPES)} 之一")
    group = _text(raw, "group", where)
    if group not in group_ids:
        raise GuidelineError(f"{where}：指标组 {group} 不存在")
    required = raw.get("required")
    if not isinstance(required, bool):
        raise GuidelineError(f"{where}：required 应为 true 或 false")
    weight = _number(raw, "weight", where) if "weight" in raw else 1.0
    if weight < 0:
        raise GuidelineError(f"{where}：weight 不能为负")

    direction = baseline = leading = None
    if kind == "number":
        direction = raw.get("direction")
        if direction not in DIRECTIONS:
            raise GuidelineError(f"{where}：数值指标的 direction 应为 higher 或 lower")
        baseline = _number(raw, "baseline", where)
        leading = _number(raw, "leading", where)
        if (leading > baseline) != (direction == "higher") or leading == baseline:
            raise GuidelineError(f"{where}：引领值应在基准值的{'上' if direction == 'higher' else '下'}方")
    derived_from = raw.get("derived_from")
    if derived_from is not None and (kind != "number" or derived_from not in intensities.DERIVABLE):
        raise GuidelineError(f"{where}：derived_from {derived_from} 不是可计算的数值")
    options = raw.get("options")
    if options is not None:
        if kind != "text" or not all(isinstance(o, str) for o in options) or not options:
            raise GuidelineError(f"{where}：options 只用于文字指标，应为非空文字列表")
        options = tuple(options)

    return Indicator(
        id=_text(raw, "id", where),
        group=group,
        criterion=_text(raw, "criterion", where),
        name=_text(raw, "name", where),
        type=kind,
        required=required,
        unit=str(raw.get("unit", "")),
        help=_text(raw, "help", where),
        points=0.0,
        weight=weight,
        direction=direction,
        baseline=baseline,
        leading=leading,
        options=options,
        derived_from=derived_from,
        source=_text(raw, "source", where),
        confidence=_confidence(raw, where),
    )


def _with_points(draft: Indicator, points: Decimal) -> Indicator:
    return replace(draft, points=float(points))


def _requirement(raw: dict[str, Any], where: str) -> Requirement:
    where = f"{where} 基本要求 {raw.get('id')}"
    return Requirement(
        id=_text(raw, "id", where),
        name=_text(raw, "name", where),
        help=_text(raw, "help", where),
        source=_text(raw, "source", where),
        confidence=_confidence(raw, where),
    )


def _veto(raw: dict[str, Any], where: str) -> Veto:
    where = f"{where} 否决项 {raw.get('id')}"
    return Veto(
        id=_text(raw, "id", where),
        name=_text(raw, "name", where),
        question=_text(raw, "question", where),
        help=_text(raw, "help", where),
        source=_text(raw, "source", where),
        confidence=_confidence(raw, where),
    )
