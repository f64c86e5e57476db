"""The bureau's lists of applications, designations, experts and enterprises (台账): search,
filters, sorting, pagination, and exports to Excel and CSV.

A list is declared as data (`Listing`): its base query with the joins its rows show, the filters
and sort keys it accepts, and its columns with their Chinese headers. One page costs one query
for the rows plus one for the count, whatever the page size: every column a row shows is joined
in the same query (contains_eager) or, for one-to-many data, loaded in one extra query for the
whole page (selectinload).
"""
from __future__ import annotations

import csv
import io
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import Integer, Select, String, bindparam, cast, desc, func, literal_column, or_, select
from sqlalchemy.orm import Bundle, Session, contains_eager, defer, selectinload

from evaluators.messages import Joined, message
from models import (
    Application,
    Certificate,
    Designation,
    Enterprise,
    Expert,
    Programme,
    Review,
)
from models.enums import (
    KIND_LABELS,
    TIER_LABELS,
    ApplicationState,
    DesignationState,
    JurisdictionLevel,
    Kind,
    ReviewState,
    Role,
    Tier,
)
from models.schema import reference_rows
from workflow import db, jurisdictions, targets, totals
from workflow.actors import Actor, is_role
from workflow.clock import CHINA, local_date
from workflow.errors import Forbidden, Invalid
from workflow.machines import state_label

PER_PAGE_CHOICES = (20, 50, 100, 200)
DEFAULT_PER_PAGE = 50
ON_RECORD = (DesignationState.active, DesignationState.rectifying, DesignationState.suspended)
SPECIALTY_LABELS = {"energy": "节能", "carbon": "碳排放", "environment": "环境保护", "safety": "安全生产",
                    "water": "节水", "resources": "资源综合利用"}


# Reference names ------------------------------------------------------------------------------

def places(session: Session) -> dict[str, jurisdictions.Place]:
    """code → place."""
    return jurisdictions.tree(session).places


def place_name(session: Session, code: str | None, *, full: bool = False) -> str:
    """杭州市钱塘区 (a county with its city), 杭州市; with `full` also the province."""
    names = jurisdictions.memo(session)  # a page's cells name the same few places again and again
    key = ("place_name", code, full)
    name = names.get(key)
    if name is None:
        name = names[key] = _composed_name(session, code, full)
    return name


def _composed_name(session: Session, code: str | None, full: bool) -> str:
    tree = jurisdictions.tree(session)
    names: list[str] = []
    current = tree.places.get(code or "")
    while current is not None:
        names.append(current.name)
        if not full and current.level is not JurisdictionLevel.county:
            break
        current = tree.places.get(current.parent_code or "")
    return "".join(reversed(names))


@cache
def industry_names() -> dict[str, str]:
    """GB/T 4754 division (C30) → 非金属矿物制品业."""
    return {row["division"]: row["name"] for row in reference_rows("industries.csv")}


def industry_label(codes: list[Any] | None) -> str:
    names = industry_names()
    divisions = dict.fromkeys(str(c)[:3] for c in codes or [])
    return "、".join(names.get(d, d) for d in divisions)


def specialty_label(values: list[Any] | None) -> str:
    names = industry_names()
    return "、".join(SPECIALTY_LABELS.get(str(v)) or names.get(str(v)[:3]) or str(v) for v in values or [])


# Declaring a list ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A column of a list: its Chinese header, how a row gives its value, and the value's type
    (text, number, score, date, datetime, state, kind, tier) that decides how it is shown."""

    key: str
    header: str
    get: Callable[[Any, Session], Any]
    type: str = "text"
    width: int = 14  # in Excel's character widths
    on_page: bool = True
    sort: str | None = None  # the sort key that orders by this column


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    apply: Callable[[Select[Any], str, Session, list[str] | None], Select[Any]]
    choices: tuple[tuple[str, str], ...] = ()  # (value, Chinese label); empty for free input


@dataclass(frozen=True)
class Listing:
    name: str
    title: str
    entity: Any
    base: Callable[[], Select[Any]]
    area: Callable[[list[str]], Any]  # the condition "located in one of these jurisdictions"
    search: Callable[[str], Any]
    search_hint: str
    filters: tuple[Filter, ...]
    sorts: Mapping[str, Any]
    default_sort: str
    columns: tuple[Column, ...]
    # The relationships a row shows (joined to the page's rows); counting and paging join one only
    # when a filter, the search or the sort refers to its table.
    joins: tuple[Any, ...] = ()
    eager: tuple[Any, ...] = ()
    extra: Callable[[], tuple[Any, ...]] = lambda: ()
    link: str | None = None  # which page a row opens: "application", "designation"
    # What a page's row is read as when no column needs a record: the entity's columns by their
    # names and a Bundle for each relationship a column reads (`r.enterprise.name` reads the same
    # either way), rather than records with their related records loaded.
    flat: tuple[Any, ...] = ()

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.on_page]


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    sort: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    per_page: int
    sort: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0


# Filters ------------------------------------------------------------------------------------------

def _enum_filter(name: str, label: str, enum: Any, column: Any, labels: Mapping[Any, str],
                 skip: tuple[Any, ...] = ()) -> Filter:
    def apply(query: Select[Any], value: str, _session: Session, _scope: list[str] | None) -> Select[Any]:
        if value not in enum.__members__ or enum(value) in skip:
            raise Invalid.field(name, message("%(label)s取值不正确", label=message(label)))
        return query.where(column == enum(value))

    return Filter(name, label, apply, tuple((str(m), labels[m]) for m in enum if m not in skip))


def located_in(column: Any) -> Callable[[list[str]], Any]:
    return lambda codes: db.one_of(column, codes)


def enterprise_located_in(enterprise_id: Any) -> Callable[[list[str]], Any]:
    """For rows of an enterprise: a subquery, so that the database can walk the rows in the
    order asked for and stop after one page, rather than sort every row of the area first."""
    return lambda codes: enterprise_id.in_(
        select(Enterprise.id).where(db.one_of(Enterprise.jurisdiction_code, codes)))


def _area_filter(area: Callable[[list[str]], Any]) -> Filter:
    def apply(query: Select[Any], value: str, session: Session, scope: list[str] | None) -> Select[Any]:
        if value not in places(session):
            raise Invalid.field("jurisdiction", message("行政区划代码“%(code)s”不存在", code=value))
        if scope is not None and value not in scope:
            raise Forbidden("只能查看本辖区的数据")
        return query.where(area(targets.subtree(session, value)))

    return Filter("jurisdiction", "所在地区", apply)


def _local_day(value: str, name: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid.field(name, "日期格式应为“年-月-日”，如 2026-03-31") from None
    return datetime.combine(day, time(), tzinfo=CHINA)


def _submitted_from(query: Select[Any], value: str, _s: Session, _scope: list[str] | None) -> Select[Any]:
    return query.where(Application.submitted_at >= _local_day(value, "submitted_from"))


def _submitted_to(query: Select[Any], value: str, _s: Session, _scope: list[str] | None) -> Select[Any]:
    return query.where(Application.submitted_at < _local_day(value, "submitted_to") + timedelta(days=1))


def _number(name: str, label: str, column: Any) -> Filter:
    def apply(query: Select[Any], value: str, _s: Session, _scope: list[str] | None) -> Select[Any]:
        if not value.isdecimal() or len(value) > 9:  # ids are 32-bit integers
            raise Invalid.field(name, message("%(label)s应为数字", label=message(label)))
        return query.where(column == int(value))

    return Filter(name, label, apply)


def _granted_in(query: Select[Any], value: str, _s: Session, _scope: list[str] | None) -> Select[Any]:
    if not (value.isdecimal() and 2000 <= int(value) <= 2100):
        raise Invalid.field("year", "认定年度应为四位年份，如 2025")
    year = int(value)
    return query.where(Designation.valid_from >= date(year, 1, 1), Designation.valid_from <= date(year, 12, 31))


def _json_contains(column: Any, name: str, label: str) -> Filter:
    """A code inside a JSON list of codes, by its prefix: C30 finds C3011 (works on both backends)."""

    def apply(query: Select[Any], value: str, _s: Session, _scope: list[str] | None) -> Select[Any]:
        value = value.strip().upper() if name == "industry" else value.strip()
        if not value.replace("_", "").isalnum():
            raise Invalid.field(name, message("%(label)s取值不正确", label=message(label)))
        return query.where(cast(column, String).like(f'%"{value}%'))

    return Filter(name, label, apply)


def _active(query: Select[Any], value: str, _s: Session, _scope: list[str] | None) -> Select[Any]:
    if value not in ("yes", "no"):
        raise Invalid.field("active", "在库状态取值应为 yes 或 no")
    return query.where(Expert.active.is_(value == "yes"))


# The four lists ------------------------------------------------------------------------------------

def _contains(column: Any, text: str) -> Any:
    return column.contains(text, autoescape=True)


def _application_search(text: str) -> Any:
    conditions = [_contains(Enterprise.name, text), Enterprise.uscc == text.upper()]
    if text.lstrip("#").isdecimal() and len(text.lstrip("#")) <= 9:  # ids are 32-bit integers
        conditions.append(Application.id == int(text.lstrip("#")))
    return or_(*conditions)


def _applications_base() -> Select[Any]:
    return select(Application).where(Application.state != ApplicationState.draft)


def _place(code_of: Callable[[Any], str | None]) -> Callable[[Any, Session], str]:
    return lambda r, s: place_name(s, code_of(r))


APPLICATIONS = Listing(
    name="applications", title="申报台账", entity=Application, base=_applications_base,
    area=located_in(Application.place_code), search=_application_search, search_hint="单位名称、统一社会信用代码或申报编号",
    filters=(
        _enum_filter("state", "状态", ApplicationState, Application.state,
                     {s: state_label(s) for s in ApplicationState}, skip=(ApplicationState.draft,)),
        _enum_filter("kind", "类别", Kind, Programme.kind, KIND_LABELS),
        _enum_filter("tier", "层级", Tier, Programme.tier, TIER_LABELS),
        _area_filter(located_in(Application.place_code)),
        _number("programme", "申报批次", Application.programme_id),
        _number("enterprise", "申报单位", Application.enterprise_id),
        Filter("holding", "当前审核单位",
               lambda q, v, s, scope: q.where(Application.holding_jurisdiction_code == v)),
        Filter("submitted_from", "提交日期自", _submitted_from),
        Filter("submitted_to", "提交日期至", _submitted_to),
    ),
    sorts={"id": Application.id, "submitted_at": Application.submitted_at, "updated_at": Application.updated_at,
           "name": Enterprise.name, "state": Application.state, "auto_score": Application.auto_score,
           "panel_score": Application.panel_score},
    default_sort="-id",
    joins=(Application.enterprise, Application.programme),
    # The form and its evaluation trace are the bulk of a row and no column shows them.
    eager=(contains_eager(Application.enterprise), contains_eager(Application.programme),
           defer(Application.data), defer(Application.evaluation)),
    link="application",
    flat=(Application.id, Application.state, Application.holding_jurisdiction_code, Application.submitted_at,
          Application.auto_score, Application.panel_score, Application.updated_at,
          Bundle("enterprise", Enterprise.name, Enterprise.uscc, Enterprise.jurisdiction_code),
          Bundle("programme", Programme.title, Programme.kind, Programme.tier)),
    columns=(
        Column("id", "申报编号", lambda r, s: r.id, "id", 10, sort="id"),
        Column("name", "单位名称", lambda r, s: r.enterprise.name, width=32, sort="name"),
        Column("uscc", "统一社会信用代码", lambda r, s: r.enterprise.uscc, width=22, on_page=False),
        Column("place", "所在地区", _place(lambda r: r.enterprise.jurisdiction_code), width=16),
        Column("programme", "申报批次", lambda r, s: r.programme.title, width=36),
        Column("kind", "类别", lambda r, s: r.programme.kind, "kind", 18, on_page=False),
        Column("tier", "层级", lambda r, s: r.programme.tier, "tier", 8, on_page=False),
        Column("state", "状态", lambda r, s: r.state, "state", 14, sort="state"),
        Column("holding", "当前审核单位", _place(lambda r: r.holding_jurisdiction_code), width=16,
               on_page=False),
        Column("submitted_at", "提交时间", lambda r, s: r.submitted_at, "datetime", 20, sort="submitted_at"),
        Column("auto_score", "自动评价得分", lambda r, s: r.auto_score, "score", 12, sort="auto_score"),
        Column("panel_score", "专家评分", lambda r, s: r.panel_score, "score", 10, sort="panel_score"),
        Column("updated_at", "最近更新", lambda r, s: r.updated_at, "datetime", 20, on_page=False,
               sort="updated_at"),
    ),
)


def _designation_search(text: str) -> Any:
    return or_(_contains(Enterprise.name, text), Enterprise.uscc == text.upper(),
               Designation.id.in_(select(Certificate.designation_id).where(Certificate.number == text.upper())))


def certificate_number(designation: Designation) -> str:
    current = designation.certificate
    return current.number if current is not None else ""


def _designations_base() -> Select[Any]:
    return select(Designation)


DESIGNATION_COLUMNS = (
    Column("name", "单位名称", lambda r, s: r.enterprise.name, width=32, sort="name"),
    Column("uscc", "统一社会信用代码", lambda r, s: r.enterprise.uscc, width=22),
    Column("place", "所在地区", _place(lambda r: r.enterprise.jurisdiction_code), width=16),
    Column("industry", "所属行业", lambda r, s: industry_label(r.enterprise.industry_codes), width=24,
           on_page=False),
    Column("kind", "认定类别", lambda r, s: r.kind, "kind", 18, sort="kind"),
    Column("tier", "认定层级", lambda r, s: r.tier, "tier", 10, sort="tier"),
    Column("valid_from", "认定时间", lambda r, s: r.valid_from, "date", 16, sort="valid_from"),
    Column("valid_until", "有效期至", lambda r, s: r.valid_until, "date", 16, sort="valid_until"),
    Column("state", "状态", lambda r, s: r.state, "state", 10, sort="state"),
    Column("certificate", "证书编号", lambda r, s: certificate_number(r), width=22),
)

DESIGNATIONS = Listing(
    name="designations", title="认定台账", entity=Designation, base=_designations_base,
    area=enterprise_located_in(Designation.enterprise_id), search=_designation_search, search_hint="单位名称、统一社会信用代码或证书编号",
    filters=(
        _enum_filter("state", "状态", DesignationState, Designation.state,
                     {s: state_label(s) for s in DesignationState}),
        _enum_filter("kind", "类别", Kind, Designation.kind, KIND_LABELS),
        _enum_filter("tier", "层级", Tier, Designation.tier, TIER_LABELS),
        _area_filter(enterprise_located_in(Designation.enterprise_id)),
        Filter("year", "认定年度", _granted_in),
    ),
    sorts={"id": Designation.id, "name": Enterprise.name, "valid_from": Designation.valid_from,
           "valid_until": Designation.valid_until, "state": Designation.state, "kind": Designation.kind,
           "tier": Designation.tier},
    default_sort="-valid_from",
    joins=(Designation.enterprise,),
    eager=(contains_eager(Designation.enterprise), selectinload(Designation.certificates),
           defer(Designation.proposal)),
    link="designation",
    columns=DESIGNATION_COLUMNS,
)


def _reviews_done() -> Any:
    return (select(func.count(Review.id)).where(Review.expert_id == Expert.id,
                                                Review.state == ReviewState.submitted)
            .correlate(Expert).scalar_subquery().label("reviews_done"))


EXPERTS = Listing(
    name="experts", title="专家库", entity=Expert, base=lambda: select(Expert),
    area=located_in(Expert.jurisdiction_code),
    search=lambda text: or_(_contains(Expert.name, text), _contains(Expert.employer, text)),
    search_hint="姓名或工作单位",
    filters=(
        _area_filter(located_in(Expert.jurisdiction_code)),
        Filter("active", "在库状态", _active, (("yes", "在库"), ("no", "停用"))),
        _json_contains(Expert.specialties, "specialty", "专业领域"),
    ),
    sorts={"id": Expert.id, "name": Expert.name, "employer": Expert.employer, "reviews": "reviews_done"},
    default_sort="name",
    extra=lambda: (_reviews_done(),),
    columns=(
        Column("name", "姓名", lambda r, s: r.Expert.name, width=10, sort="name"),
        Column("title", "职称", lambda r, s: r.Expert.title, width=18),
        Column("employer", "工作单位", lambda r, s: r.Expert.employer, width=28, sort="employer"),
        Column("specialties", "专业领域", lambda r, s: specialty_label(r.Expert.specialties), width=28),
        Column("place", "所在地区", _place(lambda r: r.Expert.jurisdiction_code), width=16),
        Column("active", "在库状态", lambda r, s: "在库" if r.Expert.active else "停用", width=10),
        Column("reviews", "已完成评审", lambda r, s: r.reviews_done, "number", 12, sort="reviews"),
    ),
)


def _enterprise_counts() -> tuple[Any, ...]:
    applications = (select(func.count(Application.id))
                    .where(Application.enterprise_id == Enterprise.id, Application.state != ApplicationState.draft)
                    .correlate(Enterprise).scalar_subquery().label("applications"))
    on_record = (select(func.count(Designation.id))
                 .where(Designation.enterprise_id == Enterprise.id, Designation.state.in_(ON_RECORD))
                 .correlate(Enterprise).scalar_subquery().label("on_record"))
    return applications, on_record


ENTERPRISES = Listing(
    name="enterprises", title="企业名录", entity=Enterprise, base=lambda: select(Enterprise),
    area=located_in(Enterprise.jurisdiction_code),
    search=lambda text: or_(_contains(Enterprise.name, text), Enterprise.uscc.startswith(text.upper(),
                                                                                         autoescape=True)),
    search_hint="单位名称或统一社会信用代码",
    filters=(
        _area_filter(located_in(Enterprise.jurisdiction_code)),
        _json_contains(Enterprise.industry_codes, "industry", "所属行业"),
    ),
    sorts={"id": Enterprise.id, "name": Enterprise.name, "uscc": Enterprise.uscc,
           "applications": "applications", "on_record": "on_record", "created_at": Enterprise.created_at},
    default_sort="name",
    extra=_enterprise_counts,
    columns=(
        Column("name", "单位名称", lambda r, s: r.Enterprise.name, width=32, sort="name"),
        Column("uscc", "统一社会信用代码", lambda r, s: r.Enterprise.uscc, width=22, sort="uscc"),
        Column("place", "所在地区", _place(lambda r: r.Enterprise.jurisdiction_code), width=16),
        Column("industry", "所属行业", lambda r, s: industry_label(r.Enterprise.industry_codes), width=28),
        Column("applications", "申报数", lambda r, s: r.applications, "number", 8, sort="applications"),
        Column("on_record", "在册认定", lambda r, s: r.on_record, "number", 10, sort="on_record"),
        Column("created_at", "注册时间", lambda r, s: local_date(r.Enterprise.created_at), "date", 16, sort="created_at"),
    ),
)

LISTINGS = {listing.name: listing for listing in (APPLICATIONS, DESIGNATIONS, EXPERTS, ENTERPRISES)}


# Running a list --------------------------------------------------------------------------------------

def scope_of(session: Session, actor: Actor | None) -> list[str] | None:
    """The jurisdictions whose records `actor` may list: a staff member's subtree; all for an admin."""
    if is_role(actor, Role.admin):
        return None
    if is_role(actor, Role.staff):
        return targets.subtree(session, actor.jurisdiction_code)
    raise Forbidden("只有经信部门工作人员可以查看台账")


def _filtered(session: Session, listing: Listing, scope: list[str] | None, query: ListQuery) -> Select[Any]:
    statement = listing.base()
    text = query.q.strip()
    if text:
        statement = statement.where(listing.search(text))
    known = {f.name: f for f in listing.filters}
    for name, value in query.filters.items():
        if name in known and value:
            statement = known[name].apply(statement, value.strip(), session, scope)
    # A place filter is refused outside the scope and narrower than it: the scope adds nothing then.
    if scope is not None and not ("jurisdiction" in known and query.filters.get("jurisdiction", "").strip()):
        statement = statement.where(listing.area(scope))
    return statement


def _sort_column(listing: Listing, sort: str) -> Any:
    key = sort.removeprefix("-")
    if key not in listing.sorts:
        raise Invalid.field("sort", message("不能按“%(key)s”排序，可选：%(choices)s", key=key,
                                            choices=Joined(tuple(listing.sorts))))
    column = listing.sorts[key]
    return literal_column(column) if isinstance(column, str) else column  # a labelled count of the row


def _ordered(listing: Listing, statement: Select[Any], sort: str) -> tuple[Select[Any], str]:
    sort = sort or listing.default_sort
    column = _sort_column(listing, sort)
    order = desc(column) if sort.startswith("-") else column
    if getattr(getattr(column, "expression", None), "nullable", False):
        # A missing value (not yet scored, not yet submitted) sorts as the highest on both
        # backends, as PostgreSQL and its indexes order it; SQLite would order it lowest.
        order = order.nulls_first() if sort.startswith("-") else order.nulls_last()
    tie = listing.entity.id.desc() if sort.startswith("-") else listing.entity.id
    return statement.order_by(order, tie), sort


def _joined(listing: Listing, statement: Select[Any], sort_column: Any = None, *, every: bool = False) -> Select[Any]:
    """The statement with the joins of `listing` that it needs: those whose table a condition or
    the sort refers to, or with `every` all of them (for the rows themselves)."""
    used = _tables_named(statement)
    used.add(getattr(sort_column, "table", None))
    for relationship in listing.joins:
        if every or relationship.property.mapper.local_table in used:
            statement = statement.join(relationship)
    return statement


def _tables_named(statement: Select[Any]) -> set[Any]:
    """The tables the statement's conditions name outside their subqueries: those a count or a
    page must join. (`Select.get_final_froms()` says the same, but builds the ORM statement's
    compile state to know it: about a millisecond each time.)"""
    clause = statement.whereclause
    return set(clause._from_objects) if clause is not None else set()  # noqa: SLF001


def fetch(session: Session, listing: Listing, scope: list[str] | None, query: ListQuery) -> Page:
    """One page of the list: one query for the rows, one for the count (kept until the listed
    records change: workflow.totals)."""
    if query.per_page not in PER_PAGE_CHOICES:
        raise Invalid.field("per_page", message("每页条数可选：%(choices)s", choices=Joined(tuple(PER_PAGE_CHOICES))))
    if query.page < 1:
        raise Invalid.field("page", "页码应从1开始")
    statement, sort = _page_statement(session, listing, scope, query)

    def count() -> int:
        """count(*) over the listed table alone, joined only where a condition needs it: PostgreSQL
        then counts from an index (ix_applications_enterprise_state) without reading the wide rows.
        Built only when the kept total is missing."""
        counted = _joined(listing, _filtered(session, listing, scope, query))
        return session.scalar(counted.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)) or 0

    total = totals.total(totals.key(listing.name, scope, query.q.strip(), sorted(query.filters.items())), count)
    window = {"page_offset": (query.page - 1) * query.per_page, "page_limit": query.per_page}
    if listing.flat:
        rows = _flat_rows(session, listing, statement, window)
    elif listing.extra():
        rows = list(session.execute(statement, window))
    else:
        rows = list(session.scalars(statement, window).unique())
    return Page(rows, total, query.page, query.per_page, sort)


def _page_statement(session: Session, listing: Listing, scope: list[str] | None,
                    query: ListQuery) -> tuple[Select[Any], str]:
    """The page's statement with the page as parameters, built once for its list, area, search,
    filters and sort (`jurisdictions.kept`): a clerk paging through a list, or anyone reading the
    same list, reuses it rather than building it again, and SQLAlchemy reuses its compiled form."""
    key = ("list", listing.name, None if scope is None else tuple(scope), query.q.strip(),
           tuple(sorted(query.filters.items())), query.sort)
    return jurisdictions.kept(session, key, lambda: _built(session, listing, scope, query))


def _built(session: Session, listing: Listing, scope: list[str] | None, query: ListQuery) -> tuple[Select[Any], str]:
    filtered = _filtered(session, listing, scope, query)
    sort_column = _sort_column(listing, query.sort or listing.default_sort)
    statement, sort = _ordered(listing, _joined(listing, filtered, sort_column), query.sort)
    offset, limit = bindparam("page_offset", type_=Integer()), bindparam("page_limit", type_=Integer())
    if listing.extra():  # small tables (experts, enterprises) sorted by a computed count
        return statement.add_columns(*listing.extra()).options(*listing.eager).offset(offset).limit(limit), sort
    # A deferred join: the database orders and skips narrow (id, sort key) rows, then reads the
    # page's full rows; the same single statement, fast also on page 1,000 of 100,000.
    ids = statement.with_only_columns(listing.entity.id).offset(offset).limit(limit)
    rows = _joined(listing, listing.base().where(listing.entity.id.in_(ids)), every=True)
    statement, _ = _ordered(listing, rows, sort)
    return (statement.with_only_columns(*listing.flat, maintain_column_froms=True) if listing.flat
            else statement.options(*listing.eager)), sort


def _flat_rows(session: Session, listing: Listing, statement: Select[Any], params: Mapping[str, Any]) -> list[Any]:
    """The rows of a flat statement, read as plain columns (without the ORM's work per row, which
    a page of 50 spends about a millisecond on) and shaped as the ORM would: `r.id`,
    `r.enterprise.name`."""
    shape = _SHAPES.get(listing.name) or _SHAPES.setdefault(listing.name, _shape(listing.name, listing.flat))
    if session.autoflush:  # as the ORM would before it reads: the page shows the session's own changes
        session.flush()
    return [shape(values) for values in session.connection().execute(statement, params).all()]


_SHAPES: dict[str, Callable[[Sequence[Any]], Any]] = {}


def _shape(name: str, flat: tuple[Any, ...]) -> Callable[[Sequence[Any]], Any]:
    """The row of a flat listing: a named tuple of its columns and, for each Bundle, a named tuple
    of the Bundle's columns, which a plain statement returns in a row one after the other."""
    fields: list[str] = []
    parts: list[tuple[int, int, Any]] = []  # (first, last) columns, and the Bundle's tuple or None
    position = 0
    for element in flat:
        if isinstance(element, Bundle):
            keys = [column.key for column in element.exprs]
            fields.append(element.name)
            parts.append((position, position + len(keys), namedtuple(element.name, keys)._make))
            position += len(keys)
        else:
            fields.append(element.key)
            parts.append((position, position + 1, None))
            position += 1
    row = namedtuple(f"{name}_row", fields)._make
    return lambda values: row([values[first] if make is None else make(values[first:last])
                               for first, last, make in parts])


def _rows(session: Session, listing: Listing, statement: Select[Any]) -> list[Any]:
    if listing.extra():
        return list(session.execute(statement))
    return list(session.scalars(statement).unique())


def every_row(session: Session, listing: Listing, scope: list[str] | None, query: ListQuery) -> Iterator[Any]:
    """Every row of the filtered list in its order, read a thousand at a time, for exports. A
    refused filter or sort is refused here, before the first line of a file is written."""
    statement, _ = _ordered(listing, _joined(listing, _filtered(session, listing, scope, query), every=True),
                            query.sort)
    statement = statement.add_columns(*listing.extra()).options(*listing.eager)
    return _in_chunks(session, listing, statement)


def _in_chunks(session: Session, listing: Listing, statement: Select[Any]) -> Iterator[Any]:
    offset = 0
    while True:
        chunk = _rows(session, listing, statement.offset(offset).limit(1000))
        yield from chunk
        if len(chunk) < 1000:
            return
        offset += 1000


def values(session: Session, listing: Listing, row: Any) -> list[Any]:
    return [column.get(row, session) for column in listing.columns]


# Exports -------------------------------------------------------------------------------------------

DATE_FORMAT = 'yyyy"年"m"月"d"日"'
DATETIME_FORMAT = 'yyyy"年"m"月"d"日" hh:mm'
FORMULA_START = ("=", "+", "-", "@")


def plain(value: Any, kind: str) -> Any:
    """A cell's value as a clerk reads it: Chinese labels, China Standard Time, two decimals."""
    if value is None:
        return ""
    if kind == "state":
        return state_label(value)
    if kind == "kind":
        return KIND_LABELS[Kind(str(value))]
    if kind == "tier":
        return TIER_LABELS[Tier(str(value))]
    if isinstance(value, datetime):  # Excel keeps no time zone: China Standard Time
        local = value.astimezone(CHINA).replace(tzinfo=None, microsecond=0)
        return local.date() if kind == "date" else local
    if kind == "score":
        return round(float(value), 2)
    return value


def chinese_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def to_csv(session: Session, listing: Listing, rows: Iterator[Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese text as it is."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in listing.columns])
    for row in rows:
        cells = []
        for column, value in zip(listing.columns, values(session, listing, row)):
            value = plain(value, column.type)
            if isinstance(value, (date, datetime)):
                value = chinese_date(value)
            elif isinstance(value, str) and value.startswith(FORMULA_START):
                value = "'" + value  # never let a spreadsheet run a name as a formula
            cells.append(value)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def printable(value: Any) -> Any:
    """A text without the control characters a worksheet cannot hold (pasted into a name, say)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _text_cell(sheet: Any, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=printable(value))
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a text, never a formula
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def to_xlsx(session: Session, listing: Listing, rows: Iterator[Any], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for number, column in enumerate(listing.columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, c.header, font=bold) for c in listing.columns])
    for row in rows:
        cells = []
        for column, value in zip(listing.columns, values(session, listing, row)):
            value = plain(value, column.type)
            cell = _text_cell(sheet, value)
            if column.type == "date" and isinstance(value, (date, datetime)):
                cell.number_format = DATE_FORMAT
            elif column.type == "datetime" and value:
                cell.number_format = DATETIME_FORMAT
            elif column.type == "score":
                cell.number_format = "0.00"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The yearly list for the ministry -----------------------------------------------------------------------

MINISTRY_HEADERS = ("序号", "单位名称", "统一社会信用代码", "所在地区", "所属行业", "认定类别", "认定层级",
                    "认定时间", "有效期至", "状态", "证书编号")
MINISTRY_WIDTHS = (6, 36, 22, 22, 26, 20, 10, 16, 16, 10, 22)


def granted_in(session: Session, scope: list[str] | None, year: int) -> list[Designation]:
    """The designations granted in `year` to enterprises in scope, grouped by kind, tier and place."""
    statement = (select(Designation).join(Designation.enterprise)
                 .where(Designation.valid_from >= date(year, 1, 1), Designation.valid_from <= date(year, 12, 31))
                 .options(contains_eager(Designation.enterprise), selectinload(Designation.certificates)))
    if scope is not None:
        statement = statement.where(db.one_of(Enterprise.jurisdiction_code, scope))
    rows = list(session.scalars(statement))
    kinds, tiers = list(Kind), list(Tier)
    rows.sort(key=lambda d: (kinds.index(d.kind), -tiers.index(d.tier), d.enterprise.jurisdiction_code,
                             d.valid_from, d.enterprise.name))
    return rows


def ministry_xlsx(session: Session, scope: list[str] | None, year: int, bureau: str, today: date) -> bytes:
    """The year's designations in the layout of a submission to the ministry: a title, the
    submitting bureau and date, then 序号 … 证书编号, printable on landscape A4."""
    rows = granted_in(session, scope, year)
    book = Workbook()
    sheet = book.active
    sheet.title = f"{year}年度认定名单"
    last = get_column_letter(len(MINISTRY_HEADERS))
    sheet.append([f"{year}年度绿色低碳工厂、园区、供应链管理企业认定名单"])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([f"填报单位：{bureau}"] + [""] * 7 + [f"填报日期：{chinese_date(today)}"])
    sheet.merge_cells("A2:H2")
    sheet.merge_cells(f"I2:{last}2")
    sheet.append(list(MINISTRY_HEADERS))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for number, d in enumerate(rows, start=1):
        e = d.enterprise
        sheet.append([printable(v) for v in (
            number, e.name, e.uscc, place_name(session, e.jurisdiction_code, full=True),
            industry_label(e.industry_codes), KIND_LABELS[d.kind], TIER_LABELS[d.tier],
            d.valid_from, d.valid_until, state_label(d.state), certificate_number(d))])
        for cell in sheet[sheet.max_row]:
            cell.border = border
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
        for column in ("H", "I"):
            sheet[f"{column}{sheet.max_row}"].number_format = DATE_FORMAT
        sheet[f"A{sheet.max_row}"].alignment = Alignment(horizontal="center")
    for number, width in enumerate(MINISTRY_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

