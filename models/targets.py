"""Plan targets a bureau answers to (规划目标), e.g. 400 green low-carbon factories by 2025."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.enums import Kind
from models.people import Jurisdiction


class TargetTier(StrEnum):
    """Which designations count: one tier, or the city tier and every tier above it."""

    county = "county"  # 县级
    city = "city"  # 市级
    province = "province"  # 省级
    national = "national"  # 国家级
    city_or_above = "city_or_above"  # 市级及以上


class Counting(StrEnum):
    """How a target counts its designations."""

    active_total = "active_total"  # 有效总数：目前有效（含整改中）的认定
    new_since = "new_since"  # 新增：自起算日至目标日之间新认定（撤销的不计）


class Target(Base):
    """A number a plan sets for a jurisdiction's subtree (e.g. 市级及以上绿色低碳工厂 400 家, 2025)."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("jurisdiction_code", "key"),
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("(counting != 'new_since') OR (since IS NOT NULL AND since <= due)",
                        name="new_since_has_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "kind"))
    tier: Mapped[TargetTier] = mapped_column(enum_column(TargetTier, "target_tier"))
    target: Mapped[int]
    # 左右 ("about 80") rather than 以上 ("at least 40").
    approximate: Mapped[bool] = mapped_column(default=False)
    counting: Mapped[Counting] = mapped_column(enum_column(Counting, "target_counting"))
    since: Mapped[date | None]
    due: Mapped[date]
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()
