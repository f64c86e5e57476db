"""The expert panel draw: conflict rules first, then a seeded order anyone can re-run.

The draw (algorithm `sha256-pick/2`):

1. The pool is every active expert. Each is excluded for every conflict rule that applies
   (`exclusions`); the reasons go into the report.
2. The remaining candidates, in id order, are picked one at a time: the k-th pick takes the key
   SHA-256("<seed>#<k>") as a 256-bit number; its remainder divided by the number of candidates
   not yet picked is the position (from 0, in id order) of the one picked. The seed is recorded,
   so anyone with the candidate list can recompute the order, by hand if need be; only the
   picks the walk reads are computed, so a draw costs as much over 5,000 experts as over 50.
3. In the order picked, a candidate is taken unless the places left would then be too few for
   the composition rules still unmet (an expert of the applicant's industry division; an
   energy or carbon specialist). A replacement picks from the candidates left as of then,
   continuing the panel's numbering of picks (`first_step`).

The report records the seed, the rules, every candidate's id as runs of consecutive ids
(`candidate_ranges`: [[1, 1990], [1992, 5000]] for all but expert 1991), the candidates the walk
read, with name, key and specialties (`considered`), and every excluded expert with the reasons,
kept once for all the experts excluded for the same reasons (`exclusions`; `shown` gives each
expert a line of their own): enough to re-run the draw (`replay`) from the report alone.

Panels drawn before `sha256-pick/2` used `sha256-rank/1`: every candidate ranked by the key
SHA-256("<seed>|<expert id>"), a replacement continuing the same ranking. Their reports replay,
and their replacements continue, under it. The oldest of them list every candidate with name,
key and specialties (`candidates`) rather than `candidate_ranges`; `candidate_ids` and
`considered` read both shapes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Date, DateTime, Integer, Select, Text, bindparam, case, cast, func, select, union
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

import evaluators
from evaluators.messages import Day, Joined, encode, joined, message
from models import Application, Expert, Panel, Review
from models.enums import ApplicationState, ReviewState, Role, Tier
from models.experts import LISTS_FORMER_EMPLOYERS, UNAVAILABLE_SOMETIME, ConflictDeclaration, ConflictSource
from models.schema import reference_rows
from workflow import audit, db, notices, notifications, permissions
from workflow.actors import Actor, is_role
from workflow.calendar import add_working_days
from workflow.clock import CHINA, add_years, local_date
from workflow.errors import Forbidden, Invalid, NotPossible

PICKED = "sha256-pick/2"
RANKED = "sha256-rank/1"  # panels drawn before sha256-pick/2
ALGORITHM = PICKED  # new draws
# Conflicts reach back 3 years: former employment and earlier reviews of the same applicant.
RECENT_YEARS = 3
LOCAL_TIERS = {Tier.county, Tier.city}
# An odd panel of at least 3; provincial and national tiers at least 5.
MIN_PANEL = {Tier.county: 3, Tier.city: 3, Tier.province: 5, Tier.national: 5}
# Specialties are GB/T 4754 divisions (a section letter and two digits, "C30") or these fields.
FIELDS = {"energy": "能源", "environment": "环境", "carbon": "碳排放", "safety": "安全生产"}
DIVISION = re.compile(r"^[A-T]\d{2}$")
ENERGY_OR_CARBON = frozenset({"energy", "carbon"})
OPEN_STATES = (ApplicationState.under_review, ApplicationState.awaiting_clarification)
OPEN_REVIEWS = (ReviewState.invited, ReviewState.accepted)

RULE_LABELS = {
    "unavailable": "不在可参评期间",
    "employer": "任职于申报单位",
    "group": "任职于申报单位所属集团",
    "consultant": "任职于申报单位委托的咨询或第三方评价机构",
    "former_employer": "近3年内曾任职于相关单位",
    "declared_by_expert": "专家本人申报利益冲突",
    "declared_by_applicant": "申报单位申请回避",
    "recent_review": "近3年内评审过该申报单位",
    "same_county": "与申报单位同属一个区县",
    "load_cap": "在审任务达到上限",
    "drawer": "抽取人本人",
}


@dataclass(frozen=True)
class Exclusion:
    rule: str
    reason: str


@dataclass(frozen=True)
class Requirement:
    """A composition rule: at least one panel member whose specialties meet `specialties`."""

    code: str
    specialties: frozenset[str]
    message: str


class Shortfall(Exception):
    """The pool cannot fill the places under the rules; `rule` names the one not met."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


# Specialties and the applicant's industry ---------------------------------------------------


def division(industry_code: str) -> str | None:
    """The GB/T 4754 division of an industry code: "C3021" → "C30"."""
    code = (industry_code or "").strip().upper()
    return code[:3] if len(code) >= 3 and DIVISION.match(code[:3]) else None


@lru_cache(maxsize=1)
def manufacturing_divisions() -> dict[str, str]:
    """GB/T 4754 manufacturing divisions: code → name (C30 → 非金属矿物制品业)."""
    return {row["division"]: row["name"] for row in reference_rows("industries.csv")}


def specialty_problem(value: str) -> str | None:
    if value in FIELDS or value in manufacturing_divisions():
        return None
    return message("“%(value)s”不是制造业大类代码（如C30，GB/T 4754）或专业领域（能源、环境、碳排放、安全生产）",
                   value=value)


def specialty_label(value: str) -> str:
    if value in FIELDS:
        return FIELDS[value]
    name = manufacturing_divisions().get(value)
    return f"{name}（{value}）" if name else value


def requirements(app: Application) -> list[Requirement]:
    """The composition rules for this application's panel."""
    divisions = sorted({d for d in map(division, app.enterprise.industry_codes or []) if d})
    rules = []
    if divisions:
        rules.append(
            Requirement(
                "industry",
                frozenset(divisions),
                message("至少一名专家的专业与申报单位所属行业（%(divisions)s）相符",
                        divisions=Joined(tuple(divisions))),
            )
        )
    rules.append(
        Requirement("energy_or_carbon", ENERGY_OR_CARBON, message("至少一名能源或碳排放专业的专家"))
    )
    return rules


# Conflicts ----------------------------------------------------------------------------------


def related_units(app: Application) -> dict[str, tuple[str, str]]:
    """credit code → (rule, how the unit is related): the applicant, its group, its consultants.

    The group (集团) and the consultants or third-party evaluators (咨询、第三方评价机构) are
    named in the application document as `group: {name, uscc}` and `consultants: [{name, uscc}]`.
    """
    data = app.data or {}
    units: dict[str, tuple[str, str]] = {}
    for item in data.get("consultants") or []:
        uscc = _uscc(item)
        if uscc:
            name = str(item.get("name") or uscc)
            units[uscc] = ("consultant", message("申报单位委托的咨询或第三方评价机构（%(name)s）", name=name))
    group = data.get("group") or {}
    if _uscc(group):
        units[_uscc(group)] = ("group", message("申报单位所属集团（%(name)s）",
                                               name=str(group.get("name") or _uscc(group))))
    units[app.enterprise.uscc] = ("employer", message("申报单位"))
    return units


def _uscc(item: Any) -> str:
    return str(item.get("uscc") or "").strip().upper() if isinstance(item, Mapping) else ""


def open_load(session: Session) -> dict[int, int]:
    """expert id → open reviews (invited or accepted) on applications still under review."""
    rows = session.execute(select(Expert.id, Expert.open_reviews).where(Expert.open_reviews > 0))
    return {expert_id: count for expert_id, count in rows}


def count_open_reviews(session: Session, expert_ids: Iterable[int], change: int) -> None:
    """Move each expert's count of open reviews (`Expert.open_reviews`, the load cap's figure) by
    `change`: up as an invitation goes out; down as it is declined, lapses or is withdrawn, as the
    review is submitted, and for each one still open as the application leaves review. One
    UPDATE in the same transaction, which leaves the expert's version alone (an edit of the
    expert made meanwhile is not stale)."""
    ids = sorted(set(expert_ids))
    if ids:
        session.execute(_COUNT_OPEN_REVIEWS, {"ids": ids, "change": change})


_COUNT_OPEN_REVIEWS = (Expert.__table__.update()
                      .where(db.one_of(Expert.__table__.c.id, bindparam("ids")))
                      .values(open_reviews=Expert.__table__.c.open_reviews + bindparam("change", type_=Integer())))


def recount_open_reviews(session: Session) -> None:
    """Count every expert's open reviews afresh, for rows written around the service functions
    (a bulk load)."""
    experts = Expert.__table__
    counted = (select(func.count(Review.id)).join(Application, Review.application_id == Application.id)
               .where(Review.expert_id == experts.c.id, Review.state.in_(OPEN_REVIEWS),
                      Application.state.in_(OPEN_STATES))
               .scalar_subquery())
    session.execute(experts.update().values(open_reviews=counted))


def review_entered_or_left(session: Session, app: Application, before: ApplicationState) -> None:
    """After a transition: when the application has left review (withdrawn) or come back to it,
    its open invitations and reviews stop or start counting towards the experts' load."""
    if (before in OPEN_STATES) == (app.state in OPEN_STATES) or before is ApplicationState.evaluating:
        return  # an application entering review from its evaluation has no panel yet
    experts = session.scalars(select(Review.expert_id).where(Review.application_id == app.id,
                                                             Review.state.in_(OPEN_REVIEWS)))
    count_open_reviews(session, list(experts), 1 if app.state in OPEN_STATES else -1)


def active_ids(session: Session) -> list[int]:
    """Every active expert's id, in id order: one narrow query (on PostgreSQL, one array in
    one row rather than a row per expert)."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalar(_ACTIVE_IDS_ARRAY) or [])
    return list(session.scalars(_ACTIVE_IDS))


_ACTIVE_IDS = select(Expert.id).where(Expert.active.is_(True)).order_by(Expert.id)
# ARRAY(SELECT ...) reads the ids in order from the primary key's index, without sorting them.
_ACTIVE_IDS_ARRAY = select(func.array(_ACTIVE_IDS.scalar_subquery()))


def _experts(session: Session, ids: Iterable[int]) -> dict[int, Expert]:
    """The chosen experts with their accounts, to invite: one query."""
    return {e.id: e for e in session.scalars(_EXPERTS_TO_INVITE, {"ids": list(ids)})}


_EXPERTS_TO_INVITE = select(Expert).where(db.one_of(Expert.id, bindparam("ids"))).options(joinedload(Expert.user))


def exclusions(
    session: Session,
    app: Application,
    now: datetime,
    *,
    drawn_by_id: int | None = None,
) -> dict[int, list[Exclusion]]:
    """expert id → every rule that keeps them off this application's panel, with its reason."""
    return {expert_id: rules for expert_id, (_, rules) in _exclusions(session, app, now, drawn_by_id).items()}


def _exclusions(
    session: Session, app: Application, now: datetime, drawn_by_id: int | None
) -> dict[int, tuple[str, list[Exclusion]]]:
    """expert id → (name, every rule that keeps them off the panel), in id order.

    Two queries: the declared conflicts, then the active experts some rule may apply to (most
    of the pool is not), with their recent reviews of the applicant and their count of open
    reviews; the rules are then checked on those alone."""
    enterprise, programme = app.enterprise, app.programme
    today = local_date(now)
    since = add_years(today, -RECENT_YEARS)
    units = related_units(app)
    declared = list(session.execute(_declared(), {"units": list(units), "enterprise_id": enterprise.id}))
    county = enterprise.jurisdiction_code if programme.tier in LOCAL_TIERS else None
    found: dict[int, tuple[str, list[Exclusion]]] = {}
    at_cap: dict[int, Exclusion] = {}  # open reviews → the reason, one for all the experts with as many
    load_cap = programme.review_load_cap
    suspects = session.execute(_suspects(), {
        "today": today,
        "usccs": sorted(set(units) | {d.uscc for d in declared if d.source is ConflictSource.applicant and d.uscc}),
        "ids": sorted({d.expert_id for d in declared if d.source is ConflictSource.expert}),
        "names": sorted({d.person_name for d in declared if d.source is ConflictSource.applicant and d.person_name}),
        "formerly": [f"%{db.like_escaped(uscc.lower())}%" for uscc in units],
        "enterprise_id": enterprise.id, "application_id": app.id,
        "since": datetime.combine(since, time(), CHINA), "load_cap": load_cap,
        "drawn_by": drawn_by_id, "county": county,
    })
    # Each row is unpacked once: reading a row's fields by name costs several times as much.
    for (expert_id, name, user_id, employer_uscc, former_employers, jurisdiction_code, unavailable_from,
         unavailable_until, recent, open_reviews) in suspects:
        rules: list[Exclusion] = []
        if (unavailable_from is not None or unavailable_until is not None) and (
                (unavailable_from or date.min) <= today <= (unavailable_until or date.max)):
            rules.append(Exclusion("unavailable", message(
                "%(period)s不可参评", period=_period(unavailable_from, unavailable_until))))
        if employer_uscc and employer_uscc in units:
            rule, unit = units[employer_uscc]
            rules.append(Exclusion(rule, message("任职于申报单位") if rule == "employer"
                                   else message("任职于%(unit)s", unit=unit)))
        for former in former_employers or []:
            uscc, until = _uscc(former), _date(former.get("until"))
            if uscc in units and uscc != employer_uscc and (until is None or until >= since):
                until_text = str(until) if until else message("今")
                rules.append(Exclusion("former_employer", message(
                    "近3年内曾任职于申报单位（至%(until)s）", until=until_text) if units[uscc][0] == "employer"
                    else message("近3年内曾任职于%(unit)s（至%(until)s）", unit=units[uscc][1], until=until_text)))
        for source, declarer, person_name, named_uscc, reason in declared:
            if source is ConflictSource.expert and declarer == expert_id:
                rules.append(Exclusion("declared_by_expert", message(
                    "专家本人申报存在利益冲突：%(reason)s", reason=reason or message("未说明"))))
            elif source is ConflictSource.applicant and (
                (person_name and person_name == name) or (named_uscc and named_uscc == employer_uscc)
            ):
                rules.append(Exclusion("declared_by_applicant", message(
                    "申报单位申请回避：%(reason)s", reason=reason or message("未说明"))))
        if recent:
            rules.append(_RECENT_REVIEW)
        if county is not None and jurisdiction_code == county:
            rules.append(_SAME_COUNTY)
        if open_reviews >= load_cap:
            if open_reviews not in at_cap:
                at_cap[open_reviews] = Exclusion("load_cap", message(
                    "在审评审任务%(open)s项，已达本批次每人%(cap)s项的上限", open=open_reviews, cap=load_cap))
            rules.append(at_cap[open_reviews])
        if drawn_by_id is not None and user_id == drawn_by_id:
            rules.append(Exclusion("drawer", message("为抽取专家组的工作人员本人")))
        if rules:
            found[expert_id] = (name, rules)
    return found


_RECENT_REVIEW = Exclusion("recent_review", message("近3年内评审过该申报单位"))
_SAME_COUNTY = Exclusion("same_county", message("与申报单位同属一个区县（市级及以下批次回避）"))


@cache
def _declared() -> Select[Any]:
    """The conflicts declared by experts about the related units (`units`) and by the applicant
    (`enterprise_id`): built once, the same statement for every draw."""
    return (
        select(ConflictDeclaration.source, ConflictDeclaration.expert_id, ConflictDeclaration.person_name,
               ConflictDeclaration.uscc, ConflictDeclaration.reason)
        .where(
            (db.one_of(ConflictDeclaration.uscc, bindparam("units"))
             & (ConflictDeclaration.source == ConflictSource.expert))
            | ((ConflictDeclaration.enterprise_id == bindparam("enterprise_id"))
               & (ConflictDeclaration.source == ConflictSource.applicant))
        )
        .order_by(ConflictDeclaration.id)
    )


@cache
def _suspects() -> Select[Any]:
    """The active experts some conflict rule may apply to, with what the rules read: a superset
    of the excluded ones (a former employer is matched in the stored text, then checked). Built
    once, with every value a parameter (lists as one array each), so PostgreSQL plans it once
    per connection. Each rule finds its experts by an index of its own; the experts found are
    then read by id, so the pool is not scanned."""
    today = bindparam("today", type_=Date())
    recent = (
        select(Review.expert_id)
        .join(Application, Review.application_id == Application.id)
        .where(
            Application.enterprise_id == bindparam("enterprise_id"),
            Review.application_id != bindparam("application_id"),
            Review.state.in_([ReviewState.accepted, ReviewState.submitted]),
            Review.invited_at >= bindparam("since", type_=DateTime(timezone=True)),
        )
    )
    former = cast(Expert.former_employers, Text)
    found = union(
        select(Expert.id).where(
            UNAVAILABLE_SOMETIME,
            Expert.unavailable_from.is_(None) | (Expert.unavailable_from <= today),
            Expert.unavailable_until.is_(None) | (Expert.unavailable_until >= today),
        ),
        select(Expert.id).where(db.one_of(Expert.employer_uscc, bindparam("usccs"))),
        select(Expert.id).where(db.one_of(Expert.id, bindparam("ids"))),
        select(Expert.id).where(db.one_of(Expert.name, bindparam("names"))),
        recent,
        select(Expert.id).where(Expert.open_reviews >= bindparam("load_cap")),
        # Most experts list no former employer: their "[]" is not searched.
        select(Expert.id).where(LISTS_FORMER_EMPLOYERS, db.like_any(func.lower(former), bindparam("formerly"))),
        select(Expert.id).where(Expert.user_id == bindparam("drawn_by")),
        select(Expert.id).where(Expert.jurisdiction_code == bindparam("county")),
    )
    return (
        # An empty list of former employers (most experts') is sent as NULL, not decoded row by row.
        select(Expert.id, Expert.name, Expert.user_id, Expert.employer_uscc,
               case((LISTS_FORMER_EMPLOYERS, Expert.former_employers)).label("former_employers"),
               Expert.jurisdiction_code, Expert.unavailable_from, Expert.unavailable_until,
               Expert.id.in_(recent).label("recent"), Expert.open_reviews)
        .where(Expert.active.is_(True), db.among(Expert.id, found))
        .order_by(Expert.id)
    )


def _period(start: date | None, end: date | None) -> str:
    if start and end:
        return message("%(start)s至%(end)s", start=str(start), end=str(end))
    if start:
        return message("自%(start)s起", start=str(start))
    return message("%(end)s前", end=str(end))


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# The ranking and the choice (pure; the report replays them) ---------------------------------


def draw_key(seed: str, expert_id: int) -> str:
    return hashlib.sha256(f"{seed}|{expert_id}".encode()).hexdigest()


def rank(seed: str, expert_ids: Iterable[int]) -> list[int]:
    """The ids by draw key, then id. The hexadecimal keys sort as their digests do, so the
    digests are compared; the hash of "<seed>|" is computed once and extended per expert. The
    sort is stable, so ids in id order keep it between equal keys."""
    prefix = hashlib.sha256(f"{seed}|".encode())

    def key(expert_id: int) -> bytes:
        digest = prefix.copy()
        digest.update(b"%d" % expert_id)
        return digest.digest()

    return sorted(sorted(expert_ids), key=key)


def pick_key(seed: str, step: int) -> str:
    """The key of the `step`-th pick (sha256-pick/2), in hexadecimal."""
    return hashlib.sha256(f"{seed}#{step}".encode()).hexdigest()


class Order:
    """The order a walk reads the candidates in, computed only as far as it is read."""

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.ids: list[int] = []  # the order as far as computed
        self.keys: list[str] = []

    def head(self, count: int) -> list[int]:
        """The first `count` candidates (fewer when there are fewer)."""
        self._extend(count)
        return self.ids[:count]

    def key(self, position: int) -> str:
        self._extend(position + 1)
        return self.keys[position]

    def __iter__(self) -> Iterator[int]:
        position = 0
        while True:
            self._extend(position + 1)
            if position >= len(self.ids):
                return
            yield self.ids[position]
            position += 1

    def _extend(self, count: int) -> None:
        raise NotImplementedError

    def recorded(self) -> dict[str, Any]:
        """What a report records of the order beside the seed and the candidates."""
        return {}


class Picks(Order):
    """sha256-pick/2: the k-th pick is the candidate at SHA-256("<seed>#<k>") modulo the number
    not yet picked, counting from 0 in id order; k runs from `first_step`."""

    def __init__(self, seed: str, expert_ids: Iterable[int], first_step: int = 1) -> None:
        super().__init__(seed)
        self.first_step = first_step
        self.left = sorted(expert_ids)

    def _extend(self, count: int) -> None:
        while len(self.ids) < count and self.left:
            key = pick_key(self.seed, self.first_step + len(self.ids))
            self.ids.append(self.left.pop(int(key, 16) % len(self.left)))
            self.keys.append(key)

    def recorded(self) -> dict[str, Any]:
        return {"first_step": self.first_step}


class Ranking(Order):
    """sha256-rank/1: every candidate ranked by SHA-256("<seed>|<expert id>") (`rank`)."""

    def __init__(self, seed: str, expert_ids: Iterable[int]) -> None:
        super().__init__(seed)
        self.ids = rank(seed, expert_ids)

    def _extend(self, count: int) -> None:
        while len(self.keys) < min(count, len(self.ids)):
            self.keys.append(draw_key(self.seed, self.ids[len(self.keys)]))


def order(algorithm: str, seed: str, expert_ids: Iterable[int], first_step: int = 1) -> Order:
    """The order of a walk under the draw's algorithm (reports without one predate sha256-pick/2)."""
    if algorithm == PICKED:
        return Picks(seed, expert_ids, first_step)
    if algorithm == RANKED:
        return Ranking(seed, expert_ids)
    raise ValueError(f"unknown draw algorithm {algorithm!r}")


def next_step(report: Mapping[str, Any]) -> int:
    """The number of the panel's next pick: after every pick its draw and replacements read."""
    walks = [report, *report.get("replacements", [])]
    return max((w.get("first_step", 1) + len(w.get("considered") or []) for w in walks), default=1)


def choose(
    ranked: Iterable[int],
    places: int,
    rules: Sequence[Requirement],
    specialties: Mapping[int, Iterable[str]],
) -> list[tuple[int, list[str]]]:
    """Walk down the order; take each candidate unless the places left would be too few for
    the rules still unmet. Returns (expert id, rules they met when taken) in that order.
    `specialties` is read for the candidates walked past only, in order."""
    unmet = list(rules)
    chosen: list[tuple[int, list[str]]] = []
    for expert_id in ranked:
        if len(chosen) == places:
            break
        own = set(specialties[expert_id])
        met = [r for r in unmet if own & r.specialties]
        if len(unmet) - len(met) > places - len(chosen) - 1:
            continue
        chosen.append((expert_id, [r.code for r in met]))
        unmet = [r for r in unmet if r not in met]
    if len(chosen) < places:
        raise Shortfall(unmet[0].code if unmet else "size")
    return chosen


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Distinct ids as runs of consecutive ids, [first, last], in id order: 1, 2, 3, 5 →
    [[1, 3], [5, 5]]. The sorted ids are halved until each part is a run (its last id less its
    first is its length less one), so a pool of 5,000 ids in a few runs costs a few dozen steps
    rather than a step per id."""
    ordered = sorted(ids)
    runs: list[list[int]] = []

    def split(low: int, high: int) -> None:  # ordered[low:high], not empty
        first, last = ordered[low], ordered[high - 1]
        if last - first != high - 1 - low:
            middle = (low + high) // 2
            split(low, middle)
            split(middle, high)
        elif runs and runs[-1][1] == first - 1:  # the run goes on from the part before
            runs[-1][1] = last
        else:
            runs.append([first, last])

    if ordered:
        split(0, len(ordered))
    return runs


def ranges_without(ids: Sequence[int], left_out: Iterable[int]) -> list[list[int]]:
    """`id_ranges` of the distinct `ids` less those `left_out`: the runs of `ids` (a pool is a
    few), each cut where an id left out falls in it."""
    gaps = sorted(left_out)
    ranges = []
    for first, last in id_ranges(ids):
        for gap in gaps[bisect_left(gaps, first):bisect_right(gaps, last)]:
            if gap > first:
                ranges.append([first, gap - 1])
            first = gap + 1
        if first <= last:
            ranges.append([first, last])
    return ranges


def candidate_ids(report: Mapping[str, Any]) -> list[int]:
    """Every candidate of a draw: in id order, or as the report listed them."""
    if "candidate_ranges" in report:
        return [i for first, last in report["candidate_ranges"] for i in range(first, last + 1)]
    return [c["expert_id"] for c in report.get("candidates") or []]


def considered(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The candidates the walk read, in ranking order, with name, key and specialties (every
    candidate in a report written before `candidate_ranges`)."""
    return list(report.get("considered", report.get("candidates")) or [])


def replay(report: Mapping[str, Any]) -> list[int]:
    """Recompute a draw from its report alone: the seed, the candidates and the rules."""
    rules = [
        Requirement(r["code"], frozenset(r["specialties"]), r["message"]) for r in report["rules"]
    ]
    chosen = choose(
        order(report.get("algorithm", RANKED), report["seed"], candidate_ids(report), report.get("first_step", 1)),
        report["size"],
        rules,
        {c["expert_id"]: c["specialties"] for c in considered(report)},
    )
    return [expert_id for expert_id, _ in chosen]


def reproduces(report: Mapping[str, Any]) -> bool:
    """Whether re-running the draw from its report gives the panel it records."""
    chosen = [c["expert_id"] for c in report.get("chosen") or []]
    if not chosen or ("candidate_ranges" not in report and report.get("candidates") is None):
        return False
    try:
        return replay(report) == chosen
    except (KeyError, ValueError, Shortfall):  # a candidate it does not describe, an unknown algorithm
        return False


# Deadlines ----------------------------------------------------------------------------------


def end_of_working_days(session: Session, now: datetime, days: int) -> datetime:
    """Midnight (China time) after the `days`-th working day following today, on the official
    holiday calendar with the admin's corrections (the same days as a notice period)."""
    start = local_date(now) + timedelta(days=1)
    period = add_working_days(start, days, notices.calendar_overrides(session, start))
    return datetime.combine(period.last_day + timedelta(days=1), time(), CHINA)


# The draw -----------------------------------------------------------------------------------


_HEAD = select(Expert.id, Expert.name, Expert.specialties).where(db.one_of(Expert.id, bindparam("ids")))


class Head(Mapping[int, list[str]]):
    """expert id → specialties for the head of a walk's order, read from the database as
    `choose` walks down it: the first 32, then as many again as read so far, so a walk that
    stops early reads a few rows and one that runs to the end a few queries."""

    FIRST_BATCH = 32

    def __init__(self, session: Session, walk: Order) -> None:
        self.session, self.walk = session, walk
        self.rows: dict[int, tuple[str, list[str]]] = {}  # expert id → (name, specialties)

    def __getitem__(self, expert_id: int) -> list[str]:
        while expert_id not in self.rows:
            start = len(self.rows)
            batch = self.walk.head(start + max(self.FIRST_BATCH, start))[start:]
            if not batch:
                raise KeyError(expert_id)
            self._read(batch)
        return self.rows[expert_id][1]

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def _read(self, batch: Sequence[int]) -> None:
        found = {
            expert_id: (name, list(specialties or []))
            for expert_id, name, specialties in self.session.execute(_HEAD, {"ids": list(batch)})
        }
        self.rows.update((expert_id, found[expert_id]) for expert_id in batch)

    def name(self, expert_id: int) -> str:
        return self.rows[expert_id][0]

    def considered(self, chosen: Sequence[tuple[int, list[str]]]) -> list[dict[str, Any]]:
        """The candidates the walk read, down to the last one taken, as the report shows them."""
        read = self.walk.head(len(self.rows))
        last = read.index(chosen[-1][0])
        return [
            {
                "expert_id": i,
                "expert": self.rows[i][0],
                "key": self.walk.key(position),
                "specialties": self.rows[i][1],
            }
            for position, i in enumerate(read[: last + 1])
        ]


def draw(
    session: Session,
    actor: Actor,
    app: Application,
    now: datetime,
    *,
    size: int | None = None,
    seed: str | None = None,
) -> Panel:
    """Draw the panel, or refuse with the rule that could not be met (no partial panel)."""
    decision = permissions.application_action(session, actor, "approve_for_notice", app)
    if not is_role(actor, Role.staff) or not decision:
        raise Forbidden(decision.reason or "只有认定部门的工作人员可以抽取专家")
    if app.state is not ApplicationState.under_review:
        raise NotPossible("只有在专家评审阶段才能抽取专家组")
    if app.panel is not None:
        raise NotPossible("该申报已抽取专家组", {"panel_id": app.panel.id})
    programme = app.programme
    least = max(programme.panel_size, MIN_PANEL[programme.tier])
    size = size or least
    if size < least or size % 2 == 0:
        raise Invalid.field("size", message("专家组人数应为奇数，且不少于本批次规定的%(least)s人", least=least))
    seed = (seed or "").strip() or secrets.token_hex(8)
    excluded = _exclusions(session, app, now, actor.id)
    active = active_ids(session)
    eligible = [i for i in active if i not in excluded]
    rules = requirements(app)
    walk = order(ALGORITHM, seed, eligible)
    head = Head(session, walk)
    try:
        if len(eligible) < size:
            raise Shortfall("size")
        chosen = choose(walk, size, rules, head)
    except Shortfall as shortfall:
        raise _refusal(shortfall.rule, rules, len(eligible), size, excluded) from None
    experts = _experts(session, [expert_id for expert_id, _ in chosen])
    respond_by = end_of_working_days(session, now, programme.invitation_working_days)
    labels = [f"R{number}" for number in range(1, len(chosen) + 1)]
    report = {
        "algorithm": ALGORITHM,
        "seed": seed,
        "size": size,
        "drawn_at": now.isoformat(),
        "drawn_by": actor.display_name,
        "rules": [
            {"code": r.code, "specialties": sorted(r.specialties), "message": r.message,
             "message_messages": encode(r.message)}
            for r in rules
        ],
        "candidate_count": len(eligible),
        "candidate_ranges": ranges_without(active, excluded),
        **walk.recorded(),
        "considered": head.considered(chosen),
        "exclusions": _exclusions_kept(excluded),
        "chosen": [
            {"expert_id": expert_id, "expert": head.name(expert_id), "label": label, "meets": met}
            for (expert_id, met), label in zip(chosen, labels, strict=True)
        ],
        "replacements": [],
        "vacancies": [],
    }
    (panel,) = db.insert_loaded(session, Panel, [{
        "application_id": app.id, "size": size, "seed": seed, "drawn_by_id": actor.id, "drawn_at": now,
        "algorithm": ALGORITHM, "report": report,
    }], pointing=[(app, "panel")])
    set_committed_value(panel, "application", app)
    set_committed_value(panel, "reviews", [])
    set_committed_value(app, "panel", panel)
    invite_all(session, panel, [(experts[i], label) for (i, _), label in zip(chosen, labels, strict=True)],
               now, respond_by=respond_by)
    session.flush()
    return panel


def _exclusions_kept(excluded: Mapping[int, tuple[str, list[Exclusion]]]) -> list[dict[str, Any]]:
    """The excluded experts as a report keeps them: one entry for each set of reasons, in
    Chinese and as messages, with the experts it kept off the panel, [id, name] in id order.
    Most of a large pool's exclusions share their reasons (the same county, the load cap), so
    the report is a few kilobytes rather than a line per expert."""
    kept: dict[tuple[Exclusion, ...], dict[str, Any]] = {}
    for expert_id, (name, rules) in excluded.items():
        entry = kept.get(key := tuple(rules))
        if entry is None:
            reason = rules[0].reason if len(rules) == 1 else joined([x.reason for x in rules], "；")
            entry = kept[key] = {"rules": [x.rule for x in rules], "reason": reason,
                                 "reason_messages": encode(reason), "experts": []}
        entry["experts"].append([expert_id, name])
    return list(kept.values())


def excluded_experts(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The experts a draw (or a replacement's vacancy) excluded, one line each in id order:
    expert id, name, the first rule and every rule, the reason in Chinese and as messages."""
    return sorted(
        ({"expert_id": expert_id, "expert": name, "rule": entry["rules"][0], "rules": entry["rules"],
          "reason": entry["reason"], "reason_messages": entry.get("reason_messages", [])}
         for entry in record.get("exclusions") or [] for expert_id, name in entry["experts"]),
        key=lambda line: line["expert_id"],
    )


def shown(report: Mapping[str, Any]) -> dict[str, Any]:
    """A report as its readers see it (the panel page, the API): the excluded experts a line
    each (`excluded`), in the draw and in each vacancy."""
    def lines(record: Mapping[str, Any]) -> dict[str, Any]:
        return {**{k: v for k, v in record.items() if k != "exclusions"}, "excluded": excluded_experts(record)}

    return {**lines(report), **({"vacancies": [lines(v) for v in report["vacancies"]]} if report.get("vacancies") else {})}


def _refusal(
    rule: str,
    rules: Sequence[Requirement],
    eligible: int,
    size: int,
    excluded: Mapping[int, tuple[str, list[Exclusion]]],
) -> NotPossible:
    counts: dict[str, int] = {}
    for _, found in excluded.values():
        for x in found:
            counts[x.rule] = counts.get(x.rule, 0) + 1
    details = {"rule": rule, "eligible": eligible, "needed": size, "excluded_by_rule": counts}
    if rule == "size":
        problem = message("符合回避规则的专家只有%(eligible)s人，不足%(size)s人", eligible=eligible, size=size)
    else:
        problem = message("符合回避规则的专家中无法满足“%(rule)s”",
                          rule=next(r.message for r in rules if r.code == rule))
    return NotPossible(message("%(problem)s，未创建专家组；请扩充专家库", problem=problem), details)


def invite(session: Session, panel: Panel, expert: Expert, label: str, now: datetime, *,
           respond_by: datetime | None = None) -> Review:
    """Add an invitation with its answer deadline (computed here unless the caller has it for
    several invitations at once), and tell the expert in the inbox."""
    return invite_all(session, panel, [(expert, label)], now, respond_by=respond_by)[0]


def invite_all(session: Session, panel: Panel, invited: Sequence[tuple[Expert, str]], now: datetime, *,
               respond_by: datetime | None = None, why: str | None = None) -> list[Review]:
    """Add the invitations (expert, label) with one answer deadline, audit each (and, for a
    replacement, `why` it was drawn), and tell each expert in the inbox: the rows of each
    kind are inserted together."""
    app = panel.application
    respond_by = respond_by or end_of_working_days(session, now, app.programme.invitation_working_days)
    added = db.insert_loaded(session, Review, [
        {"panel_id": panel.id, "application_id": app.id, "expert_id": expert.id, "label": label,
         "invited_at": now, "respond_by": respond_by}
        for expert, label in invited
    ], pointing=[(panel, "reviews")])
    for review, (expert, _) in zip(added, invited, strict=True):
        set_committed_value(review, "panel", panel)
        set_committed_value(review, "application", app)
        set_committed_value(review, "expert", expert)
    set_committed_value(panel, "reviews", [*panel.reviews, *added])
    count_open_reviews(session, [review.expert_id for review in added], 1)
    audit.review_events(session, [
        step
        for review in added
        for step in [("invitation_sent", review, {"respond_by": review.respond_by.isoformat()}),
                     *([("replacement_drawn", review, {"why": why})] if why is not None else [])]
    ], now)
    notifications.notify_each(
        session,
        [
            notifications.Message(
                review.expert.user,
                key=f"review-{review.id}-invited",
                subject=message("评审邀请：%(holder)s（申报 #%(application)s）", holder=app.enterprise.name,
                                application=str(app.id)),
                body=message("请于%(day)s前接受或谢绝，并申报利益冲突。", day=answer_day(review)),
                link=f"/desk/reviews/{review.id}",
            )
            for review in added
        ],
        now=now,
    )
    return added


def answer_day(review: Review) -> Day | str:
    """The last day to answer an invitation, as people say it (the deadline is its midnight), as a
    message value."""
    if review.respond_by is None:
        return ""
    return Day((review.respond_by.astimezone(CHINA) - timedelta(seconds=1)).date())


def replace(session: Session, panel: Panel, now: datetime, why: str) -> list[Review]:
    """Fill the panel's vacancies from the same ranking under the same rules, as of now.

    When the pool cannot fill a place, the vacancy and the rule are recorded in the report and
    the deciding bureau is told; the next tick tries again.
    """
    app = panel.application
    active = [r for r in panel.reviews if r.state is not ReviewState.declined]
    places = panel.size - len(active)
    if places <= 0:
        return []
    excluded = _exclusions(session, app, now, panel.drawn_by_id)
    taken = {r.expert_id for r in panel.reviews}
    pool = active_ids(session)
    eligible = [i for i in pool if i not in excluded and i not in taken]
    unmet = [
        r
        for r in requirements(app)
        if not any(set(x.expert.specialties or []) & r.specialties for x in active)
    ]
    report = dict(panel.report or {})
    algorithm = panel.algorithm or RANKED
    first_step = next_step(report)
    walk = order(algorithm, panel.seed, eligible, first_step)
    head = Head(session, walk)
    try:
        chosen = choose(walk, places, unmet, head)
    except Shortfall as shortfall:
        rule = next((r.message for r in unmet if r.code == shortfall.rule), "")
        problem = (message("无法补充专家：满足“%(rule)s”的专家已无人可抽", rule=rule) if rule
                   else message("无法补充专家：符合回避规则的专家已无人可抽"))
        vacancy = {
            "at": now.isoformat(),
            "why": why,
            "why_messages": encode(why),
            "places": places,
            "rule": shortfall.rule,
            "message": problem,
            "message_messages": encode(problem),
            "exclusions": _exclusions_kept(excluded),
        }
        if not report.get("vacancies") or report["vacancies"][-1]["message"] != problem:
            report["vacancies"] = [*report.get("vacancies", []), vacancy]
            panel.report = report
            audit.application_event(session, "replacement_not_found", app.id, now, why=why, places=places,
                                    rule=shortfall.rule)
        notifications.notify(
            session,
            notifications.staff_of(session, app.programme.jurisdiction_code),
            key=f"panel-{panel.id}-vacancy-{len(panel.reviews)}",
            now=now,
            subject=message("申报 #%(application)s 的专家组缺少%(places)s人", application=str(app.id),
                            places=places),
            body=problem,
            link=f"/applications/{app.id}#panel",
        )
        return []
    experts = _experts(session, [expert_id for expert_id, _ in chosen])
    first = len(panel.reviews) + 1
    added = invite_all(
        session,
        panel,
        [(experts[expert_id], f"R{number}") for number, (expert_id, _) in enumerate(chosen, start=first)],
        now,
        why=why,
    )
    candidates, walked = ranges_without(pool, excluded.keys() | taken), head.considered(chosen)
    report["replacements"] = [
        *report.get("replacements", []),
        *(
            {
                "at": now.isoformat(),
                "why": why,
                "why_messages": encode(why),
                "expert_id": expert_id,
                "expert": head.name(expert_id),
                "label": review.label,
                "meets": met,
                "candidate_ranges": candidates,
                **walk.recorded(),
                "considered": walked,
            }
            for (expert_id, met), review in zip(chosen, added, strict=True)
        ),
    ]
    panel.report = report
    session.flush()
    return added


# Conflicts declared by the applicant --------------------------------------------------------


def declare_conflict(
    session: Session,
    actor: Actor,
    app: Application,
    *,
    name: str = "",
    uscc: str = "",
    reason: str,
    now: datetime,
) -> ConflictDeclaration:
    """The applicant asks that a person, or anyone employed by a unit, stay off its panels."""
    if not (is_role(actor, Role.applicant) and actor.enterprise_id == app.enterprise_id):
        raise Forbidden("只有申报单位本身可以申请专家回避")
    if app.panel is not None:
        raise NotPossible("专家组已抽取，如需回避请联系认定部门")
    if app.state not in (
        ApplicationState.draft,
        ApplicationState.returned,
        ApplicationState.submitted,
        ApplicationState.evaluating,
        ApplicationState.under_review,
    ):
        raise NotPossible("当前状态下不能申请专家回避")
    name, uscc, reason = (name or "").strip(), (uscc or "").strip().upper(), (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not name and not uscc:
        errors["name"] = ["请填写需回避的专家姓名或单位统一社会信用代码"]
    if uscc and evaluators.uscc_problem(uscc):
        errors["uscc"] = [str(evaluators.uscc_problem(uscc))]
    if not reason:
        errors["reason"] = ["请说明申请回避的理由"]
    if errors:
        raise Invalid("回避申请有误", {"fields": errors})
    declaration = ConflictDeclaration(
        source=ConflictSource.applicant,
        enterprise_id=app.enterprise_id,
        person_name=name,
        uscc=uscc or None,
        reason=reason,
        declared_by_id=actor.id,
        declared_at=now,
    )
    session.add(declaration)
    session.flush()
    return declaration


def declared_by_applicant(session: Session, app: Application) -> list[ConflictDeclaration]:
    return list(
        session.scalars(
            select(ConflictDeclaration)
            .where(
                ConflictDeclaration.source == ConflictSource.applicant,
                ConflictDeclaration.enterprise_id == app.enterprise_id,
            )
            .order_by(ConflictDeclaration.id)
        )
    )
