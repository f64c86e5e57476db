"""The expert pool (专家库) as staff keep it: search, edit, deactivate, Excel import and export.

The workbook has two sheets with a Chinese header row: “专家” (one row per expert, matched by
user name: a known name updates that expert, a new one creates the expert and an account) and
“曾任职单位” (one row per former employer). An import checks every row first and creates
nothing when any row is wrong; the errors name the sheet, the row and the column.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import evaluators
from evaluators.messages import Joined, joined, message
from models import Application, Expert, Review, User
from models.enums import Role
from workflow import accounts, jurisdictions, panels, reviews
from workflow.actors import Actor, is_role
from workflow.errors import Forbidden, Invalid, NotFound, NotPossible
from workflow.listings import printable
from workflow.permissions import Decision

EXPERTS_SHEET = "专家"
FORMER_SHEET = "曾任职单位"
COLUMNS = [  # (key, header, required)
    ("username", "用户名", True),
    ("name", "姓名", True),
    ("title", "职称", False),
    ("employer", "工作单位", True),
    ("employer_uscc", "工作单位统一社会信用代码", False),
    ("specialties", "专业领域", True),
    ("jurisdiction", "所在地行政区划代码", True),
    ("unavailable_from", "不可参评开始日期", False),
    ("unavailable_until", "不可参评结束日期", False),
    ("email", "电子邮箱", False),
]
STATUS_HEADER = "状态（仅导出）"
FORMER_COLUMNS = [
    ("username", "用户名", True),
    ("name", "单位名称", True),
    ("uscc", "统一社会信用代码", False),
    ("from", "起始日期", False),
    ("until", "结束日期", False),
]
# Chinese words people write for the specialty fields, as well as the keys themselves.
FIELD_WORDS = {
    "能源": "energy",
    "节能": "energy",
    "环境": "environment",
    "环保": "environment",
    "碳排放": "carbon",
    "碳": "carbon",
    "低碳": "carbon",
    "双碳": "carbon",
    "安全生产": "safety",
    "安全": "safety",
}
SEPARATORS = re.compile(r"[、,，;；/\s]+")
MAX_ROWS = 5000


# Who may manage whom ------------------------------------------------------------------------


def can_manage(session: Session, actor: Actor | None, expert: Expert) -> Decision:
    if is_role(actor, Role.admin):
        return Decision(True)
    if is_role(actor, Role.staff) and jurisdictions.is_within(
        session, expert.jurisdiction_code, actor.jurisdiction_code
    ):
        return Decision(True)
    return Decision(False, "只能管理本辖区内的专家")


def _require_staff(actor: Actor | None) -> None:
    if not (is_role(actor, Role.staff) or is_role(actor, Role.admin)):
        raise Forbidden("只有经信部门工作人员可以管理专家库")


# Reading values people type -----------------------------------------------------------------


def parse_specialties(value: Any) -> tuple[list[str], list[str]]:
    """ "能源、C30，碳排放" → (["energy", "C30", "carbon"], problems)."""
    items = value if isinstance(value, (list, tuple)) else SEPARATORS.split(str(value or ""))
    found: list[str] = []
    problems: list[str] = []
    for raw in items:
        word = str(raw).strip()
        if not word:
            continue
        key = FIELD_WORDS.get(word, word if word in panels.FIELDS else word.upper())
        problem = panels.specialty_problem(key)
        if problem:
            problems.append(problem)
        elif key not in found:
            found.append(key)
    return found, problems


def parse_date(value: Any) -> date | None:
    """A date cell, or text such as 2026-11-23 or 2026/11/23; blank is None; else ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or re.fullmatch(
        r"(\d{4})年(\d{1,2})月(\d{1,2})日", text
    )
    if not match:
        raise ValueError(text)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def check_fields(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, str]:
    """field → Chinese message, for the keys present in `values` (already cleaned to types)."""
    errors: dict[str, str] = {}
    if "name" in values and not values["name"]:
        errors["name"] = "请填写专家姓名"
    if "employer" in values and not values["employer"]:
        errors["employer"] = "请填写工作单位"
    if values.get("employer_uscc"):
        problem = evaluators.uscc_problem(values["employer_uscc"])
        if problem:
            errors["employer_uscc"] = problem
    if "specialties" in values and not values["specialties"]:
        errors["specialties"] = "请至少填写一个专业领域（如 能源、碳排放、C30）"
    if "jurisdiction" in values:
        code = values["jurisdiction"]
        if code not in jurisdictions.parents(session):
            errors["jurisdiction"] = message("行政区划代码“%(code)s”不存在", code=code)
        elif is_role(actor, Role.staff) and not jurisdictions.is_within(
            session, code, actor.jurisdiction_code
        ):
            errors["jurisdiction"] = "只能管理本辖区内的专家"
    start, end = values.get("unavailable_from"), values.get("unavailable_until")
    if start and end and end < start:
        errors["unavailable_until"] = "不可参评结束日期不能早于开始日期"
    for number, former in enumerate(values.get("former_employers") or [], start=1):
        problem = _former_problem(former)
        if problem:
            errors[f"former_employers.{number}"] = problem
    return errors


def _former_problem(former: dict[str, Any]) -> str | None:
    if not former.get("name"):
        return "请填写单位名称"
    if former.get("uscc"):
        problem = evaluators.uscc_problem(former["uscc"])
        if problem:
            return problem
    start, end = former.get("from"), former.get("until")
    if start and end and str(end) < str(start):
        return "结束日期不能早于起始日期"
    return None


def _former(item: dict[str, Any]) -> dict[str, Any]:
    """A former employer as stored: ISO dates, the credit code in capitals."""

    def iso(value: Any) -> str | None:
        parsed = parse_date(value)
        return parsed.isoformat() if parsed else None

    return {
        "name": _text(item.get("name")),
        "uscc": _text(item.get("uscc")).upper() or None,
        "from": iso(item.get("from")),
        "until": iso(item.get("until")),
    }


# Search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    total: int
    page: int
    per_page: int
    items: list[Expert]


def search(
    session: Session,
    actor: Actor | None,
    *,
    q: str = "",
    specialty: str = "",
    jurisdiction: str = "",
    status: str = "active",
    available_on: date | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    _require_staff(actor)
    query = select(Expert).order_by(Expert.id)
    if status == "active":
        query = query.where(Expert.active.is_(True))
    elif status == "inactive":
        query = query.where(Expert.active.is_(False))
    elif status != "all":
        raise Invalid.field("status", "status 只能为 active、inactive 或 all")
    if q.strip():
        like = q.strip()
        query = query.where(
            or_(
                Expert.name.contains(like),
                Expert.employer.contains(like),
                Expert.employer_uscc == like.upper(),
            )
        )
    if jurisdiction:
        inside = [
            c
            for c in jurisdictions.parents(session)
            if jurisdictions.is_within(session, c, jurisdiction)
        ]
        if not inside:
            raise Invalid.field("jurisdiction", message("行政区划代码“%(code)s”不存在", code=jurisdiction))
        query = query.where(Expert.jurisdiction_code.in_(inside))
    rows = list(session.scalars(query))
    if specialty:
        wanted, problems = parse_specialties(specialty)
        if problems:
            raise Invalid.field("specialty", problems[0])
        rows = [e for e in rows if set(wanted) & set(e.specialties or [])]
    if available_on is not None:
        rows = [e for e in rows if not e.unavailable_on(available_on)]
    start = (page - 1) * per_page
    return Page(len(rows), page, per_page, rows[start : start + per_page])


def open_reviews(session: Session, experts: Iterable[Expert]) -> dict[int, int]:
    load = panels.open_load(session)
    return {e.id: load.get(e.id, 0) for e in experts}


def load(
    session: Session, actor: Actor | None, expert_id: int, *, for_update: bool = False
) -> Expert:
    _require_staff(actor)
    expert = session.get(Expert, expert_id, with_for_update=for_update or None)
    if expert is None:
        raise NotFound("专家不存在")
    return expert


# Changes ------------------------------------------------------------------------------------


def update(
    session: Session,
    actor: Actor,
    expert: Expert,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Expert:
    """Change an expert's record (PATCH): only the keys given; a stale version is a 409."""
    _require_staff(actor)
    decision = can_manage(session, actor, expert)
    if not decision:
        raise Forbidden(decision.reason)
    if expected_version is not None and expected_version != expert.version:
        raise NotPossible(
            "该专家信息已被他人修改，请刷新后再操作",
            {"expected_version": expected_version, "current_version": expert.version},
        )
    values = dict(changes)
    problems: list[str] = []
    if "specialties" in values:
        values["specialties"], problems = parse_specialties(values["specialties"])
    for key in ("name", "title", "employer"):
        if key in values:
            values[key] = _text(values[key])
    if "employer_uscc" in values:
        values["employer_uscc"] = _text(values["employer_uscc"]).upper() or None
    try:
        if "former_employers" in values:
            values["former_employers"] = [_former(f) for f in values["former_employers"] or []]
    except ValueError:
        raise Invalid.field("former_employers", "日期格式应为“年-月-日”，如 2023-06-30") from None
    errors = check_fields(session, actor, values)
    if problems:
        errors["specialties"] = problems[0]
    if "unavailable_from" in values or "unavailable_until" in values:
        start = values.get("unavailable_from", expert.unavailable_from)
        end = values.get("unavailable_until", expert.unavailable_until)
        if start and end and end < start:
            errors["unavailable_until"] = "不可参评结束日期不能早于开始日期"
    if errors:
        raise Invalid("专家信息有误", {"fields": {k: [v] for k, v in errors.items()}})
    columns = {
        "name": "name",
        "title": "title",
        "employer": "employer",
        "employer_uscc": "employer_uscc",
        "specialties": "specialties",
        "jurisdiction": "jurisdiction_code",
        "former_employers": "former_employers",
        "unavailable_from": "unavailable_from",
        "unavailable_until": "unavailable_until",
    }
    for key, column in columns.items():
        if key in values:
            setattr(expert, column, values[key])
    if "name" in values:
        expert.user.name = values["name"]
    session.flush()
    return expert


def deactivate(
    session: Session, actor: Actor, expert: Expert, reason: str, now: datetime
) -> Expert:
    """Take an expert out of future draws; their reviews and declarations stay on record.

    Unanswered invitations end and are drawn again; reviews already accepted must be finished
    (or the invitation declined) first.
    """
    _require_staff(actor)
    decision = can_manage(session, actor, expert)
    if not decision:
        raise Forbidden(decision.reason)
    if not expert.active:
        raise NotPossible("该专家已停用")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", "请填写停用原因")
    busy = list(
        session.scalars(
            select(Review)
            .join(Application, Review.application_id == Application.id)
            .where(
                Review.expert_id == expert.id,
                Review.state.in_(panels.OPEN_REVIEWS),
                Application.state.in_(panels.OPEN_STATES),
            )
            .order_by(Review.id)
        )
    )
    accepted = [r for r in busy if r.state.value == "accepted"]
    if accepted:
        numbers = Joined(tuple(f"#{r.application_id}" for r in accepted))
        raise NotPossible(
            message("该专家正在评审申报%(applications)s，请待其提交评分后再停用", applications=numbers),
            {"applications": [r.application_id for r in accepted]},
        )
    expert.active = False
    expert.deactivated_at = now
    expert.deactivated_by = actor.display_name
    expert.deactivation_reason = reason
    session.flush()
    for review in busy:
        reviews.end_invitation(session, review, "deactivated", now)
    session.flush()
    return expert


def reactivate(session: Session, actor: Actor, expert: Expert) -> Expert:
    _require_staff(actor)
    decision = can_manage(session, actor, expert)
    if not decision:
        raise Forbidden(decision.reason)
    if expert.active:
        raise NotPossible("该专家在库，无需恢复")
    expert.active = True
    expert.deactivated_at = None
    expert.deactivated_by = ""
    expert.deactivation_reason = ""
    session.flush()
    return expert


# Excel --------------------------------------------------------------------------------------


def export_workbook(session: Session, experts: Iterable[Expert]) -> bytes:
    experts = list(experts)
    book = Workbook()
    sheet = book.active
    sheet.title = EXPERTS_SHEET
    sheet.append([header for _, header, _ in COLUMNS] + [STATUS_HEADER])
    former = book.create_sheet(FORMER_SHEET)
    former.append([header for _, header, _ in FORMER_COLUMNS])
    for expert in experts:
        sheet.append(
            [printable(v) for v in (
                expert.user.username,
                expert.name,
                expert.title,
                expert.employer,
                expert.employer_uscc or "",
                "、".join(panels.FIELDS.get(s, s) for s in expert.specialties or []),
                expert.jurisdiction_code,
                expert.unavailable_from,
                expert.unavailable_until,
                expert.user.email or "",
                "在库" if expert.active else f"已停用（{expert.deactivation_reason}）",
            )]
        )
        for item in expert.former_employers or []:
            former.append(
                [printable(v) for v in (
                    expert.user.username,
                    item.get("name"),
                    item.get("uscc") or "",
                    parse_date(item.get("from")),
                    parse_date(item.get("until")),
                )]
            )
    for ws, widths in (
        (sheet, [16, 10, 18, 30, 24, 24, 18, 16, 16, 26, 20]),
        (former, [16, 30, 24, 14, 14]),
    ):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for index, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + index)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        ws.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def text(self) -> str:
        if self.column:
            return message("“%(sheet)s”表第%(row)s行“%(column)s”：%(message)s", sheet=self.sheet, row=self.row,
                           column=self.column, message=self.message)
        return message("“%(sheet)s”表第%(row)s行：%(message)s", sheet=self.sheet, row=self.row, message=self.message)


@dataclass
class ImportResult:
    created: list[Expert] = field(default_factory=list)
    updated: list[Expert] = field(default_factory=list)


def _rows(
    sheet: Any, columns: list[tuple[str, str, bool]], errors: list[RowError]
) -> list[tuple[int, dict[str, Any]]]:
    rows = sheet.iter_rows(values_only=True)
    header = [_text(h) for h in next(rows, ())]
    positions: dict[str, int] = {}
    for key, title, required in columns:
        if title in header:
            positions[key] = header.index(title)
        elif required:
            errors.append(RowError(sheet.title, 1, title, "缺少该列（请使用导出的表格作为模板）"))
    found = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            errors.append(RowError(sheet.title, number, "", message("一次最多导入%(rows)s行", rows=MAX_ROWS)))
            break
        if values is None or all(v is None or _text(v) == "" for v in values):
            continue
        found.append(
            (number, {key: values[i] if i < len(values) else None for key, i in positions.items()})
        )
    return found


def import_workbook(session: Session, actor: Actor, data: bytes) -> ImportResult:
    """Create or update experts from a workbook; all rows or none."""
    _require_staff(actor)
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError):
        raise Invalid.field(
            "file", "不是有效的 Excel 文件（.xlsx），请使用导出的表格作为模板"
        ) from None
    if EXPERTS_SHEET not in book.sheetnames:
        raise Invalid.field("file", message("表格中没有名为“%(sheet)s”的工作表", sheet=EXPERTS_SHEET))
    errors: list[RowError] = []
    expert_rows = _rows(book[EXPERTS_SHEET], COLUMNS, errors)
    former_rows = (
        _rows(book[FORMER_SHEET], FORMER_COLUMNS, errors)
        if FORMER_SHEET in book.sheetnames
        else None
    )
    if errors:
        raise _invalid(errors)
    planned: list[tuple[int, dict[str, Any], Expert | None]] = []
    seen: dict[str, int] = {}
    for number, raw in expert_rows:
        values, problems = _clean_row(session, actor, raw)
        errors += [RowError(EXPERTS_SHEET, number, column, message) for column, message in problems]
        username = values["username"]
        if username in seen:
            errors.append(RowError(EXPERTS_SHEET, number, "用户名", message("与第%(row)s行重复", row=seen[username])))
        elif username:
            seen[username] = number
        existing = (
            session.scalar(select(User).where(User.username == username)) if username else None
        )
        expert = existing.expert if existing is not None else None
        if existing is not None and expert is None:
            errors.append(
                RowError(EXPERTS_SHEET, number, "用户名", message("“%(username)s”已是其他类型的账号", username=username))
            )
        elif expert is not None and not can_manage(session, actor, expert):
            errors.append(
                RowError(EXPERTS_SHEET, number, "用户名",
                         message("“%(username)s”不是本辖区的专家，不能修改", username=username))
            )
        planned.append((number, values, expert))
    formers: dict[str, list[dict[str, Any]]] = {}
    for number, raw in former_rows or []:
        username = _text(raw.get("username"))
        try:
            item = _former(raw)
        except ValueError:
            errors.append(
                RowError(
                    FORMER_SHEET,
                    number,
                    "起始日期/结束日期",
                    "日期格式应为“年-月-日”，如 2023-06-30",
                )
            )
            continue
        problem = _former_problem(item)
        if username not in seen:
            errors.append(
                RowError(FORMER_SHEET, number, "用户名",
                         message("“%(username)s”不在“%(sheet)s”表中", username=username, sheet=EXPERTS_SHEET))
            )
        elif problem:
            errors.append(RowError(FORMER_SHEET, number, "", problem))
        else:
            formers.setdefault(username, []).append(item)
    if errors:
        raise _invalid(errors)
    result = ImportResult()
    savepoint = session.begin_nested()
    for number, values, expert in planned:
        if former_rows is not None:
            values["former_employers"] = formers.get(values["username"], [])
        try:
            if expert is None:
                expert = accounts.add_expert(
                    session,
                    actor,
                    username=values["username"],
                    password=secrets.token_urlsafe(18),
                    name=values["name"],
                    employer=values["employer"],
                    employer_uscc=values["employer_uscc"],
                    specialties=values["specialties"],
                    jurisdiction=values["jurisdiction"],
                    title=values["title"],
                    email=values["email"],
                )
                result.created.append(expert)
            else:
                expert.user.email = values["email"] or expert.user.email
                result.updated.append(expert)
            expert.title = values["title"]
            expert.employer = values["employer"]
            expert.employer_uscc = values["employer_uscc"]
            expert.specialties = values["specialties"]
            expert.jurisdiction_code = values["jurisdiction"]
            expert.name = values["name"]
            expert.unavailable_from = values["unavailable_from"]
            expert.unavailable_until = values["unavailable_until"]
            if "former_employers" in values:
                expert.former_employers = values["former_employers"]
            session.flush()
        except Invalid as error:
            for column, messages in (error.details.get("fields") or {"": [error.message]}).items():
                header = next((h for k, h, _ in COLUMNS if k == column), "")
                errors.append(
                    RowError(EXPERTS_SHEET, number, header, joined(messages, "；"))
                )
    if errors:
        savepoint.rollback()
        raise _invalid(errors)
    savepoint.commit()
    return result


def _clean_row(
    session: Session, actor: Actor, raw: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    headers = {key: title for key, title, _ in COLUMNS}
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {
        key: _text(raw.get(key))
        for key in ("username", "name", "title", "employer", "jurisdiction", "email")
    }
    values["employer_uscc"] = _text(raw.get("employer_uscc")).upper() or None
    if not values["username"]:
        problems.append((headers["username"], "请填写用户名（专家登录系统用）"))
    values["specialties"], bad = parse_specialties(raw.get("specialties"))
    problems += [(headers["specialties"], p) for p in bad]
    for key in ("unavailable_from", "unavailable_until"):
        try:
            values[key] = parse_date(raw.get(key))
        except ValueError:
            values[key] = None
            problems.append((headers[key], "日期格式应为“年-月-日”，如 2026-12-31"))
    for key, message in check_fields(session, actor, values).items():
        if not (key == "specialties" and bad):
            problems.append((headers.get(key, key), message))
    return values, problems


def _invalid(errors: list[RowError]) -> Invalid:
    errors.sort(key=lambda e: (e.sheet != EXPERTS_SHEET, e.row))
    shown = Joined(tuple(e.text() for e in errors[:5]), "；")
    more = message("等%(count)s处", count=len(errors)) if len(errors) > 5 else ""
    return Invalid(
        message("导入未完成，没有创建或修改任何专家。请修改后重新导入：%(rows)s%(more)s", rows=shown, more=more),
        {
            "rows": [
                {
                    "sheet": e.sheet,
                    "row": e.row,
                    "column": e.column,
                    "message": e.message,
                    "text": e.text(),
                }
                for e in errors
            ]
        },
    )
