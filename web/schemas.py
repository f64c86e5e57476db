"""marshmallow schemas for what the API and the forms accept, including the application
document, whose schema is generated from the guideline data (field types, required marks)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate

import evaluators
from models.enums import Kind, Recommendation, RevocationReason, Tier

NOT_BLANK = validate.Length(min=1, error="不能为空")
# Row ids are 32-bit integers on every database we run on; a larger number names no record.
ROW_ID = validate.Range(min=1, max=2**31 - 1, error="编号不存在")

# marshmallow's own messages, in the language of the people who read them (one place for the
# pages and the API alike).
CHINESE_MESSAGES = {
    fields.Field: {"required": "此项为必填项", "null": "不能为空", "validator_failed": "取值无效"},
    fields.String: {"invalid": "应为文字", "invalid_utf8": "文字编码无效"},
    fields.Integer: {"invalid": "请输入整数"},
    fields.Number: {"invalid": "请输入数字", "too_large": "数值过大"},
    fields.Float: {"special": "请输入有限的数字"},
    fields.Boolean: {"invalid": "请选择“是”或“否”"},
    fields.Date: {"invalid": "日期格式应为“年-月-日”，如 2027-03-31", "format": "日期无法显示"},
    fields.List: {"invalid": "应为列表"},
    fields.Dict: {"invalid": "应为对象（键值对）"},
    fields.Mapping: {"invalid": "应为对象（键值对）"},
    fields.Enum: {"unknown": "请从列表中选择"},
    fields.Nested: {"type": "应为对象（键值对）"},
}
for field_class, messages in CHINESE_MESSAGES.items():
    field_class.default_error_messages = {**field_class.default_error_messages, **messages}
Schema._default_error_messages = {"type": "填写的格式不正确", "unknown": "不是本表单的项目"}
validate.Range.message_min = "不能{min_op} {{min}}"
validate.Range.message_max = "不能{max_op} {{max}}"
validate.Range.message_all = "应在 {{min}} 到 {{max}} 之间"
validate.Range.message_gte, validate.Range.message_gt = "小于", "小于或等于"
validate.Range.message_lte, validate.Range.message_lt = "大于", "大于或等于"
validate.Length.message_min = "至少填写 {min} 项（个字）"
validate.Length.message_max = "不能超过 {max} 个字"
validate.Length.message_all = "长度应在 {min} 到 {max} 之间"
validate.Length.message_equal = "长度应为 {equal}"
validate.OneOf.default_message = "请从列表中选择"


class Base(Schema):
    class Meta:
        unknown = RAISE


class TokenIn(Base):
    username = fields.String(required=True, validate=NOT_BLANK)
    password = fields.String(required=True, validate=NOT_BLANK, load_only=True)


class RegistrationIn(Base):
    uscc = fields.String(required=True, metadata={"description": "统一社会信用代码（GB 32100）"})
    name = fields.String(required=True, validate=NOT_BLANK)
    jurisdiction = fields.String(required=True, metadata={"description": "所在区县的 GB/T 2260 代码"})
    industry_codes = fields.List(fields.String(), required=True,
                                 metadata={"description": "GB/T 4754 小类代码，如 C3011"})
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    email = fields.String(required=True)
    address = fields.String(load_default="")


class ProgrammeIn(Base):
    title = fields.String(load_default="")
    kind = fields.Enum(Kind, by_value=True, required=True)
    tier = fields.Enum(Tier, by_value=True, required=True)
    jurisdiction = fields.String(required=True)
    guideline = fields.String(required=True)
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    pass_mark = fields.Float(required=True)
    panel_size = fields.Integer(load_default=None, validate=validate.Range(min=3, max=15))
    notice_working_days = fields.Integer(load_default=5, validate=validate.Range(min=1, max=30))
    validity_years = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))
    review_load_cap = fields.Integer(load_default=8, validate=validate.Range(min=1, max=50))
    invitation_working_days = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))
    review_working_days = fields.Integer(load_default=10, validate=validate.Range(min=1, max=60))
    divergence_threshold = fields.Float(load_default=15.0, validate=validate.Range(min=1, max=100))


class ExpertIn(Base):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(required=True, validate=NOT_BLANK)
    title = fields.String(load_default="")
    employer = fields.String(required=True)
    employer_uscc = fields.String(load_default=None, allow_none=True)
    specialties = fields.List(fields.String(), required=True)
    jurisdiction = fields.String(required=True)
    email = fields.String(load_default="")


class ApplicationIn(Base):
    programme_id = fields.Integer(required=True, strict=True, validate=ROW_ID)


class ApplicationPatch(Base):
    data = fields.Dict(required=True)
    version = fields.Integer(load_default=None)


class ActionIn(Base):
    reason = fields.String(load_default="")
    version = fields.Integer(load_default=None)
    objection_id = fields.Integer(load_default=None, validate=ROW_ID)
    reason_code = fields.Enum(RevocationReason, by_value=True, load_default=None)
    deadline = fields.Date(load_default=None)
    until = fields.Date(load_default=None)


class PanelIn(Base):
    size = fields.Integer(load_default=None)
    seed = fields.String(load_default=None, validate=validate.Length(max=64))


class ReviewPut(Base):
    scores = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    reasons = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    recommendation = fields.Enum(Recommendation, by_value=True, load_default=None)
    comments = fields.String(load_default="")
    declaration = fields.String(load_default="")


class ObjectionIn(Base):
    application_id = fields.Integer(required=True, validate=ROW_ID)
    name = fields.String(required=True)
    contact = fields.String(required=True)
    content = fields.String(required=True)


class NoticeIn(Base):
    application_ids = fields.List(fields.Integer(validate=ROW_ID), required=True, validate=validate.Length(min=1))


# The application document ------------------------------------------------------------------

class _BlankIsNone:
    """Form posts send "" for an empty field; in a draft that means "not answered yet"."""

    def deserialize(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return super().deserialize(value, *args, **kwargs)  # type: ignore[misc]


class Number(_BlankIsNone, fields.Float):
    default_error_messages = {"invalid": "请输入数字"}


class YesNo(_BlankIsNone, fields.Boolean):
    default_error_messages = {"invalid": "请选择“是”或“否”"}


class Text(_BlankIsNone, fields.String):
    pass


def _field(indicator: dict[str, Any]) -> fields.Field:
    meta = {"description": indicator.get("help", ""), "unit": indicator.get("unit", ""),
            "x-required": indicator.get("required", False)}
    if indicator.get("options"):
        return Text(allow_none=True, validate=validate.OneOf(indicator["options"]), metadata=meta)
    if indicator["type"] == "number":
        return Number(allow_none=True, allow_nan=False, metadata=meta)
    if indicator["type"] == "boolean":
        return YesNo(allow_none=True, metadata=meta)
    return Text(allow_none=True, validate=validate.Length(max=5000), metadata=meta)


def _answers(items: list[dict[str, Any]]) -> type[Schema]:
    """Basic requirements and veto declarations: yes/no, or a number where the guideline asks one."""
    return Schema.from_dict({
        i["id"]: (Number if i.get("type") == "number" else YesNo)(
            allow_none=True, metadata={"description": i.get("name", ""), "unit": i.get("unit", "")})
        for i in items
    })


class NonNegative(_BlankIsNone, fields.Float):
    default_error_messages = {"invalid": "请输入数字"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, validate=validate.Range(min=0, error="不能为负数"), **kwargs)


# Output figures are numbers; product lines and any further keys the guideline reads pass through.
OUTPUT = Schema.from_dict({
    "value_added_10k_yuan": NonNegative(allow_none=True),
    "output_value_10k_yuan": NonNegative(allow_none=True),
    "industry_average_carbon_intensity": NonNegative(allow_none=True),
    "products": fields.List(fields.Dict()),
})(unknown=INCLUDE)


class CreditCode(fields.String):
    """A unified social credit code, checked with the GB 32100 check character."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        problem = evaluators.uscc_problem(code)
        if problem:
            raise ValidationError(problem)
        return code


RELATED_UNIT = Schema.from_dict({
    "name": fields.String(required=True, validate=validate.Length(min=1, max=200)),
    "uscc": CreditCode(required=True),
})


@lru_cache(maxsize=32)
def document_schema(guideline_key: str) -> Schema:
    """The schema of `data` for one guideline version, built from its data file."""
    guideline = evaluators.load(guideline_key).to_dict()
    indicators = Schema.from_dict({i["id"]: _field(i) for i in guideline["indicators"]})
    earlier_year = Schema.from_dict({
        "year": fields.Integer(required=True, validate=validate.Range(min=2000, max=2100)),
        "indicators": fields.Nested(indicators),
    })
    event = Schema.from_dict({
        "veto": fields.String(required=True, validate=validate.OneOf([v["id"] for v in guideline.get("vetoes", [])])),
        "date": fields.Date(required=True),
        "description": fields.String(load_default="", validate=validate.Length(max=2000)),
    })
    document = Schema.from_dict({
        "year": fields.Integer(validate=validate.Range(min=2000, max=2100, error="数据年度不正确")),
        "region": fields.String(),
        "indicators": fields.Nested(indicators),
        "basic": fields.Nested(_answers(guideline.get("basic_requirements", []))),
        "vetoes": fields.Nested(_answers(guideline.get("vetoes", []))),
        "energy": fields.Dict(keys=fields.String(), values=NonNegative(allow_none=True)),
        "renewables": fields.Dict(keys=fields.String(), values=NonNegative(allow_none=True)),
        "output": fields.Nested(OUTPUT),
        "clarification": fields.String(),
        # Parks report three years: the latest at the top level, the two before it here.
        "years": fields.List(fields.Nested(earlier_year), validate=validate.Length(max=2)),
        # The applicant's group and the consultants or third-party evaluators it engaged: experts
        # employed by them are kept off its panel.
        "group": fields.Nested(RELATED_UNIT, allow_none=True),
        "consultants": fields.List(fields.Nested(RELATED_UNIT), validate=validate.Length(max=10)),
        # Dated veto events (工信部节〔2024〕13号 第十五条), counted back 36 months.
        "events": fields.List(fields.Nested(event), validate=validate.Length(max=50)),
    })
    return document(unknown=RAISE)


def load_document(guideline_key: str, data: Any) -> dict[str, Any]:
    """Validate a (partial) document; blank answers become None; unknown ids are refused."""
    if not isinstance(data, dict):
        raise ValidationError({"data": ["应为对象"]})
    return document_schema(guideline_key).load(data, partial=True)
