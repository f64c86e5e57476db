"""``ratio_to_leading_by_year``: MIIT 绿色工业园区评价要求 (STANDARDS.md §4).

A park reports ``years_required`` consecutive years of data ending with the document's data
year, and is scored for each year [C]. Each indicator earns its points × its value's ratio to
the 引领值 (引领值 ÷ value when lower is better), at most 1; a year's sum is that year's green
index GI. The final score is the mean of the years' scores, a year without data counting 0
[normalisation U]. Every required indicator must be reported for every year.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from evaluators.strategies.base import Inputs, Scoresheet
from evaluators.strategies.items import POINT_PLACES, d
from evaluators.strategies.points import PointsStrategy, YearSheet, group_result
from evaluators.messages import Joined, Number, Text, message
from evaluators.trace import IndicatorResult, YearScore, YearValue
from evaluators.values import as_float

_PARAMETER = "years_required"


class RatioToLeadingByYear(PointsStrategy):
    name = "ratio_to_leading_by_year"
    title = "逐年按引领值比值计分（绿色发展指数），多年平均"
    number_rule = "ratio"
    must_meet_types = frozenset()

    def years_required(self, guideline) -> int:
        return int(guideline.parameter(_PARAMETER).value)

    def allocate(self, groups, indicators, parameters, place):
        years = parameters.get(_PARAMETER)
        if years is None:
            raise place.child("scoring").error(
                _PARAMETER, f"评分方法 {self.name} 需要参数 [scoring.{_PARAMETER}]")
        if years.value < 1 or years.value != int(years.value):
            raise place.child("scoring").child(_PARAMETER).error("value", "年数应为正整数")
        return self.explicit_points(groups, indicators)

    def score(self, guideline, inputs: Inputs) -> Scoresheet:
        count = self.years_required(guideline)
        given = {y.year: y for y in inputs.years}
        latest = max((y for y in given if y is not None), default=None)
        notes: list[str] = []
        reasons: list[str] = []
        if latest is None:
            wanted: list[int | None] = [None]
            reasons.append(message("未填写数据年份：园区评价需提供连续%(count)s年的数据并注明年份",
                                   count=count))
        else:
            wanted = list(range(latest - count + 1, latest + 1))
            absent = [y for y in wanted if y not in given]
            if absent:
                reasons.append(message("缺少%(years)s数据：园区评价需提供%(first)s–%(last)s年连续%(count)s年的数据",
                                       years=_years(absent), first=str(wanted[0]),
                                       last=str(wanted[-1]), count=count))
            unused = sorted(y for y in given if y is not None and y not in wanted)
            if unused or None in given:
                listed = _years(unused).items + ((message("未注明年份的"),) if None in given else ())
                notes.append(message("%(years)s数据不在评价年度（%(first)s–%(last)s年）内，未计分。",
                                     years=Joined(listed), first=str(wanted[0]), last=str(wanted[-1])))
        sheets = {y: self.score_year(guideline, given[y]) for y in wanted if y in given}

        missing: dict[str, list[int | None]] = {}
        for year in wanted:
            for indicator_id in sheets[year].missing if year in sheets else ():
                missing.setdefault(indicator_id, []).append(year)
        order = [i.id for i in guideline.indicators]
        missing = {i: missing[i] for i in order if i in missing}

        divisor = Decimal(len(wanted))
        indicators = tuple(self._combined(indicator, wanted, sheets, divisor)
                           for indicator in guideline.indicators)
        groups = tuple(
            group_result(group, sum((s.group_points[group.id] for s in sheets.values()),
                                    Decimal(0)) / divisor)
            for group in guideline.groups)
        total = sum((s.total for s in sheets.values()), Decimal(0)) / divisor
        years = tuple(self._year_score(guideline, year, sheets.get(year)) for year in wanted)
        return Scoresheet(
            indicators=indicators,
            groups=groups,
            total=total,
            reasons=tuple(reasons) + self.reasons(guideline, (), missing),
            missing=tuple(missing),
            years=years,
            notes=tuple(notes),
        )

    def _combined(self, indicator, wanted: Sequence[int | None],
                  sheets: dict[int | None, YearSheet], divisor: Decimal) -> IndicatorResult:
        per_year: list[YearValue] = []
        total = Decimal(0)
        latest: IndicatorResult | None = None
        for year in wanted:
            sheet = sheets.get(year)
            if sheet is None:
                per_year.append(YearValue(year, None, 0.0, message("未提供该年数据，得 0 分。")))
                continue
            result = next(r for r in sheet.indicators if r.id == indicator.id)
            total += sheet.points[indicator.id]
            per_year.append(YearValue(year, result.value, result.points, result.why))
            latest = result
        mean = total / divisor
        label = Joined(tuple(message("%(year)s年 %(points)s 分", year=str(y.year),
                                     points=Number(y.points, POINT_PLACES))
                             for y in per_year if y.year is not None))
        mean_points = Number(mean, POINT_PLACES)
        why = (message("各年得分：%(years)s；%(count)s年平均得 %(points)s 分。", years=label,
                       count=len(per_year), points=mean_points)
               if label.items else message("得 %(points)s 分。", points=mean_points))
        if latest is not None:
            why += message("最近一年：") + latest.why
        return IndicatorResult(
            id=indicator.id,
            group=indicator.group,
            name=indicator.name,
            type=indicator.type,
            required=indicator.required,
            value=latest.value if latest else None,
            unit=indicator.unit,
            rule=(latest.rule if latest else Text()) + message("园区按各年分别计分，取各年平均。"),
            points=as_float(mean, POINT_PLACES),
            max_points=as_float(d(indicator.points), POINT_PLACES),
            evidence=latest.evidence if latest else (),
            why=why,
            calculated=latest.calculated if latest else False,
            years=tuple(per_year),
        )

    @staticmethod
    def _year_score(guideline, year: int | None, sheet: YearSheet | None) -> YearScore:
        if sheet is None:
            return YearScore(year, False, 0.0,
                             tuple(group_result(g, Decimal(0)) for g in guideline.groups), ())
        return YearScore(
            year=year,
            provided=True,
            total=as_float(sheet.total, POINT_PLACES),
            groups=tuple(group_result(g, sheet.group_points[g.id]) for g in guideline.groups),
            missing=sheet.missing,
        )


def _years(years: Sequence[int]) -> Joined:
    return Joined(tuple(message("%(year)s年", year=str(year)) for year in years))
