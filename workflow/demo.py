"""The demo world of the embedded default: bureaus, experts, an enterprise and open programmes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import evaluators
from models import User
from models.enums import Kind, Role, Tier
from workflow import accounts, applications
from workflow.clock import local_date


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
