"""A realistic dataset written straight into PostgreSQL with COPY.

At full scale: 10,000 enterprises with their applicant accounts, 100,000 applications spread
over every state (with the forms, evaluations, evidence metadata, panels, reviews and the
transition log of the path each took), 2,000 experts, 20,000 designations with certificates and
10,000 yearly reports filed for re-evaluation. The schema and the demo accounts come from the
project itself (`models.schema.upgrade`, `workflow.demo.seed`); the bulk rows are generated here
in Python and copied in, row by row through the ORM would take hours.
"""
from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import evaluators
from evaluators.examples import example_document
from models import User
from models.enums import KIND_CODES, ApplicationState, DesignationState, Kind, Tier
from models.log import GENESIS, TransitionLog, chain_hash
from models.schema import reference_rows, upgrade
from workflow import demo
from workflow.clock import CHINA, local_date
from workflow.panels import recount_open_reviews

S = ApplicationState
D = DesignationState

# Full-scale sizes; SCALE=small takes a tenth of each.
SIZES = {"enterprises": 10_000, "applications": 100_000, "experts": 2_000, "designations": 20_000,
         "reports": 10_000}

# How the applications that are not designated spread over the other states (weights).
OTHER_STATES = {S.draft: 10, S.submitted: 12, S.returned: 4, S.evaluating: 1, S.ineligible: 5,
                S.under_review: 3, S.awaiting_clarification: 1, S.reviewed: 3, S.public_notice: 2,
                S.rejected: 16, S.withdrawn: 8}
DESIGNATION_STATES = {D.active: 70, D.rectifying: 5, D.suspended: 3, D.revoked: 4, D.expired: 12,
                      D.withdrawn: 6}
# The transitions an application went through to reach its state (trigger, from, to).
PATHS: dict[ApplicationState, list[tuple[str, str, str]]] = {}
_to_submitted = [("submit", "draft", "submitted")]
_to_review = _to_submitted + [("recommend", "submitted", "submitted"), ("accept", "submitted", "evaluating"),
                              ("complete_evaluation", "evaluating", "under_review")]
_to_reviewed = _to_review + [("complete_review", "under_review", "reviewed")]
_to_notice = _to_reviewed + [("approve_for_notice", "reviewed", "public_notice")]
PATHS.update({
    S.draft: [], S.submitted: _to_submitted,
    S.returned: _to_submitted + [("return_for_changes", "submitted", "returned")],
    S.withdrawn: _to_submitted + [("withdraw", "submitted", "withdrawn")],
    S.evaluating: _to_review[:-1], S.under_review: _to_review,
    S.ineligible: _to_review[:-1] + [("complete_evaluation", "evaluating", "ineligible")],
    S.awaiting_clarification: _to_review + [("request_clarification", "under_review", "awaiting_clarification")],
    S.reviewed: _to_reviewed, S.public_notice: _to_notice,
    S.rejected: _to_reviewed + [("reject", "reviewed", "rejected")],
    S.designated: _to_notice + [("close_notice", "public_notice", "designated")],
})
WITH_PANEL = {S.awaiting_clarification, S.reviewed, S.public_notice, S.designated, S.rejected}
EVALUATED = WITH_PANEL | {S.under_review, S.ineligible}
GUIDELINES = {Kind.factory: "factory-gbt36132-2018", Kind.park: "park-miit-2016",
              Kind.supply_chain: "supply-chain-miit-2016"}
WORDS = ["恒盛", "青峰", "新安", "华玻", "瑶琳", "良渚", "瑞丰", "江南", "彩虹", "富春", "绿源", "锦纶", "东海", "蓝焰",
         "永安", "皖江", "龙眠", "天柱", "曙光", "金源", "华阳", "长江", "舒州", "锦绣", "精工", "皖电", "华宇", "新华"]
TRADES = {"C30": "新型建材", "C26": "精细化工", "C17": "纺织印染", "C28": "化纤", "C34": "通用机械",
          "C38": "电机电器", "C35": "专用设备", "C13": "食品加工", "C22": "纸业", "C31": "钢铁"}
FIELDS = ["energy", "carbon", "environment", "safety", "water", "resources"]
TITLES = ["高级工程师", "教授级高级工程师", "研究员", "教授", "副教授", "注册安全工程师", "高级经济师"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志远海涛晓梅文斌慧立新"


def sizes(scale: float) -> dict[str, int]:
    return {name: max(1, round(count * scale)) for name, count in SIZES.items()}


@dataclass
class Generated:
    """What the measurements need to know about the rows just written."""

    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)  # jurisdiction code → a staff user id
    province_staff: str = ""  # username of a provincial staff member who sees Zhejiang
    readable: list[int] = field(default_factory=list)  # application ids in Zhejiang, not drafts
    accept_ready: list[int] = field(default_factory=list)  # submitted, held at the programme
    drawable: list[int] = field(default_factory=list)  # under review, no panel yet
    reports: list[int] = field(default_factory=list)  # yearly reports filed, not evaluated
    designations: list[int] = field(default_factory=list)  # active designations
    seconds: float = 0.0


def copy(connection: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into a table on a raw psycopg connection; returns the number written."""
    written = 0
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
            for row in rows:
                stream.write_row(row)
                written += 1
    return written


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Builder:
    """Generates the rows of one dataset, deterministic for a given scale and moment."""

    def __init__(self, engine: Engine, scale: float, now: datetime) -> None:
        self.engine = engine
        self.size = sizes(scale)
        self.now = now
        self.today = local_date(now)
        self.random = random.Random(20261121)
        self.result = Generated(now=now)
        places = reference_rows("jurisdictions.csv")
        self.parent = {r["code"]: r["parent"] for r in places}
        self.name = {r["code"]: r["name"] for r in places}
        self.level = {r["code"]: r["level"] for r in places}
        with_counties = {self.parent[c] for c in self.level if self.level[c] == "county"}
        # An enterprise sits in a county, or in a city whose counties are not on file.
        self.homes = [c for c in self.level if self.level[c] == "county"] + [
            c for c in self.level if self.level[c] == "city" and c not in with_counties]
        self.divisions = [r["division"] for r in reference_rows("industries.csv")]
        self.next_id: Counter[str] = Counter()

    # Ids ---------------------------------------------------------------------------------------

    def ids(self, table: str, count: int) -> range:
        start = self.next_id[table] + 1
        self.next_id[table] += count
        return range(start, start + count)

    def start_ids(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            for table in ("users", "enterprises", "experts", "programmes", "applications", "evidence_files",
                          "panels", "reviews", "designations", "certificates", "yearly_reports", "notices",
                          "transition_log"):
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                self.next_id[table] = cursor.fetchone()[0]

    def finish_ids(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            for table, last in self.next_id.items():
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (max(last, 1),))

    # The whole dataset ---------------------------------------------------------------------------

    def build(self) -> Generated:
        upgrade(self.engine)
        with Session(self.engine) as session:
            demo.seed(session, self.now)
            session.commit()
            self.password_hash = session.scalar(select(User.password_hash).where(User.username == "admin"))
        raw = self.engine.raw_connection()
        try:
            connection = raw.driver_connection
            self.start_ids(connection)
            self.staff_accounts(connection)
            self.enterprises(connection)
            self.experts(connection)
            self.programmes(connection)
            self.applications(connection)
            self.finish_ids(connection)
            connection.commit()
            with Session(self.engine) as session:  # the reviews were copied in: count the experts' open ones
                recount_open_reviews(session)
                session.commit()
            # What autovacuum does in time on a live server: statistics for the planner and the
            # visibility map that lets counts read an index alone.
            connection.autocommit = True
            connection.execute("VACUUM ANALYZE")
            connection.autocommit = False
        finally:
            raw.close()
        self.result.counts = {**self.size, **{k: v for k, v in self.counted.items()}}
        return self.result

    def at(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour, self.random.randrange(60)), tzinfo=CHINA).astimezone(timezone.utc)

    # Accounts ---------------------------------------------------------------------------------------

    def staff_accounts(self, connection: Any) -> None:
        """One staff member at every city and province bureau."""
        rows = []
        bureaus = [c for c in self.level if self.level[c] in ("city", "province")]
        for user_id, code in zip(self.ids("users", len(bureaus)), bureaus):
            username = f"bench_staff_{code}"
            rows.append((user_id, username, self.password_hash, "staff", f"{self.name[code]}经信局", "", code, None,
                         True, self.now))
            self.result.staff[code] = user_id
        copy(connection, "users", ("id", "username", "password_hash", "role", "name", "email", "jurisdiction_code",
                                   "enterprise_id", "active", "created_at"), rows)
        self.result.province_staff = "bench_staff_330000"

    def uscc(self, prefix: str, county: str, number: int) -> str:
        alphabet = demo.CODE_ALPHABET
        body = ""
        for _ in range(9):
            number, digit = divmod(number, len(alphabet))
            body = alphabet[digit] + body
        return demo.with_check(prefix + county + body)

    def enterprises(self, connection: Any) -> None:
        count = self.size["enterprises"]
        self.enterprise_home: dict[int, str] = {}
        self.enterprise_user: dict[int, int] = {}
        enterprise_rows, user_rows = [], []
        for number, (enterprise_id, user_id) in enumerate(zip(self.ids("enterprises", count),
                                                              self.ids("users", count))):
            home = self.random.choice(self.homes)
            division = self.random.choice(list(TRADES))
            name = f"{self.name[home]}{self.random.choice(WORDS)}{TRADES[division]}有限公司{number:05d}"
            codes = [f"{division}{self.random.randrange(10, 99)}"]
            created = self.now - timedelta(days=self.random.randrange(30, 1500))
            enterprise_rows.append((enterprise_id, self.uscc("91", home, number + 7_000_000), name, home,
                                    as_json(codes), f"{self.name[home]}工业园区{number % 300 + 1}号", created))
            user_rows.append((user_id, f"bench_unit_{number}", self.password_hash, "applicant", name,
                              f"unit{number}@example.com", None, enterprise_id, True, created))
            self.enterprise_home[enterprise_id] = home
            self.enterprise_user[enterprise_id] = user_id
        copy(connection, "enterprises", ("id", "uscc", "name", "jurisdiction_code", "industry_codes", "address",
                                         "created_at"), enterprise_rows)
        copy(connection, "users", ("id", "username", "password_hash", "role", "name", "email", "jurisdiction_code",
                                   "enterprise_id", "active", "created_at"), user_rows)

    def experts(self, connection: Any, count: int | None = None, *, prefix: str = "bench_expert") -> list[int]:
        """The expert pool; also used to enlarge it for the panel-draw measurement."""
        count = count or self.size["experts"]
        user_rows, expert_rows, made = [], [], []
        for number, (expert_id, user_id) in enumerate(zip(self.ids("experts", count), self.ids("users", count))):
            name = self.random.choice(SURNAMES) + "".join(self.random.choices(GIVEN, k=self.random.choice((1, 2))))
            home = self.random.choice(self.homes)
            specialties = [self.random.choice(FIELDS), self.random.choice(self.divisions)]
            employer = f"{self.name[home]}{self.random.choice(['节能监察中心', '环境科学研究院', '建材行业协会', '工业设计研究院'])}"
            user_rows.append((user_id, f"{prefix}_{expert_id}", self.password_hash, "expert", name,
                              f"{prefix}{expert_id}@example.org", home, None, True, self.now))
            expert_rows.append((expert_id, user_id, name, self.random.choice(TITLES), employer,
                                self.uscc("12", home, 8_000_000 + expert_id), as_json(specialties), home, True,
                                self.now, "[]", "", "", 1))
            made.append(expert_id)
        copy(connection, "users", ("id", "username", "password_hash", "role", "name", "email", "jurisdiction_code",
                                   "enterprise_id", "active", "created_at"), user_rows)
        copy(connection, "experts", ("id", "user_id", "name", "title", "employer", "employer_uscc", "specialties",
                                     "jurisdiction_code", "active", "created_at", "former_employers",
                                     "deactivated_by", "deactivation_reason", "version"), expert_rows)
        if prefix == "bench_expert":
            self.expert_ids = made
        return made

    # Programmes ---------------------------------------------------------------------------------------

    def programmes(self, connection: Any) -> None:
        """Every city and province opened a factory programme each of the last four years; the
        two demo cities and their provinces also parks and supply chains."""
        self.programme_rows: list[dict[str, Any]] = []
        calls = []
        for year in range(self.today.year - 3, self.today.year + 1):
            for code, level in self.level.items():
                if level == "county":
                    continue
                tier = Tier.province if level == "province" else Tier.city
                kinds = [Kind.factory]
                if code[:4] in ("3301", "3408", "3300", "3400"):
                    kinds += [Kind.park, Kind.supply_chain]
                calls += [(year, code, tier, kind) for kind in kinds]
        rows = []
        for programme_id, (year, code, tier, kind) in zip(self.ids("programmes", len(calls)), calls):
            opens = date(year, 3, 1) if year < self.today.year else self.today - timedelta(days=30)
            closes = opens + timedelta(days=90 if year < self.today.year else 120)
            row = {"id": programme_id, "title": f"{year}年{self.name[code]}绿色低碳{KIND_CODES[kind]}认定",
                   "kind": str(kind), "tier": str(tier), "jurisdiction_code": code, "guideline": GUIDELINES[kind],
                   "opens_on": opens, "closes_on": closes, "year": year}
            self.programme_rows.append(row)
            rows.append((programme_id, row["title"], row["kind"], row["tier"], code, row["guideline"], opens, closes,
                         80.0, 5 if tier is Tier.province else 3, 5, 3, 4, 15, 30, 10.0, 15.0,
                         self.result.staff[code], self.at(opens - timedelta(days=10)), 8, 3, 10))
        copy(connection, "programmes", ("id", "title", "kind", "tier", "jurisdiction_code", "guideline", "opens_on",
                                        "closes_on", "pass_mark", "panel_size", "notice_working_days",
                                        "validity_years", "report_due_month", "report_due_day", "report_grace_days",
                                        "deterioration_points", "divergence_threshold", "created_by_id",
                                        "created_at", "review_load_cap", "invitation_working_days",
                                        "review_working_days"), rows)

    def programmes_for(self, home: str) -> list[dict[str, Any]]:
        above = set()
        code = home
        while code:
            above.add(code)
            code = self.parent.get(code, "")
        return [p for p in self.programme_rows if p["jurisdiction_code"] in above]

    # Forms and evaluations ------------------------------------------------------------------------------

    def forms(self) -> dict[tuple[str, int, int], tuple[dict[str, Any], str, str | None, float | None, bool | None]]:
        """(guideline, year, variant) → (form, form JSON, evaluation JSON, score, eligible)."""
        made = {}
        for guideline in GUIDELINES.values():
            for year in range(self.today.year - 4, self.today.year + 1):
                for variant in range(7):
                    document = demo._document(guideline, variant, year)
                    result = evaluators.evaluate(guideline, document, {}, 80.0)
                    made[(guideline, year, variant)] = (document, as_json(document), as_json(result.to_dict()),
                                                        result.total, result.eligible)
        return made

    # Applications and everything hanging from them ----------------------------------------------------

    def application_states(self) -> list[ApplicationState]:
        total, designated = self.size["applications"], self.size["designations"]
        weights = list(OTHER_STATES.values())
        states = [S.designated] * designated + self.random.choices(list(OTHER_STATES), weights, k=total - designated)
        self.random.shuffle(states)
        return states

    def applications(self, connection: Any) -> None:
        forms = self.forms()
        indicators = {g: [item["id"] for item in evaluators.load(g).to_dict()["indicators"]]
                      for g in GUIDELINES.values()}
        enterprises = list(self.enterprise_home)
        states = self.application_states()
        app_rows, evidence_rows, log_rows = [], [], []
        panels, designated, notices_wanted = [], [], {}
        self.counted: Counter[str] = Counter()
        for app_id, state in zip(self.ids("applications", len(states)), states):
            enterprise_id = self.random.choice(enterprises)
            home = self.enterprise_home[enterprise_id]
            open_now = state in (S.draft, S.submitted, S.returned, S.evaluating, S.under_review,
                                 S.awaiting_clarification, S.reviewed, S.public_notice)
            choices = [p for p in self.programmes_for(home) if (p["year"] == self.today.year) == open_now]
            programme = self.random.choice(choices or self.programmes_for(home))
            guideline = programme["guideline"]
            variant = app_id % 7
            document, form, evaluation, score, eligible = forms[(guideline, programme["year"] - 1, variant)]
            created = self.at(programme["opens_on"] + timedelta(days=self.random.randrange(20)), 9)
            submitted = created + timedelta(days=3, hours=self.random.randrange(48)) if state is not S.draft else None
            path = PATHS[state]
            held = programme["jurisdiction_code"] if any(t == "recommend" for t, _, _ in path) else home
            if state is S.submitted and self.random.random() < 0.5:
                held = programme["jurisdiction_code"]  # recommended up to the programme's bureau already
                path = path + [("recommend", "submitted", "submitted")]
            if state in (S.draft, S.withdrawn):
                held = None if state is S.draft else home
            evaluated = state in EVALUATED
            if state is S.ineligible:
                eligible = False
            panel_score = round(score + self.random.uniform(-3, 3), 2) if state in WITH_PANEL and score else None
            moment = submitted or created
            steps = []
            for trigger, source, target in path:
                moment += timedelta(days=self.random.randrange(1, 9), hours=self.random.randrange(8))
                steps.append((trigger, source, target, moment))
            designated_at = steps[-1][3] if state is S.designated else None
            updated = steps[-1][3] if steps else created
            app_rows.append((app_id, programme["id"], enterprise_id, home, str(state), held, guideline, form,
                             evaluation if evaluated else None, eligible if evaluated else None,
                             score if evaluated else None, panel_score, None, None,
                             self.enterprise_user[enterprise_id], created, updated, submitted, designated_at,
                             len(steps) + 1))
            for number in range(2 if state is not S.draft else self.random.randrange(2)):
                indicator = self.random.choice(indicators[guideline])
                evidence_rows.append((self.next_id["evidence_files"] + 1 + len(evidence_rows), app_id, indicator,
                                      f"{indicator}佐证材料{number + 1}.pdf", f"bench-{app_id}-{number}.pdf",
                                      "application/pdf", 150_000 + self.random.randrange(900_000),
                                      hashlib.sha256(f"{app_id}-{number}".encode()).hexdigest(),
                                      self.enterprise_user[enterprise_id], created + timedelta(hours=number + 1)))
            for trigger, source, target, at in steps:
                details = {"from_jurisdiction": home, "to_jurisdiction": self.parent[home] or home} if (
                    trigger == "recommend") else {}
                log_rows.append(("application", app_id, trigger, source, target, None, "申报单位" if trigger in (
                    "submit", "withdraw") else "工作人员", "", details, at))
            if state in WITH_PANEL or (state is S.under_review and self.random.random() < 0.5):
                panels.append((app_id, programme, state, steps[3][3] + timedelta(days=2)))
            elif state is S.under_review and held == programme["jurisdiction_code"]:
                self.result.drawable.append(app_id)
            if state is S.designated:
                designated.append((app_id, enterprise_id, programme, designated_at, document))
            if state is S.public_notice:
                notices_wanted.setdefault(programme["id"], []).append((app_id, steps[-1][3]))
            if state is S.submitted and held == programme["jurisdiction_code"]:
                self.result.accept_ready.append(app_id)
            if state is not S.draft and home.startswith("33"):
                self.result.readable.append(app_id)
            self.counted["transition_log"] += len(steps)
        self.next_id["evidence_files"] += len(evidence_rows)
        copy(connection, "applications", ("id", "programme_id", "enterprise_id", "place_code", "state",
                                          "holding_jurisdiction_code",
                                          "guideline", "data", "evaluation", "eligible", "auto_score", "panel_score",
                                          "clarification_question", "notice_id", "created_by_id", "created_at",
                                          "updated_at", "submitted_at", "designated_at", "version"), app_rows)
        copy(connection, "evidence_files", ("id", "application_id", "indicator", "original_name", "stored_name",
                                            "content_type", "size", "sha256", "uploaded_by_id", "uploaded_at"),
             evidence_rows)
        self.counted["evidence_files"] = len(evidence_rows)
        self.panels(connection, panels)
        self.notices(connection, notices_wanted)
        designation_log = self.designations(connection, designated)
        self.transition_log(connection, log_rows + designation_log)

    def panels(self, connection: Any, wanted: list[tuple[int, dict[str, Any], ApplicationState, datetime]]) -> None:
        panel_rows, review_rows = [], []
        for panel_id, (app_id, programme, state, drawn) in zip(self.ids("panels", len(wanted)), wanted):
            experts = self.random.sample(self.expert_ids, 3)
            seed = f"{app_id:x}{self.random.getrandbits(32):08x}"
            report = {"algorithm": "sha256-pick/2", "seed": seed, "size": 3, "drawn_at": drawn.isoformat(),
                      "exclusions": [], "chosen": [{"expert_id": e, "label": f"R{n}"} for n, e in enumerate(experts, 1)]}
            panel_rows.append((panel_id, app_id, 3, seed, self.result.staff[programme["jurisdiction_code"]],
                               drawn, "sha256-pick/2", as_json(report), None, None, "", 1))
            open_review = state in (S.under_review, S.awaiting_clarification)
            for number, (review_id, expert_id) in enumerate(zip(self.ids("reviews", 3), experts), 1):
                total = round(80 + self.random.uniform(0, 15), 1)
                review_rows.append((
                    review_id, panel_id, app_id, expert_id, f"R{number}",
                    "accepted" if open_review else "submitted",
                    "{}" if open_review else as_json({"g1": total}), "{}",
                    None if open_review else "pass", "" if open_review else "主要指标达到评价要求。",
                    None if open_review else total, "", drawn, drawn + timedelta(days=1),
                    None if open_review else drawn + timedelta(days=8), drawn + timedelta(days=3),
                    drawn + timedelta(days=14), None, 1 if open_review else 3))
        copy(connection, "panels", ("id", "application_id", "size", "seed", "drawn_by_id", "drawn_at",
                                    "algorithm", "report", "divergence", "discussion", "discussion_conclusion",
                                    "version"), panel_rows)
        copy(connection, "reviews", ("id", "panel_id", "application_id", "expert_id", "label", "state", "scores",
                                     "reasons", "recommendation", "comments", "total", "conflict_declaration",
                                     "invited_at", "responded_at", "submitted_at", "respond_by", "due_at",
                                     "ended_reason", "version"), review_rows)
        self.counted["panels"], self.counted["reviews"] = len(panel_rows), len(review_rows)

    def notices(self, connection: Any, wanted: dict[int, list[tuple[int, datetime]]]) -> None:
        rows, links = [], []
        for notice_id, (programme_id, apps) in zip(self.ids("notices", len(wanted)), wanted.items()):
            programme = next(p for p in self.programme_rows if p["id"] == programme_id)
            opened = max(at for _, at in apps)
            start = local_date(opened)
            rows.append((notice_id, programme_id, f"{programme['title']}拟认定名单公示", "open", start,
                         start + timedelta(days=7), 5, "", self.result.staff[programme["jurisdiction_code"]], opened))
            links += [(notice_id, app_id) for app_id, _ in apps]
        copy(connection, "notices", ("id", "programme_id", "title", "state", "starts_on", "ends_on", "working_days",
                                     "calendar_warning", "opened_by_id", "opened_at"), rows)
        with connection.cursor() as cursor:
            cursor.executemany("UPDATE applications SET notice_id = %s WHERE id = %s", links)

    def designations(self, connection: Any, granted: list[tuple[int, int, dict[str, Any], datetime, dict[str, Any]]]
                     ) -> list[tuple[Any, ...]]:
        designation_rows, certificate_rows, report_rows, log_rows = [], [], [], []
        sequences: Counter[tuple[str, str, int]] = Counter()
        states = self.random.choices(list(DESIGNATION_STATES), list(DESIGNATION_STATES.values()), k=len(granted))
        reasons = ["veto_event", "missed_report", "falsified_data", "non_compliant"]
        live_reports = self.size["reports"]
        for designation_id, (app_id, enterprise_id, programme, at, document), state in zip(
                self.ids("designations", len(granted)), granted, states):
            start = local_date(at)
            until = date(start.year + 3, start.month, min(start.day, 28)) - timedelta(days=1)
            if state is D.expired:
                start, until = date(self.today.year - 4, 6, 1), date(self.today.year - 1, 5, 31)
            elif state in (D.active, D.rectifying, D.suspended) and until < self.today:
                until = self.today + timedelta(days=self.random.randrange(30, 700))
            code, kind = programme["jurisdiction_code"], Kind(programme["kind"])
            designation_rows.append((
                designation_id, app_id, enterprise_id, programme["id"], str(kind), programme["tier"], code, str(state),
                start, until, self.random.choice(reasons) if state is D.revoked else None,
                "年度复核发现问题" if state is not D.active else "",
                self.today + timedelta(days=60) if state is D.rectifying else None,
                self.today + timedelta(days=90) if state is D.suspended else None, None, at, at, 1))
            if state is not D.active:
                log_rows.append(("designation", designation_id, {
                    D.rectifying: "require_rectification", D.suspended: "suspend", D.revoked: "revoke",
                    D.expired: "expire", D.withdrawn: "withdraw"}[state], "active", str(state), None, "工作人员",
                    "年度复核发现问题", {}, at + timedelta(days=200)))
            else:
                self.result.designations.append(designation_id)
            year = local_date(at).year
            sequences[(code, KIND_CODES[kind], year)] += 1
            number = f"{code}-{KIND_CODES[kind]}-{year}-{sequences[(code, KIND_CODES[kind], year)]:04d}"
            status = "issued" if state in (D.active, D.rectifying, D.suspended, D.expired) else "void"
            certificate_rows.append((
                designation_id, number, code, KIND_CODES[kind], year, sequences[(code, KIND_CODES[kind], year)],
                f"单位{enterprise_id}", status, f"certificates/{number}.pdf", hashlib.sha256(number.encode()).hexdigest(),
                at, at, None if status == "issued" else at + timedelta(days=200)))
            report_year = self.today.year - 1
            if state in (D.active, D.rectifying, D.suspended) and start.year <= report_year:
                # Last year's report of every live designation: the first ones filed and waiting
                # for their re-evaluation, the others evaluated already.
                filed = self.at(date(self.today.year, 3, 20)) if self.today.month > 4 else self.now - timedelta(days=5)
                waiting = len(report_rows) < live_reports
                report_rows.append((designation_id, report_year, date(report_year + 1, 4, 15),
                                    "submitted" if waiting else "evaluated",
                                    as_json(demo.for_year(document, report_year)), "", filed, filed,
                                    None if waiting else filed + timedelta(days=3)))
        copy(connection, "designations", ("id", "application_id", "enterprise_id", "programme_id", "kind", "tier",
                                          "jurisdiction_code", "state", "valid_from", "valid_until", "reason_code",
                                          "reason", "rectify_by", "suspended_until", "proposal", "created_at",
                                          "changed_at", "version"), designation_rows)
        ids = self.ids("certificates", len(certificate_rows))
        copy(connection, "certificates", ("id", "designation_id", "number", "jurisdiction_code", "kind_code", "year",
                                          "sequence", "holder", "status", "pdf_path", "sha256", "created_at",
                                          "issued_at", "voided_at"), ((i, *row) for i, row in zip(ids, certificate_rows)))
        copy(connection, "certificate_sequences", ("jurisdiction_code", "kind_code", "year", "last"),
             ((*key, last) for key, last in sequences.items()))
        report_ids = self.ids("yearly_reports", len(report_rows))
        copy(connection, "yearly_reports", ("id", "designation_id", "year", "due_on", "state", "data", "finding",
                                            "submitted_at", "created_at", "evaluated_at"),
             ((i, *row) for i, row in zip(report_ids, report_rows)))
        self.result.reports = [i for i, row in zip(report_ids, report_rows) if row[3] == "submitted"]
        self.counted["certificates"], self.counted["reports"] = len(certificate_rows), len(self.result.reports)
        self.counted["designations"] = len(designation_rows)
        return log_rows

    def transition_log(self, connection: Any, rows: list[tuple[Any, ...]]) -> None:
        """The log in time order, each row chained to the one before it (models/log.py)."""
        rows.sort(key=lambda r: r[-1])
        with connection.cursor() as cursor:
            cursor.execute("SELECT hash FROM transition_log ORDER BY id DESC LIMIT 1")
            found = cursor.fetchone()
        prev = found[0] if found else GENESIS
        fields = TransitionLog.chain_fields

        def sealed() -> Iterator[tuple[Any, ...]]:
            nonlocal prev
            for log_id, row in zip(self.ids("transition_log", len(rows)), rows):
                values = dict(zip(fields, row))
                digest = chain_hash(fields, values, prev)
                yield (log_id, *row[:8], as_json(row[8]), row[9], prev, digest)
                prev = digest

        copy(connection, "transition_log", ("id", *fields, "prev_hash", "hash"), sealed())
        self.counted["transition_log"] = len(rows)


def generate(engine: Engine, scale: float, now: datetime) -> Generated:
    import time as clock

    started = clock.perf_counter()
    result = Builder(engine, scale, now).build()
    result.seconds = clock.perf_counter() - started
    return result
