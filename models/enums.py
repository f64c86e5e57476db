"""Enumerations of the domain, stored as strings. Chinese labels sit beside the English names."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    applicant = "applicant"  # 申报单位（企业、园区管理机构）
    expert = "expert"  # 评审专家
    staff = "staff"  # 经信局工作人员
    admin = "admin"  # 系统管理员


class JurisdictionLevel(StrEnum):
    province = "province"  # 省
    city = "city"  # 市
    county = "county"  # 县（市、区）


class Kind(StrEnum):
    factory = "factory"  # 绿色低碳工厂
    park = "park"  # 绿色低碳工业园区
    supply_chain = "supply_chain"  # 绿色供应链管理企业


class Tier(StrEnum):
    county = "county"  # 县级
    city = "city"  # 市级
    province = "province"  # 省级
    national = "national"  # 国家级


class ApplicationState(StrEnum):
    draft = "draft"  # 草稿
    submitted = "submitted"  # 已提交，待审核推荐
    returned = "returned"  # 退回修改
    evaluating = "evaluating"  # 自动评价中
    ineligible = "ineligible"  # 不符合申报条件
    under_review = "under_review"  # 专家评审中
    awaiting_clarification = "awaiting_clarification"  # 待补充说明
    reviewed = "reviewed"  # 评审完成
    public_notice = "public_notice"  # 公示中
    designated = "designated"  # 已认定
    rejected = "rejected"  # 未通过
    withdrawn = "withdrawn"  # 已撤回


class DesignationState(StrEnum):
    active = "active"  # 有效
    rectifying = "rectifying"  # 整改中
    suspended = "suspended"  # 暂停
    revoked = "revoked"  # 撤销（摘牌）
    expired = "expired"  # 已到期
    withdrawn = "withdrawn"  # 主动退出


class RevocationReason(StrEnum):
    """Reason codes for removal from the list, STANDARDS §6."""

    veto_event = "veto_event"  # 发生一票否决事项
    missed_report = "missed_report"  # 未按要求报送动态管理表
    falsified_data = "falsified_data"  # 数据弄虚作假
    major_accident = "major_accident"  # 发生较大及以上安全、质量事故或二级以上环境事件（立即撤销）
    non_compliant = "non_compliant"  # 复核不再符合要求
    boundary_change = "boundary_change"  # 名称、边界等变更后不再符合
    voluntary = "voluntary"  # 主动申请退出


class ReviewState(StrEnum):
    invited = "invited"  # 已邀请
    accepted = "accepted"  # 已接受
    declined = "declined"  # 已谢绝
    submitted = "submitted"  # 已提交评分


class Recommendation(StrEnum):
    passed = "pass"  # 通过
    rectify = "rectify"  # 整改后通过
    fail = "fail"  # 不通过


class NoticeState(StrEnum):
    open = "open"  # 公示中
    closed = "closed"  # 公示结束


class ObjectionState(StrEnum):
    open = "open"  # 待处理
    upheld = "upheld"  # 成立
    dismissed = "dismissed"  # 不成立


class CertificateStatus(StrEnum):
    pending = "pending"  # 制证中
    issued = "issued"  # 已发放
    superseded = "superseded"  # 已换发
    void = "void"  # 已作废


class ReportState(StrEnum):
    due = "due"  # 待报送
    submitted = "submitted"  # 已报送，待复核
    evaluated = "evaluated"  # 已复核
    overdue = "overdue"  # 逾期未报


class OutboxState(StrEnum):
    pending = "pending"
    relayed = "relayed"
    done = "done"
    failed = "failed"


KIND_CODES = {Kind.factory: "GF", Kind.park: "GP", Kind.supply_chain: "GS"}
TIER_ORDER = [Tier.county, Tier.city, Tier.province, Tier.national]

KIND_LABELS = {Kind.factory: "绿色低碳工厂", Kind.park: "绿色低碳工业园区",
               Kind.supply_chain: "绿色供应链管理企业"}
TIER_LABELS = {Tier.county: "县级", Tier.city: "市级", Tier.province: "省级", Tier.national: "国家级"}
REVOCATION_LABELS = {
    RevocationReason.veto_event: "发生一票否决事项",
    RevocationReason.missed_report: "未按要求报送动态管理表",
    RevocationReason.falsified_data: "数据弄虚作假",
    RevocationReason.major_accident: "发生较大及以上安全、质量事故或二级及以上突发环境事件",
    RevocationReason.non_compliant: "复核不再符合认定要求",
    RevocationReason.boundary_change: "名称、范围或边界变更后不再符合要求",
    RevocationReason.voluntary: "主动申请退出",
}
