"""The demo world of the embedded default.

`seed` creates what every test database starts from: the bureaus, seven experts, one enterprise,
two open programmes and the plan targets of the policy documents. `seed_world` adds, on top of
it, a believable Hangzhou and Anqing for `greencert demo`: county bureaus, about fifty
enterprises in 建材, 化工, 纺织化纤 and 装备制造, more experts, programmes of 2023–2025 with
their designations (active, under rectification, suspended, revoked, expired, given up), yearly
reports filed and overdue, and applications in every state in this year's open programmes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import evaluators
from evaluators.examples import example_document
from models import Designation, Enterprise, Expert, Programme, User
from models.enums import Kind, NoticeState, Role, Tier
from workflow import accounts, applications, designations, panels, reports, reviews, targets
from workflow.actors import SYSTEM
from workflow.clock import CHINA, local_date
from workflow.passwords import hash_password


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    description: str


STAFF = [
    ("hz_city", "330100", "杭州市经信局 绿色制造处 王科长"),
    ("hz_city2", "330100", "杭州市经信局 绿色制造处 刘副处长"),
    ("qt_county", "330114", "钱塘区经信局"),
    ("xh_county", "330106", "西湖区经信局"),
    ("zj_province", "330000", "浙江省经信厅 节能与综合利用处"),
    ("aq_city", "340800", "安庆市经信局"),
]
EXPERTS = [
    # username, name, title, employer, employer USCC, specialties, jurisdiction
    ("expert_wang", "王建国", "教授级高级工程师", "浙江省节能协会", "51330000MJ8702312", ["energy", "C30"], "330106"),
    ("expert_li", "李晓梅", "高级工程师", "浙江大学能源工程学院", "12330000470003281", ["carbon", "C26"], "330106"),
    ("expert_zhang", "张伟", "注册安全工程师", "杭州市环境科学研究院", None, ["environment", "C28"], "330102"),
    ("expert_chen", "陈静", "高级经济师", "浙江工业大学", None, ["carbon", "C17"], "330105"),
    ("expert_zhao", "赵磊", "高级工程师", "安徽省节能监察中心", None, ["energy", "C34"], "340802"),
    ("expert_sun", "孙丽", "研究员", "宁波市节能中心", None, ["energy", "C38"], "330200"),
    ("expert_zhou", "周强", "正高级工程师", "温州市特种设备检测院", None, ["safety", "C35"], "330300"),
]
ENTERPRISE = {
    "uscc": "91330114MA2H3X4Y5" ,  # check character appended below
    "name": "杭州钱塘新材料股份有限公司",
    "jurisdiction": "330114",
    "industry_codes": ["C3021", "C2929"],
    "username": "qt_newmat",
    "address": "杭州市钱塘区临江街道纬十路388号",
}
PASSWORD = "greencert-demo"


def seed(session: Session, now: datetime) -> list[DemoAccount]:
    """Create the demo accounts and programmes once; running again changes nothing."""
    if session.scalar(select(User.id).where(User.username == "admin")) is not None:
        return accounts_list()
    accounts.add_user(session, username="admin", password=PASSWORD, role=Role.admin, name="系统管理员")
    staff = {}
    for username, code, name in STAFF:
        staff[code] = accounts.add_user(session, username=username, password=PASSWORD, role=Role.staff,
                                        jurisdiction=code, name=name, email=f"{username}@example.gov.cn")
    for username, name, title, employer, uscc, specialties, code in EXPERTS:
        accounts.add_expert(session, staff["330000"] if code.startswith("33") else staff["340800"],
                            username=username, password=PASSWORD, name=name, title=title,
                            employer=employer, employer_uscc=uscc and with_check(uscc),
                            specialties=specialties,
                            jurisdiction=code, email=f"{username}@example.org")
    uscc = with_check(ENTERPRISE["uscc"])
    accounts.register_enterprise(
        session, uscc=uscc, name=ENTERPRISE["name"], jurisdiction=ENTERPRISE["jurisdiction"],
        industry_codes=ENTERPRISE["industry_codes"], username=ENTERPRISE["username"],
        password=PASSWORD, email="energy@qt-newmat.example.com", address=ENTERPRISE["address"],
    )
    today = local_date(now)
    applications.create_programme(
        session, staff["330100"], kind=Kind.factory, tier=Tier.city, jurisdiction="330100",
        guideline="factory-gbt36132-2018", opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=60), pass_mark=80.0, panel_size=3,
        notice_working_days=5, validity_years=3,
    )
    applications.create_programme(
        session, staff["340800"], kind=Kind.factory, tier=Tier.city, jurisdiction="340800",
        guideline="factory-gbt36132-2018", opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=80), pass_mark=80.0, panel_size=3,
        notice_working_days=7, validity_years=3,
    )
    targets.seed_policy_targets(session)
    session.flush()
    return accounts_list()


def with_check(first17: str) -> str:
    """A unified social credit code completed with its GB 32100 check character."""
    return first17 + evaluators.uscc.uscc_check_character(first17)


def accounts_list() -> list[DemoAccount]:
    rows = [DemoAccount("admin", PASSWORD, "admin", "系统管理员")]
    rows += [DemoAccount(u, PASSWORD, "staff", n) for u, _, n in STAFF]
    rows += [DemoAccount(u, PASSWORD, "expert", f"{n}（{e}）") for u, n, _, e, _, _, _ in EXPERTS]
    rows.append(DemoAccount(ENTERPRISE["username"], PASSWORD, "applicant", ENTERPRISE["name"]))
    return rows


# The rich world of `greencert demo` -------------------------------------------------------------
# Every step goes through the service functions, dated when it would have happened, so that the
# history, the transition log and the numbers on the dashboard agree with each other.

WORLD_STAFF = [
    ("xs_county", "330109", "萧山区经信局"), ("yh_county", "330110", "余杭区经信局"),
    ("fy_county", "330111", "富阳区经信局"), ("lp_county", "330113", "临平区经信局"),
    ("tl_county", "330122", "桐庐县经信局"), ("jd_county", "330182", "建德市经信局"),
    ("dg_county", "340803", "大观区经信局"), ("yx_county", "340811", "宜秀区经信局"),
    ("hn_county", "340822", "怀宁县经信局"), ("ss_county", "340826", "宿松县经信局"),
    ("tc_county", "340881", "桐城市经信局"), ("qs_county", "340882", "潜山市经信局"),
    ("zj_province2", "330000", "浙江省经信厅 节能与综合利用处 周副处长"),
    ("aq_city2", "340800", "安庆市经信局 节能科 吴副科长"),
    ("ah_province", "340000", "安徽省经信厅 节能与综合利用处"),
    ("ah_province2", "340000", "安徽省经信厅 节能与综合利用处 郑副处长"),
]
WORLD_EXPERTS = [
    ("expert_qian", "钱宏", "教授级高级工程师", "浙江省建材工业设计研究院", ["energy", "C30"], "330102"),
    ("expert_feng", "冯雅琴", "高级工程师", "浙江省化工研究院", ["environment", "C26"], "330105"),
    ("expert_he", "何志远", "教授", "浙江理工大学材料学院", ["carbon", "C28"], "330108"),
    ("expert_lu", "陆建平", "高级工程师", "嘉兴市节能监察中心", ["energy", "C34"], "330400"),
    ("expert_pan", "潘海涛", "高级工程师", "杭州钱塘区生态环境监测站", ["environment", "C26"], "330114"),
    ("expert_xu", "许文斌", "正高级工程师", "安徽省建筑材料科学研究院", ["energy", "C30"], "340100"),
    ("expert_fang", "方晓燕", "副教授", "安庆师范大学化学化工学院", ["carbon", "C26"], "340802"),
    ("expert_cao", "曹立新", "高级工程师", "芜湖市节能中心", ["energy", "C38"], "340200"),
    ("expert_tang", "唐敏", "注册环保工程师", "合肥市生态环境科学研究所", ["environment", "C17"], "340100"),
    # Enough specialists per industry that three years of panels can each avoid everyone who
    # reviewed the same enterprise before and everyone from its own county.
    ("expert_yao", "姚国华", "教授级高级工程师", "宁波市建材行业协会", ["carbon", "C30"], "330200"),
    ("expert_zhu", "朱丽娟", "高级工程师", "温州市节能监察中心", ["energy", "C30", "C26"], "330300"),
    ("expert_gu", "顾建明", "研究员", "黄山市绿色制造研究院", ["energy", "C30", "C28", "C34"], "341000"),
    ("expert_shen", "沈慧", "高级工程师", "湖州市生态环境科学研究院", ["environment", "C28", "C17", "C26"], "330500"),
]
# name, county, industry classes; park management bodies have no industry class.
HANGZHOU_FIRMS = [
    ("杭州萧山恒盛新型建材有限公司", "330109", ["C3021"]),
    ("杭州富阳青峰水泥有限公司", "330111", ["C3011"]),
    ("建德市新安江钙业有限公司", "330182", ["C3012"]),
    ("杭州临平华玻节能玻璃有限公司", "330113", ["C3041"]),
    ("桐庐县瑶琳绿色建材有限公司", "330122", ["C3031"]),
    ("杭州余杭良渚新型墙材有限公司", "330110", ["C3031"]),
    ("杭州萧山瑞丰化工有限公司", "330109", ["C2614"]),
    ("杭州钱塘江南精细化工有限公司", "330114", ["C2662"]),
    ("杭州临平彩虹涂料有限公司", "330113", ["C2641"]),
    ("桐庐县富春江硅材料有限公司", "330122", ["C2613"]),
    ("杭州余杭绿源生物化工有限公司", "330110", ["C2625"]),
    ("杭州萧山锦纶纤维有限公司", "330109", ["C2821"]),
    ("杭州萧山织造印染有限公司", "330109", ["C1713"]),
    ("杭州临平经编纺织有限公司", "330113", ["C1752"]),
    ("杭州钱塘恒泰涤纶有限公司", "330114", ["C2822"]),
    ("杭州富阳春江化纤织造有限公司", "330111", ["C1751"]),
    ("杭州余杭运河家纺有限公司", "330110", ["C1771"]),
    ("杭州萧山东海泵业有限公司", "330109", ["C3441"]),
    ("杭州余杭蓝焰锅炉有限公司", "330110", ["C3411"]),
    ("杭州临平微电机有限公司", "330113", ["C3813"]),
    ("杭州富阳永安阀门有限公司", "330111", ["C3443"]),
    ("建德市江南矿山机械有限公司", "330182", ["C3511"]),
    ("杭州钱塘智能装备有限公司", "330114", ["C3491"]),
    ("杭州西湖变压器有限公司", "330106", ["C3821"]),
    ("桐庐县分水齿轮箱有限公司", "330122", ["C3453"]),
]
HANGZHOU_PARKS = [
    ("杭州萧山经济技术开发区管理委员会", "330109"),
    ("杭州钱塘临江高新技术产业园区管理委员会", "330114"),
    ("杭州富阳经济技术开发区管理委员会", "330111"),
    ("杭州余杭经济技术开发区管理委员会", "330110"),
]
ANQING_FIRMS = [
    ("安庆宜秀江城新型建材有限公司", "340811", ["C3021"]),
    ("怀宁县皖江水泥有限公司", "340822", ["C3011"]),
    ("桐城市龙眠新型墙材有限公司", "340881", ["C3031"]),
    ("潜山市天柱石材有限公司", "340882", ["C3032"]),
    ("安庆大观石化新材料有限公司", "340803", ["C2614"]),
    ("安庆宜秀曙光精细化工有限公司", "340811", ["C2662"]),
    ("怀宁县金源化肥有限公司", "340822", ["C2621"]),
    ("宿松县华阳化工有限公司", "340826", ["C2613"]),
    ("安庆宜秀长江纺织有限公司", "340811", ["C1712"]),
    ("桐城市新华纺织印染有限公司", "340881", ["C1713"]),
    ("潜山市舒州化纤有限公司", "340882", ["C2822"]),
    ("宿松县锦绣纺织有限公司", "340826", ["C1751"]),
    ("安庆大观精工机械有限公司", "340803", ["C3484"]),
    ("安庆宜秀船用泵有限公司", "340811", ["C3441"]),
    ("桐城市皖电机电设备有限公司", "340881", ["C3811"]),
    ("怀宁县华宇阀门有限公司", "340822", ["C3443"]),
    ("潜山市石油机械有限公司", "340882", ["C3512"]),
]
ANQING_PARKS = [
    ("安庆高新技术产业开发区管理委员会", "340811"),
    ("安徽桐城经济技术开发区管理委员会", "340881"),
    ("安徽宿松经济开发区管理委员会", "340826"),
]
GUIDELINES = {Kind.factory: "factory-gbt36132-2018", Kind.park: "park-miit-2016",
              Kind.supply_chain: "supply-chain-miit-2016"}
CITY_STAFF = {"330100": "hz_city", "340800": "aq_city", "330000": "zj_province", "340000": "ah_province"}
SECOND_STAFF = {"330100": "hz_city2", "340800": "aq_city2", "330000": "zj_province2", "340000": "ah_province2"}
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 characters (no I, O, S, V, Z)


@dataclass(frozen=True)
class Call:
    """A past programme of the world: who opened it, what, and from which date (申报期两个月)."""

    key: str
    jurisdiction: str
    kind: Kind
    tier: Tier
    opens_on: date
    guideline: str = ""


def world_uscc(county: str, number: int, *, park: bool = False) -> str:
    """A valid, made-up credit code: 91 (enterprise) or 11 (organ), the county, 9 characters."""
    body = "MA2" + "".join(CODE_ALPHABET[(number * 7 + i * 13) % len(CODE_ALPHABET)] for i in range(5))
    return with_check(("11" if park else "91") + county + body + CODE_ALPHABET[number % 10])


class World:
    """The actors and the clock of the world being seeded."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.today = local_date(now)
        self.users = {u.username: u for u in session.scalars(select(User))}
        self.programmes: dict[str, Any] = {}

    def user(self, username: str) -> User:
        return self.users[username]

    def staff_at(self, code: str) -> User:
        found = next((u for u in self.users.values()
                      if u.role is Role.staff and u.jurisdiction_code == code), None)
        if found is None:
            raise LookupError(f"no demo staff at {code}")
        return found

    def at(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=CHINA)


def seed_world(session: Session, now: datetime) -> list[DemoAccount]:
    """The rich demo world on top of `seed` (call that first); running again changes nothing."""
    if session.scalar(select(User.id).where(User.username == "ah_province")) is not None:
        return world_accounts()
    shared_hash = hash_password(PASSWORD)  # one Argon2 hash for every demo account keeps this fast
    for username, code, name in WORLD_STAFF:
        session.add(User(username=username, password_hash=shared_hash, role=Role.staff,
                         jurisdiction_code=code, name=name, email=f"{username}@example.gov.cn"))
    session.flush()
    for number, (username, name, title, employer, specialties, code) in enumerate(WORLD_EXPERTS):
        user = User(username=username, password_hash=shared_hash, role=Role.expert, jurisdiction_code=code,
                    name=name, email=f"{username}@example.org")
        session.add(user)
        session.flush()
        session.add(Expert(user_id=user.id, name=name, title=title, employer=employer,
                           specialties=specialties, jurisdiction_code=code))
    world = World(session, now)
    hz = _enterprises(world, HANGZHOU_FIRMS, HANGZHOU_PARKS, 100, shared_hash)
    aq = _enterprises(world, ANQING_FIRMS, ANQING_PARKS, 300, shared_hash)
    groups = {"hz": [world.user(ENTERPRISE["username"])] + hz["firms"], "hz_parks": hz["parks"],
              "aq": aq["firms"], "aq_parks": aq["parks"]}
    done = _history(world, groups)
    _file_reports(world, world.today.year - 2, skip=set())
    _dynamics(world, done)
    _file_reports(world, world.today.year - 1, skip={
        done[("HZ-2F", "hz", 5)], done[("HZ-2F", "hz", 8)], done[("HZ-2P", "hz_parks", 1)],
        done[("AQ-2F", "aq", 3)], done[("AQ-2F", "aq", 6)]})
    reports.open_reports(session, world.today)  # the missing ones, due and now late
    reports.mark_overdue(session, world.today, now)
    _in_flight(world, groups)
    session.flush()
    return world_accounts()


def world_accounts() -> list[DemoAccount]:
    rows = [DemoAccount(u, PASSWORD, "staff", n) for u, _, n in WORLD_STAFF]
    rows += [DemoAccount(u, PASSWORD, "expert", f"{n}（{e}）") for u, n, _, e, _, _ in WORLD_EXPERTS]
    return rows


def _enterprises(world: World, firms: list[tuple[str, str, list[str]]], parks: list[tuple[str, str]],
                 first_number: int, shared_hash: str) -> dict[str, list[User]]:
    made: dict[str, list[User]] = {"firms": [], "parks": []}
    rows = [(name, county, codes, False) for name, county, codes in firms]
    rows += [(name, county, [], True) for name, county in parks]
    for offset, (name, county, codes, park) in enumerate(rows):
        number = first_number + offset
        enterprise = Enterprise(uscc=world_uscc(county, number, park=park), name=name, jurisdiction_code=county,
                                industry_codes=codes, address=f"{name.split('有限公司')[0]}厂区",
                                created_at=world.at(date(2023, 1, 5) + timedelta(days=offset * 3)))
        world.session.add(enterprise)
        world.session.flush()
        user = User(username=f"demo{number}", password_hash=shared_hash, role=Role.applicant, name=name,
                    email=f"demo{number}@example.com", enterprise_id=enterprise.id)
        world.session.add(user)
        world.session.flush()
        world.users[user.username] = user
        made["parks" if park else "firms"].append(user)
    return made


def _programme(world: World, call: Call) -> Any:
    staff = world.staff_at(call.jurisdiction)
    panel = 5 if call.tier is Tier.province else 3
    programme = applications.create_programme(
        world.session, staff, kind=call.kind, tier=call.tier, jurisdiction=call.jurisdiction,
        guideline=call.guideline or GUIDELINES[call.kind], opens_on=call.opens_on,
        closes_on=call.opens_on + timedelta(days=60), pass_mark=80.0, panel_size=panel,
        notice_working_days=7 if call.jurisdiction.startswith("34") else 5, validity_years=3,
    )
    programme.created_at = world.at(call.opens_on - timedelta(days=14))
    world.programmes[call.key] = programme
    return programme


def for_year(document: dict[str, Any], year: int) -> dict[str, Any]:
    """The document moved to report on `year` (a park reports that year and the two before)."""
    shift = year - int(document.get("year") or year)
    moved = {**document, "year": year}
    if isinstance(document.get("years"), list):
        moved["years"] = [{**entry, "year": int(entry["year"]) + shift} for entry in document["years"]]
    return moved


def _document(guideline: str, number: int, year: int, *, veto: bool = False) -> dict[str, Any]:
    """The example application of the guideline for `year`, its figures varied a little per enterprise."""
    document = for_year(example_document(guideline, "pass"), year)
    factor = 0.9 + (number % 7) * 0.03
    for section in ("energy", "output"):
        values = document.get(section)
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, (int, float)) and value:
                    values[key] = round(value * (factor if section == "energy" else 2 - factor))
    if veto:
        first = next(iter(document["vetoes"]))
        document["vetoes"][first] = True
    return document


def _scores(guideline: str, app: Any, failing: bool, number: int) -> tuple[dict[str, float], dict[str, str]]:
    """An expert's points: the automatic evaluation's, one group raised a little after the site
    visit, or, for a failing applicant, every group cut back; each change with its reason."""
    groups = {g["id"]: g["points"] for g in evaluators.load(guideline).to_dict()["groups"]}
    auto = reviews.automatic_points(app)
    if failing:
        return ({g: round(auto.get(g, 0) * 0.7, 1) for g in groups},
                dict.fromkeys(groups, "现场核查发现实际运行数据与申报材料不符，酌情扣分"))
    raised = list(groups)[number % len(groups)]
    scores = {raised: min(groups[raised], round(auto.get(raised, 0) + 0.5 + number % 3, 1))}
    return scores, {raised: "现场核查：节能改造项目已投运，计量数据完整，酌情加分"}


# How far an application goes. The steps run in this order; each outcome stops after its step.
STEPS = ("draft", "submitted", "recommended", "evaluating", "under_review", "panel", "reviewed",
         "public_notice", "designated")


def _apply(world: World, applicant: User, programme: Any, start: datetime, number: int, outcome: str,
           pace: float = 1.0) -> Any:
    """Take an application of `applicant` to `outcome`, one dated step after another; `pace`
    shortens the intervals for this year's programmes, whose steps all lie in the last weeks."""

    def step(days: float, hours: float = 0) -> timedelta:
        return timedelta(days=days * pace, hours=hours * pace)

    session = world.session
    county = applicant.enterprise.jurisdiction_code
    deciding = world.staff_at(programme.jurisdiction_code)
    moment = start
    app = applications.create_application(session, applicant, programme.id, moment)
    app.created_at = moment
    applications.save_draft(session, applicant, app, _document(
        programme.guideline, number, local_date(moment).year - 1, veto=outcome == "ineligible"), moment)
    if outcome == "draft":
        return app
    moment += step(3 + number % 4, number % 5)
    applications.act(session, applicant, app, "submit", moment)
    if outcome == "withdrawn":
        return applications.act(session, applicant, app, "withdraw", moment + step(2))
    if outcome == "submitted":
        return app
    if outcome == "returned":
        return applications.act(session, world.staff_at(county), app, "return_for_changes",
                                moment + step(2), reason="能源消费统计表缺少2025年第四季度数据，请补充后重新提交")
    while app.holding_jurisdiction_code != programme.jurisdiction_code:
        moment += step(2 + number % 5)
        applications.act(session, world.staff_at(app.holding_jurisdiction_code), app, "recommend", moment)
    if outcome == "recommended":
        return app
    if outcome == "refused":
        return applications.act(session, deciding, app, "refuse", moment + step(3),
                                reason="申报单位近三年发生一般生产安全事故，不符合本批次申报条件")
    moment += step(3)
    applications.act(session, deciding, app, "accept", moment)
    if outcome == "evaluating":
        return app
    moment += step(1)
    _evaluate(session, app, moment)
    if outcome in ("ineligible", "under_review"):
        return app
    if outcome == "awaiting_clarification":
        return applications.act(session, deciding, app, "request_clarification", moment + step(4),
                                reason="请补充2025年度能源审计报告及第三方碳排放核查报告")
    moment += step(2)
    panel = panels.draw(session, deciding, app, moment, seed=f"demo-{app.id}")
    for position, review in enumerate(list(panel.reviews)):
        expert = review.expert.user
        reviews.respond(session, expert, review, True, moment + step(0, 4 + position))
        if outcome == "panel" and position > 0:
            continue
        scores, reasons = _scores(programme.guideline, app, outcome == "rejected", number + position)
        reviews.save(session, expert, review, scores, "fail" if outcome == "rejected" else "pass",
                     "资料完整，主要指标达到评价要求。" if outcome != "rejected" else "多项指标未达到评价要求。",
                     reasons)
        reviews.submit(session, expert, review, moment + step(8 + position + number % 6))
    if outcome == "panel":
        return app
    moment += step(9 + len(panel.reviews) + number % 6)
    if outcome == "rejected":
        return applications.act(session, deciding, app, "reject", moment + step(3),
                                reason="专家组评分低于合格分数线")
    if outcome == "reviewed":
        return app
    moment += step(3 + number % 4)
    applications.act(session, deciding, app, "approve_for_notice", moment)
    if outcome == "public_notice":
        return app
    closing = world.at(app.notice.ends_on + timedelta(days=1), 9)
    applications.act(session, SYSTEM, app, "close_notice", closing)
    app.notice.state = NoticeState.closed
    app.notice.closed_at = closing
    return app


def _evaluate(session: Session, app: Any, moment: datetime) -> None:
    """What the evaluation job does (workflow.jobs.evaluate_application), dated `moment`."""
    result = evaluators.evaluate(app.guideline, app.data or {}, {}, app.programme.pass_mark)
    app.evaluation = result.to_dict()
    app.eligible = result.eligible
    app.auto_score = result.total
    applications.act(session, SYSTEM, app, "complete_evaluation", moment)


def _calls(today: date) -> list[tuple[Call, list[tuple[str, int, str]]]]:
    """The programmes of the last three years and who entered them with what outcome:
    (group, index in the group, outcome); groups are hz, hz_parks, aq, aq_parks."""
    y = today.year
    designated = "designated"
    return [
        (Call("AQ-3F", "340800", Kind.factory, Tier.city, date(y - 3, 4, 1)),
         [("aq", 14, designated), ("aq", 15, designated)]),
        (Call("HZ-2F", "330100", Kind.factory, Tier.city, date(y - 2, 3, 1)),
         [("hz", i, designated) for i in range(10)] + [("hz", 10, "rejected"), ("hz", 11, "ineligible")]),
        (Call("HZ-2P", "330100", Kind.park, Tier.city, date(y - 2, 3, 1)),
         [("hz_parks", i, designated) for i in range(3)]),
        (Call("AQ-2F", "340800", Kind.factory, Tier.city, date(y - 2, 3, 15)),
         [("aq", i, designated) for i in range(7)] + [("aq", 7, "rejected")]),
        (Call("ZJ-2F", "330000", Kind.factory, Tier.province, date(y - 2, 7, 1)),
         [("hz", i, designated) for i in range(1, 5)] + [("hz", 5, "rejected")]),
        (Call("ZJ-2P", "330000", Kind.park, Tier.province, date(y - 2, 8, 1)),
         [("hz_parks", 0, designated), ("hz_parks", 1, designated)]),
        (Call("AH-2F", "340000", Kind.factory, Tier.province, date(y - 2, 7, 15)),
         [("aq", i, designated) for i in range(3)]),
        (Call("HZ-1F", "330100", Kind.factory, Tier.city, date(y - 1, 3, 1), "factory-gbt36132-2025"),
         [("hz", i, designated) for i in range(12, 17)] + [("hz", 17, "withdrawn")]),
        (Call("HZ-1S", "330100", Kind.supply_chain, Tier.city, date(y - 1, 4, 1)),
         [("hz", 2, designated), ("hz", 18, designated)]),
        (Call("AQ-1F", "340800", Kind.factory, Tier.city, date(y - 1, 3, 15)),
         [("aq", i, designated) for i in range(8, 12)] + [("aq", 12, "ineligible")]),
        (Call("AQ-1S", "340800", Kind.supply_chain, Tier.city, date(y - 1, 4, 1)),
         [("aq", 0, designated), ("aq", 13, designated)]),
        (Call("AQ-1P", "340800", Kind.park, Tier.city, date(y - 1, 4, 1)),
         [("aq_parks", 0, designated), ("aq_parks", 1, designated), ("aq_parks", 2, "refused")]),
        (Call("ZJ-1F", "330000", Kind.factory, Tier.province, date(y - 1, 7, 1)),
         [("hz", i, designated) for i in range(6, 9)]),
    ]


def _history(world: World, groups: dict[str, list[User]]) -> dict[tuple[str, str, int], Any]:
    """Run the past programmes; returns (programme key, group, index) → application."""
    done: dict[tuple[str, str, int], Any] = {}
    for call, entries in _calls(world.today):
        programme = _programme(world, call)
        for position, (group, index, outcome) in enumerate(entries):
            start = world.at(call.opens_on + timedelta(days=2 + (position * 3) % 20), 9 + position % 7)
            applicant = groups[group][index]
            done[(call.key, group, index)] = _apply(world, applicant, programme, start,
                                                    index + position, outcome)
    return done


def _designation(world: World, app: Any) -> Designation:
    return world.session.scalars(select(Designation).where(Designation.application_id == app.id)).one()


def _dynamics(world: World, done: dict[tuple[str, str, int], Any]) -> None:
    """Dynamic management (有进有出) of the last months: rectification, suspension, revocation,
    a revocation waiting for its second signature, a unit giving up, validity running out."""
    session, today = world.session, world.today

    def on(days_ago: int) -> datetime:
        return world.at(today - timedelta(days=days_ago), 15)

    def act(key: tuple[str, str, int], who: str, trigger: str, days_ago: int, **inputs: Any) -> None:
        designations.act(session, world.user(who), _designation(world, done[key]), trigger, on(days_ago), **inputs)

    act(("HZ-2F", "hz", 3), "hz_city", "require_rectification", 20,
        reason="2025年度单位产品综合能耗较认定时上升12%，请于期限内完成节能诊断并整改")
    act(("HZ-2F", "hz", 7), "hz_city", "suspend", 45, until=(today + timedelta(days=120)).isoformat(),
        reason="生态环境部门通报其废气排放超标，整改期间暂停认定")
    act(("HZ-2F", "hz", 9), "hz_city", "propose_revocation", 60, reason_code="falsified_data",
        reason="经核查，申报材料中能源消费数据与统计部门数据严重不符")
    act(("HZ-2F", "hz", 9), "hz_city2", "revoke", 55)
    act(("HZ-1F", "hz", 16), "hz_city", "propose_revocation", 3, reason_code="non_compliant",
        reason="年度复核不再符合认定要求，整改期满仍未达标")
    act(("HZ-1F", "hz", 14), "demo" + str(100 + 13), "withdraw", 90, reason="企业整体搬迁至外省，申请主动退出")
    act(("ZJ-2F", "hz", 4), "zj_province", "suspend", 30, until=(today + timedelta(days=150)).isoformat(),
        reason="发生一般生产安全事故，调查期间暂停省级认定")
    act(("AQ-2F", "aq", 5), "aq_city", "propose_revocation", 40, reason_code="major_accident",
        reason="发生较大生产安全事故（安庆市应急管理局通报）")
    act(("AQ-2F", "aq", 5), "aq_city2", "revoke", 38)
    act(("AQ-2F", "aq", 2), "aq_city", "require_rectification", 15,
        reason="动态管理表显示清洁能源使用比例下降，请于期限内整改")
    for key in (("AQ-3F", "aq", 14), ("AQ-3F", "aq", 15)):
        designation = _designation(world, done[key])
        if designation.valid_until < today:
            ended = world.at(designation.valid_until + timedelta(days=1), 1)
            designations.act(session, SYSTEM, designation, "expire", ended)


def _file_reports(world: World, year: int, skip: set[Any]) -> None:
    """Every live designation held in `year` files its yearly report a few weeks before it is
    due, except the applications in `skip`, whose reports stay missing."""
    session = world.session
    skipped = {a.id for a in skip}
    live = session.scalars(select(Designation).where(Designation.state.in_(reports.LIVE),
                                                     Designation.valid_from <= date(year, 12, 31))
                           .order_by(Designation.id))
    for number, designation in enumerate(list(live)):
        if designation.application_id in skipped:
            continue
        filed = world.at(reports.due_date(designation, year) - timedelta(days=10 + number % 25), 11)
        if filed >= world.now or filed.date() <= designation.valid_from:
            continue
        applicant = session.scalars(select(User).where(User.enterprise_id == designation.enterprise_id)).first()
        report = reports.file(session, applicant, designation, year,
                              for_year(designation.application.data, year), filed)
        reports.evaluate(session, report.id)
        report.evaluated_at = filed + timedelta(days=3)


def _in_flight(world: World, groups: dict[str, list[User]]) -> None:
    """Applications in every state in this year's open programmes (those of `seed`)."""
    session, today = world.session, world.today
    for code, start_days_ago, pace, entries in (
        ("330100", 29, 0.6, [("hz", 22, "withdrawn"), ("hz", 10, "public_notice"),
                             ("hz", 25, "public_notice"), ("hz", 11, "reviewed"), ("hz", 17, "panel"),
                             ("hz", 24, "under_review"), ("hz", 20, "awaiting_clarification"),
                             ("hz", 14, "ineligible"), ("hz", 22, "evaluating"), ("hz", 18, "recommended"),
                             ("hz", 21, "returned"), ("hz", 19, "submitted"), ("hz", 23, "submitted")]),
        ("340800", 9, 0.2, [("aq", 14, "public_notice"), ("aq", 15, "reviewed"), ("aq", 12, "under_review"),
                            ("aq", 13, "refused"), ("aq", 16, "submitted"), ("aq", 7, "draft")]),
    ):
        programme = session.scalars(select(Programme).where(
            Programme.jurisdiction_code == code, Programme.opens_on <= today, Programme.closes_on >= today)
            .order_by(Programme.id)).first()
        for position, (group, index, outcome) in enumerate(entries):
            start = world.now - timedelta(days=start_days_ago) + timedelta(hours=position * 5 * pace)
            _apply(world, groups[group][index], programme, start, index + position, outcome, pace)
