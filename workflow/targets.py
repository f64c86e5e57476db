"""Plan targets (规划目标) and how far a jurisdiction has come towards them.

A target counts the designations of enterprises located in the target's jurisdiction and its
subtree, whoever granted them (a provincial designation of a Hangzhou factory counts for
Hangzhou). Two counting rules:

- 有效总数 (`active_total`): designations valid today, i.e. active or under rectification; a
  suspended designation is temporarily invalid (ARCHITECTURE §5) and does not count;
- 新增 (`new_since`): designations granted between `since` and `due`, both included, except
  those later revoked (摘牌: the designation should not have stood). Expired or given-up ones
  still count: they were created in the period.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Designation, Enterprise
from models.enums import DesignationState, Kind, Tier
from models.targets import Counting, Target, TargetTier
from workflow.jurisdictions import parents

VALID = (DesignationState.active, DesignationState.rectifying)
TIERS_COUNTED = {
    TargetTier.county: (Tier.county,),
    TargetTier.city: (Tier.city,),
    TargetTier.province: (Tier.province,),
    TargetTier.national: (Tier.national,),
    TargetTier.city_or_above: (Tier.city, Tier.province, Tier.national),
}
TIER_LABELS = {TargetTier.county: "县级", TargetTier.city: "市级", TargetTier.province: "省级",
               TargetTier.national: "国家级", TargetTier.city_or_above: "市级及以上"}
COUNTING_LABELS = {Counting.active_total: "有效总数", Counting.new_since: "新增"}

HANGZHOU_PLAN = "《杭州市工业领域碳达峰实施方案》（杭州市经济和信息化局等，2023年5月18日印发）"
ZHEJIANG_PLAN = "《浙江省工业节能降碳技术改造行动计划（2022—2024年）》（浙经信绿色〔2022〕134号）"
ANQING_PLAN = "《安庆市工业领域碳达峰实施方案》（安庆市经济和信息化局等，2023年）"


@dataclass(frozen=True)
class PolicyTarget:
    jurisdiction: str
    key: str
    label: str
    kind: Kind
    tier: TargetTier
    target: int
    counting: Counting
    due: date
    source: str
    since: date | None = None
    approximate: bool = False


POLICY_TARGETS = (
    PolicyTarget("330100", "hz-2025-factories", "市级及以上绿色低碳工厂", Kind.factory,
                 TargetTier.city_or_above, 400, Counting.active_total, date(2025, 12, 31),
                 HANGZHOU_PLAN + "：到2025年，市级及以上绿色低碳工厂达到400家"),
    PolicyTarget("330100", "hz-2025-parks", "市级及以上绿色低碳工业园区", Kind.park,
                 TargetTier.city_or_above, 10, Counting.active_total, date(2025, 12, 31),
                 HANGZHOU_PLAN + "：到2025年，市级及以上绿色低碳工业园区达到10个"),
    PolicyTarget("330000", "zj-2024-new-factories", "新增省级绿色低碳工厂", Kind.factory,
                 TargetTier.province, 300, Counting.new_since, date(2024, 12, 31),
                 ZHEJIANG_PLAN + "：到2024年，新增省级绿色低碳工厂300家", since=date(2022, 1, 1)),
    PolicyTarget("330000", "zj-2024-new-parks", "新增省级绿色低碳工业园区", Kind.park,
                 TargetTier.province, 30, Counting.new_since, date(2024, 12, 31),
                 ZHEJIANG_PLAN + "：到2024年，新增30家省级绿色低碳工业园区", since=date(2022, 1, 1)),
    PolicyTarget("340800", "aq-2030-provincial-factories", "省级绿色工厂", Kind.factory,
                 TargetTier.province, 80, Counting.active_total, date(2030, 12, 31),
                 ANQING_PLAN + "：争取到2030年，培育省级绿色工厂80家左右", approximate=True),
    PolicyTarget("340800", "aq-2030-national-factories", "国家级绿色工厂", Kind.factory,
                 TargetTier.national, 40, Counting.active_total, date(2030, 12, 31),
                 ANQING_PLAN + "：争取到2030年累计创建国家级绿色工厂40户以上"),
    PolicyTarget("340800", "aq-2030-supply-chains", "绿色供应链管理企业", Kind.supply_chain,
                 TargetTier.city_or_above, 5, Counting.active_total, date(2030, 12, 31),
                 ANQING_PLAN + "：绿色供应链管理企业5个以上"),
    PolicyTarget("340800", "aq-2030-parks", "绿色工业园区", Kind.park,
                 TargetTier.city_or_above, 6, Counting.active_total, date(2030, 12, 31),
                 ANQING_PLAN + "：绿色工业园区6个左右", approximate=True),
)


def seed_policy_targets(session: Session) -> list[Target]:
    """Add the targets of the policy documents that are not there yet; running again adds nothing."""
    known = set(session.execute(select(Target.jurisdiction_code, Target.key)))
    added = []
    for p in POLICY_TARGETS:
        if (p.jurisdiction, p.key) in known:
            continue
        target = Target(jurisdiction_code=p.jurisdiction, key=p.key, label=p.label, kind=p.kind,
                        tier=p.tier, target=p.target, approximate=p.approximate, counting=p.counting,
                        since=p.since, due=p.due, source=p.source)
        session.add(target)
        added.append(target)
    session.flush()
    return added


def subtree(session: Session, code: str) -> list[str]:
    """`code` and every jurisdiction below it."""
    tree = parents(session)
    inside = {code}
    changed = True
    while changed:
        changed = False
        for child, parent in tree.items():
            if parent in inside and child not in inside:
                inside.add(child)
                changed = True
    return sorted(inside)


def achieved(session: Session, target: Target) -> int:
    query = (select(func.count(Designation.id))
             .join(Enterprise, Designation.enterprise_id == Enterprise.id)
             .where(Enterprise.jurisdiction_code.in_(subtree(session, target.jurisdiction_code)),
                    Designation.kind == target.kind,
                    Designation.tier.in_(TIERS_COUNTED[target.tier])))
    if target.counting is Counting.active_total:
        query = query.where(Designation.state.in_(VALID))
    else:
        query = query.where(Designation.valid_from >= target.since, Designation.valid_from <= target.due,
                            Designation.state != DesignationState.revoked)
    return session.scalar(query) or 0


def targets_of(session: Session, code: str) -> list[Target]:
    return list(session.scalars(select(Target).where(Target.jurisdiction_code == code)
                                .order_by(Target.due, Target.id)))


def progress(session: Session, code: str, today: date) -> list[dict[str, Any]]:
    """The targets set for `code`, each with what has been achieved so far."""
    rows = []
    for t in targets_of(session, code):
        done = achieved(session, t)
        rows.append({
            "key": t.key, "label": t.label, "kind": str(t.kind), "tier": str(t.tier),
            "target": t.target, "achieved": done, "due": t.due.isoformat(),
            "approximate": t.approximate, "counting": str(t.counting),
            "since": t.since.isoformat() if t.since else None, "source": t.source,
            "jurisdiction": t.jurisdiction_code,
            "percent": round(100 * done / t.target, 1),
            "met": done >= t.target, "overdue": today > t.due and done < t.target,
        })
    return rows
