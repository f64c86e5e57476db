"""A guideline version (评价导则) as frozen dataclasses, read from its TOML data file.

The data file holds every number with its source and confidence; this module checks the file
against the format and lets the guideline's scoring strategy allot (or check) each indicator's
points. A file that breaks the format is refused with a GuidelineError naming the file, the
line where the entry starts, the entry's id and the field.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from evaluators import energy, intensities, strategies
from evaluators.errors import GuidelineError
from evaluators.guidelines.locations import Place, SourceText
from evaluators.reference import CONFIDENCES

KINDS = ("factory", "park", "supply_chain")
INDICATOR_TYPES = ("boolean", "number", "text")
REQUIREMENT_TYPES = ("boolean", "number")
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
    place: Place | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Band:
    """Baseline and leading value that apply when the banding figure lies in [at_least, below)."""

    at_least: float | None
    below: float | None
    baseline: float
    leading: float
    source: str
    confidence: str

    def holds(self, value: Decimal) -> bool:
        return ((self.at_least is None or value >= Decimal(str(self.at_least)))
                and (self.below is None or value < Decimal(str(self.below))))

    def to_dict(self) -> dict[str, Any]:
        return {"at_least": self.at_least, "below": self.below, "baseline": self.baseline,
                "leading": self.leading, "source": self.source, "confidence": self.confidence}


@dataclass(frozen=True)
class Indicator:
    """A scored item: a 必选 (required) or 可选 (optional) requirement or a quantitative indicator.

    ``points`` is the most the item can earn, allotted by the guideline's strategy or given in
    the file. ``criterion`` is the second-level indicator (二级指标) the item belongs to.
    ``options`` with ``option_shares`` make a text item a scored level (e.g. 完善 1, 较完善 0.7).
    ``bands`` replace baseline and leading by the band the figure ``band_by`` falls in.
    ``product_limits``: when the products carry the grades of a mandatory energy-limit standard,
    score their unit energy use instead (grade 1 leading, grade 2 baseline, weighted by energy).
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
    option_shares: tuple[float, ...] | None = None
    bands: tuple[Band, ...] = ()
    band_by: str | None = None
    band_name: str | None = None
    band_unit: str | None = None
    product_limits: bool = False
    place: Place | None = field(default=None, compare=False, repr=False)

    @property
    def scored_levels(self) -> bool:
        return self.type == "text" and self.option_shares is not None

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
            "option_shares": list(self.option_shares) if self.option_shares is not None else None,
            "bands": [band.to_dict() for band in self.bands],
            "band_by": self.band_by,
            "band_name": self.band_name,
            "band_unit": self.band_unit,
            "product_limits": self.product_limits,
            "derived_from": self.derived_from,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Requirement:
    """A basic requirement (基本要求): must be met before any score counts.

    A "number" requirement (e.g. ≥ 2 full-time staff) is met when the value is at least
    ``at_least``; a plain yes is accepted as the applicant's declaration.
    """

    id: str
    name: str
    help: str
    source: str
    confidence: str
    type: str = "boolean"
    unit: str = ""
    at_least: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "help": self.help,
            "type": self.type,
            "unit": self.unit,
            "at_least": self.at_least,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Veto:
    """A one-vote veto (一票否决): the applicant declares whether the event happened within
    ``window_months`` before the evaluation date, and may list dated events."""

    id: str
    name: str
    question: str
    help: str
    source: str
    confidence: str
    window_months: int = 36

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "question": self.question,
            "help": self.help,
            "window_months": self.window_months,
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
    effective_on: str | None = None
    digest: str = ""  # SHA-256 of the data file: the exact version an evaluation used
    origin: str = ""  # the file it was read from, as shown in messages

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
        strategy = strategies.get(self.strategy)
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "version": self.version,
            "strategy": self.strategy,
            "strategy_title": strategy.title if strategy else self.strategy,
            "years_required": strategy.years_required(self) if strategy else 1,
            "designation": self.designation,
            "source": self.source,
            "effective_on": self.effective_on,
            "superseded_on": self.superseded_on,
            "digest": self.digest,
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


def parse(data: dict[str, Any], expected_key: str | None = None, *,
          source: SourceText | None = None, digest: str = "") -> Guideline:
    """A Guideline from the parsed TOML, or GuidelineError saying what is wrong with the file.

    ``source`` (the file's name and text) lets messages give line numbers.
    """
    source = source or SourceText(f"{expected_key or '（未命名）'}.toml")
    root = Place(source)
    if not isinstance(data, dict) or not isinstance(data.get("guideline"), dict):
        raise root.error("guideline", "缺少 [guideline] 表")
    meta = data["guideline"]
    head = root.child("guideline")
    key = _text(meta, "key", head)
    if expected_key is not None and key != expected_key:
        raise head.error("key", f"文件名与 key 不一致（文件名为 {expected_key}）")
    kind = _text(meta, "kind", head)
    if kind not in KINDS:
        raise head.error("kind", f"kind 应为 {'、'.join(KINDS)} 之一")
    strategy_name = _text(meta, "strategy", head)
    strategy = strategies.get(strategy_name)
    if strategy is None:
        raise head.error("strategy", f"未知的评分方法 {strategy_name}（可用：{'、'.join(strategies.names())}）")
    calculators = meta.get("calculators", [])
    if not isinstance(calculators, list) or any(c not in CALCULATORS for c in calculators):
        raise head.error("calculators", f"calculators 只能是 {'、'.join(CALCULATORS)}")
    dates = {name: _date(meta, name, head) for name in ("effective_on", "superseded_on")}

    parameters = [_parameter("default_pass_mark", meta.get("default_pass_mark"),
                             head.child("default_pass_mark"), head)]
    scoring = data.get("scoring", {})
    if not isinstance(scoring, dict):
        raise root.error("scoring", "[scoring] 应为表")
    for name, raw in scoring.items():
        parameters.append(_parameter(name, raw, root.child("scoring").child(name), root))

    groups = tuple(_group(raw, place) for raw, place in _entries(data, "groups", root))
    indicator_entries = _entries(data, "indicators", root)
    requirements = tuple(_requirement(raw, place)
                         for raw, place in _entries(data, "basic_requirements", root))
    vetoes = tuple(_veto(raw, place) for raw, place in _entries(data, "vetoes", root))
    if not groups:
        raise root.error("groups", "至少需要一个 [[groups]] 指标组")
    if not indicator_entries:
        raise root.error("indicators", "至少需要一个 [[indicators]] 指标")

    seen: set[str] = set()
    id_places = [(g.id, g.place) for g in groups]
    id_places += [(_text(raw, "id", place), place) for raw, place in indicator_entries]
    id_places += [(r.id, place) for r, (_, place) in
                  zip(requirements, _entries(data, "basic_requirements", root))]
    id_places += [(v.id, place) for v, (_, place) in zip(vetoes, _entries(data, "vetoes", root))]
    for entry_id, place in id_places:
        if entry_id in seen:
            raise place.identified(entry_id).error("id", f"编号重复 {entry_id}")
        seen.add(entry_id)

    group_ids = {g.id for g in groups}
    drafts = tuple(_indicator(raw, place, group_ids) for raw, place in indicator_entries)
    points = strategy.allocate(groups, drafts, {p.name: p for p in parameters}, root)
    indicators = tuple(replace(draft, points=float(points[draft.id])) for draft in drafts)

    return Guideline(
        key=key,
        kind=kind,
        title=_text(meta, "title", head),
        version=_text(meta, "version", head),
        strategy=strategy_name,
        source=_text(meta, "source", head),
        superseded_on=dates["superseded_on"],
        effective_on=dates["effective_on"],
        default_pass_mark=parameters[0].value,
        parameters=tuple(parameters),
        groups=groups,
        indicators=indicators,
        basic_requirements=requirements,
        vetoes=vetoes,
        calculators=tuple(calculators),
        designation=_text(meta, "designation", head),
        digest=digest,
        origin=source.label,
    )


def _entries(data: dict[str, Any], name: str, root: Place) -> list[tuple[dict[str, Any], Place]]:
    raw = data.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise root.error(name, f"{name} 应写成若干个 [[{name}]] 表")
    return [(entry, root.child(name, index).identified(entry.get("id")))
            for index, entry in enumerate(raw)]


def _text(raw: dict[str, Any], name: str, place: Place) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise place.error(name, f"缺少文字字段 {name}" if name not in raw
                          else f"{name} 应为非空文字")
    return value


def _optional_text(raw: dict[str, Any], name: str, place: Place) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise place.error(name, f"{name} 应为文字")
    return value


def _number(raw: dict[str, Any], name: str, place: Place) -> float:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise place.error(name, f"缺少数值字段 {name}" if name not in raw else f"{name} 应为数值")
    return float(value)


def _optional_number(raw: dict[str, Any], name: str, place: Place) -> float | None:
    return _number(raw, name, place) if name in raw else None


def _date(raw: dict[str, Any], name: str, place: Place) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise place.error(name, f"{name} 应为日期（如 2025-12-31）")
    return value.isoformat()


def _confidence(raw: dict[str, Any], place: Place) -> str:
    confidence = raw.get("confidence")
    if confidence not in CONFIDENCES:
        raise place.error("confidence", f"confidence 应为 {'、'.join(CONFIDENCES)} 之一")
    return confidence


def _parameter(name: str, raw: Any, place: Place, parent: Place) -> Parameter:
    if not isinstance(raw, dict):
        raise parent.error(name, f"参数 {name} 应写明 value、source、confidence")
    return Parameter(
        name=name,
        value=_number(raw, "value", place),
        unit=_optional_text(raw, "unit", place),
        source=_text(raw, "source", place),
        confidence=_confidence(raw, place),
    )


def _group(raw: dict[str, Any], place: Place) -> Group:
    points = _number(raw, "points", place)
    if points <= 0:
        raise place.error("points", "分值应大于 0")
    return Group(
        id=_text(raw, "id", place),
        name=_text(raw, "name", place),
        points=points,
        source=_text(raw, "source", place),
        confidence=_confidence(raw, place),
        place=place,
    )


def _indicator(raw: dict[str, Any], place: Place, group_ids: set[str]) -> Indicator:
    kind = raw.get("type")
    if kind not in INDICATOR_TYPES:
        raise place.error("type", f"type 应为 {'、'.join(INDICATOR_TYPES)} 之一")
    group = _text(raw, "group", place)
    if group not in group_ids:
        raise place.error("group", f"指标组 {group} 不存在")
    required = raw.get("required")
    if not isinstance(required, bool):
        raise place.error("required", "required 应为 true 或 false")
    weight = _number(raw, "weight", place) if "weight" in raw else 1.0
    if weight < 0:
        raise place.error("weight", "weight 不能为负")
    points = _optional_number(raw, "points", place)
    if points is not None and points < 0:
        raise place.error("points", "points 不能为负")

    direction = baseline = leading = None
    bands: tuple[Band, ...] = ()
    band_by = band_name = band_unit = None
    if kind == "number":
        direction = raw.get("direction")
        if direction not in DIRECTIONS:
            raise place.error("direction", "数值指标的 direction 应为 higher 或 lower")
        baseline = _optional_number(raw, "baseline", place)
        leading = _optional_number(raw, "leading", place)
        if "bands" in raw:
            band_by = _text(raw, "band_by", place)
            if band_by not in intensities.DERIVABLE:
                raise place.error("band_by", f"band_by {band_by} 不是可计算的数值")
            band_name = _text(raw, "band_name", place)
            band_unit = _optional_text(raw, "band_unit", place)
            bands = _bands(raw, place, direction)
        elif leading is None:
            raise place.error("leading", "数值指标缺少引领值 leading")
        if baseline is not None and leading is not None:
            _check_order(baseline, leading, direction, place)
    product_limits = raw.get("product_limits", False)
    if not isinstance(product_limits, bool) or (product_limits and direction != "lower"):
        raise place.error("product_limits", "product_limits 应为 true 或 false，且只用于越低越好的数值指标")
    derived_from = raw.get("derived_from")
    if derived_from is not None and (kind != "number" or derived_from not in intensities.DERIVABLE):
        raise place.error("derived_from", f"derived_from {derived_from} 不是可计算的数值")

    options = raw.get("options")
    if options is not None:
        if kind != "text" or not isinstance(options, list) or not options or not all(
                isinstance(o, str) and o.strip() for o in options):
            raise place.error("options", "options 只用于文字指标，应为非空文字列表")
        options = tuple(options)
    shares = raw.get("option_shares")
    if shares is not None:
        if options is None or not isinstance(shares, list) or len(shares) != len(options) or any(
                isinstance(s, bool) or not isinstance(s, (int, Decimal)) or not 0 <= s <= 1
                for s in shares):
            raise place.error("option_shares", "option_shares 应与 options 一一对应，取值 0–1")
        shares = tuple(float(s) for s in shares)

    return Indicator(
        id=_text(raw, "id", place),
        group=group,
        criterion=_optional_text(raw, "criterion", place),
        name=_text(raw, "name", place),
        type=kind,
        required=required,
        unit=_optional_text(raw, "unit", place),
        help=_text(raw, "help", place),
        points=points if points is not None else -1.0,  # -1: not given; the strategy decides
        weight=weight,
        direction=direction,
        baseline=baseline,
        leading=leading,
        options=options,
        option_shares=shares,
        derived_from=derived_from,
        bands=bands,
        band_by=band_by,
        band_name=band_name,
        band_unit=band_unit,
        product_limits=product_limits,
        source=_text(raw, "source", place),
        confidence=_confidence(raw, place),
        place=place,
    )


def _check_order(baseline: float, leading: float, direction: str, place: Place) -> None:
    if (leading > baseline) != (direction == "higher") or leading == baseline:
        side = "上" if direction == "higher" else "下"
        raise place.error("leading", f"引领值应在基准值的{side}方（direction = {direction}）")


def _bands(raw: dict[str, Any], place: Place, direction: str) -> tuple[Band, ...]:
    entries = raw["bands"]
    if not isinstance(entries, list) or not entries or not all(
            isinstance(b, dict) for b in entries):
        raise place.error("bands", "bands 应写成若干个 [[indicators.bands]] 表")
    bands = []
    for index, entry in enumerate(entries):
        here = place.child("bands", index)
        band = Band(
            at_least=_optional_number(entry, "at_least", here),
            below=_optional_number(entry, "below", here),
            baseline=_number(entry, "baseline", here),
            leading=_number(entry, "leading", here),
            source=_text(entry, "source", here),
            confidence=_confidence(entry, here),
        )
        _check_order(band.baseline, band.leading, direction, here)
        bands.append(band)
    # The bands must tile the line: sorted by lower bound, each starting where the last ended.
    ordered = sorted(bands, key=lambda b: -1e300 if b.at_least is None else b.at_least)
    if ordered[0].at_least is not None or ordered[-1].below is not None or any(
            a.below is None or a.below != b.at_least for a, b in zip(ordered, ordered[1:])):
        raise place.error("bands", "各档 at_least / below 应首尾相接、覆盖全部取值"
                          "（最低档不写 at_least，最高档不写 below）")
    return tuple(bands)


def _requirement(raw: dict[str, Any], place: Place) -> Requirement:
    kind = raw.get("type", "boolean")
    if kind not in REQUIREMENT_TYPES:
        raise place.error("type", f"基本要求的 type 应为 {'、'.join(REQUIREMENT_TYPES)} 之一")
    at_least = _number(raw, "at_least", place) if kind == "number" else None
    return Requirement(
        id=_text(raw, "id", place),
        name=_text(raw, "name", place),
        help=_text(raw, "help", place),
        source=_text(raw, "source", place),
        confidence=_confidence(raw, place),
        type=kind,
        unit=_optional_text(raw, "unit", place),
        at_least=at_least,
    )


def _veto(raw: dict[str, Any], place: Place) -> Veto:
    months = raw.get("window_months")
    if isinstance(months, bool) or not isinstance(months, int) or months <= 0:
        raise place.error("window_months", "window_months（追溯月数）应为正整数")
    return Veto(
        id=_text(raw, "id", place),
        name=_text(raw, "name", place),
        question=_text(raw, "question", place),
        help=_text(raw, "help", place),
        source=_text(raw, "source", place),
        confidence=_confidence(raw, place),
        window_months=months,
    )
