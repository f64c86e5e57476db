"""API endpoints. Each: parse → load → one service call → commit → dump."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

import evaluators
from models import Designation, EvidenceFile, Notice, Objection, Programme
from models.enums import Role
from web import db, throttle
from web.api import bp
from web.api import representations as rep
from web.api.spec import openapi, parse, route
from web.auth import Unauthorized, current_actor, login_required, sign_in
from web.downloads import send_stored
from web.schemas import (
    ActionIn,
    ApplicationIn,
    ApplicationPatch,
    ExpertIn,
    ObjectionIn,
    ProgrammeIn,
    RegistrationIn,
    TokenIn,
    load_document,
)
from web.uploads import accept, accept_all, described, store
from workflow import accounts, applications, certificates, designations, notices, runtime, signing
from workflow.clock import local_date, now
from workflow.errors import Invalid, NotFound


def created(body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(body), 201


# Accounts -----------------------------------------------------------------------------------

@route(bp, "/auth/token", "POST", "用户名和密码换取访问令牌", body=TokenIn, auth=False)
def token() -> Any:
    args = parse(TokenIn)
    user = sign_in(args["username"], args["password"])
    value = accounts.issue_token(db.session(), user, now(), label="api")
    db.commit()
    return jsonify({"token": value, "user": rep.user(user)})


@route(bp, "/registrations", "POST", "申报单位注册（统一社会信用代码校验）", body=RegistrationIn,
       status=201, auth=False)
def register() -> Any:
    args = parse(RegistrationIn)
    enterprise, user = accounts.register_enterprise(db.session(), **args)
    db.commit()
    return created({"enterprise": rep.enterprise(enterprise), "user": rep.user(user)})


@route(bp, "/me", "GET", "当前用户")
@login_required()
def me() -> Any:
    return jsonify(rep.user(current_actor()))


# Reference ----------------------------------------------------------------------------------

@route(bp, "/guidelines", "GET", "评价标准列表", auth=False)
def guidelines() -> Any:
    return jsonify([{"key": g.key, "kind": g.kind, "title": g.title, "version": g.version}
                    for g in evaluators.available()])


@route(bp, "/guidelines/<key>", "GET", "评价标准定义（表单据此生成）", auth=False)
def guideline(key: str) -> Any:
    try:
        return jsonify(evaluators.load(key).to_dict())
    except evaluators.GuidelineError:
        raise NotFound(f"评价标准“{key}”不存在") from None


# Programmes ---------------------------------------------------------------------------------

@route(bp, "/programmes", "GET", "申报批次列表（?status=open 只列申报期内的）", auth=False)
def programmes() -> Any:
    status = request.args.get("status")
    if status not in (None, "", "open", "all"):
        raise Invalid.field("status", "status 只能为 open 或 all")
    if status == "open":
        rows = applications.open_programmes(db.session(), local_date(now()))
    else:
        rows = list(db.session().scalars(select(Programme).order_by(Programme.id.desc())))
    return jsonify([rep.programme(p) for p in rows])


@route(bp, "/programmes", "POST", "创建申报批次（工作人员）", body=ProgrammeIn, status=201)
@login_required(Role.staff)
def create_programme() -> Any:
    args = parse(ProgrammeIn)
    programme = applications.create_programme(db.session(), current_actor(), **args)
    db.commit()
    return created(rep.programme(programme))


# Experts ------------------------------------------------------------------------------------

@route(bp, "/experts", "POST", "添加专家（工作人员）", body=ExpertIn, status=201)
@login_required(Role.staff, Role.admin)
def create_expert() -> Any:
    args = parse(ExpertIn)
    expert = accounts.add_expert(db.session(), current_actor(), **args)
    db.commit()
    return created(rep.expert(expert))


# Applications -------------------------------------------------------------------------------

@route(bp, "/applications", "POST", "发起申报（草稿）", body=ApplicationIn, status=201)
@login_required(Role.applicant)
def create_application() -> Any:
    args = parse(ApplicationIn)
    app = applications.create_application(db.session(), current_actor(), args["programme_id"], now())
    db.commit()
    return created(rep.application(db.session(), current_actor(), app))


@route(bp, "/applications/<int:application_id>", "GET", "申报详情")
@db.reads_only
@login_required()
def get_application(application_id: int) -> Any:
    stored = rep.read_stored(db.session(), application_id)
    app = applications.load(db.session(), current_actor(), application_id)
    return jsonify(rep.application(db.session(), current_actor(), app, stored))


@route(bp, "/applications/<int:application_id>", "PATCH", "保存申报数据（草稿或退回修改时）",
       body=ApplicationPatch)
@login_required()
def patch_application(application_id: int) -> Any:
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id, for_update=True)
    args = parse(ApplicationPatch)
    document = load_document(app.guideline, args["data"])
    applications.save_draft(db.session(), actor, app, document, now(), args["version"])
    db.commit()
    return jsonify(rep.application(db.session(), actor, app))


@route(bp, "/applications/<int:application_id>/evidence", "POST", "上传佐证材料（multipart: file, indicator）",
       status=201)
@login_required()
def upload_evidence(application_id: int) -> Any:
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id, for_update=True)
    upload = accept(request.files.get("file"))
    evidence = applications.add_evidence(
        db.session(), actor, app, indicator=request.form.get("indicator", ""),
        original_name=upload.original_name, stored_name=upload.stored_name,
        content_type=upload.content_type, size=upload.size, sha256=upload.sha256, now=now(),
    )
    runtime.current().storage.save(f"evidence/{upload.stored_name}", upload.data)
    db.commit()
    return created({"id": evidence.id, "indicator": evidence.indicator, "name": evidence.original_name,
                    "content_type": evidence.content_type, "size": evidence.size, "sha256": evidence.sha256})


@route(bp, "/evidence/<int:evidence_id>", "GET", "下载佐证材料")
@login_required()
def download_evidence(evidence_id: int) -> Any:
    evidence = db.session().get(EvidenceFile, evidence_id)
    if evidence is None:
        raise NotFound("文件不存在")
    applications.load(db.session(), current_actor(), evidence.application_id)
    return send_stored(f"evidence/{evidence.stored_name}", mimetype=evidence.content_type,
                       download_name=evidence.original_name)


@route(bp, "/applications/<int:application_id>/actions/<trigger>", "POST",
       "对申报执行操作（submit、recommend、accept、approve_for_notice 等）", body=ActionIn)
@login_required()
def application_action(application_id: int, trigger: str) -> Any:
    actor = current_actor()
    app = applications.load(db.session(), actor, application_id, for_update=True)
    args = parse(ActionIn)
    applications.act(db.session(), actor, app, trigger, now(), reason=args.pop("reason"),
                     expected_version=args.pop("version"), **args)
    db.commit()
    return jsonify(rep.application(db.session(), actor, app))


# Notices and objections ---------------------------------------------------------------------

@route(bp, "/notices", "GET", "公示中的名单", auth=False)
def list_notices() -> Any:
    return jsonify([rep.notice(n) for n in notices.open_notices(db.session())])


@route(bp, "/notices/<int:notice_id>", "GET", "公示详情", auth=False)
def get_notice(notice_id: int) -> Any:
    notice = db.session().get(Notice, notice_id)
    if notice is None:
        raise NotFound("公示不存在")
    return jsonify(rep.notice(notice))


@route(bp, "/notices/<int:notice_id>/objections", "POST",
       "对公示提出异议（公众）：JSON，或 multipart 附证据文件 files（最多5个）", body=ObjectionIn, status=201, auth=False)
def file_objection(notice_id: int) -> Any:
    throttle.check("objection")
    if request.mimetype == "multipart/form-data":
        form = {k: request.form.get(k, "") for k in ("application_id", "name", "contact", "content")}
        args = ObjectionIn().load({**form, "application_id": form["application_id"] or None})
        uploads = accept_all(request.files.getlist("files"))
    else:
        args, uploads = parse(ObjectionIn), []
    evidence = described(uploads)
    objection = notices.file_objection(db.session(), notice_id, now=now(), evidence=evidence, **args)
    store(uploads, "objections")
    db.commit()
    return created({"id": objection.id, "state": str(objection.state), "application_id": objection.application_id,
                    "evidence": [e["name"] for e in evidence]})


@route(bp, "/objections/<int:objection_id>/evidence/<int:index>", "GET", "下载异议人提交的证据（工作人员）")
@login_required(Role.staff)
def objection_evidence(objection_id: int, index: int) -> Any:
    objection = db.session().get(Objection, objection_id)
    if objection is None or not 0 <= index < len(objection.evidence):
        raise NotFound("文件不存在")
    applications.load(db.session(), current_actor(), objection.application_id)
    item = objection.evidence[index]
    return send_stored(f"objections/{item['stored_name']}", mimetype=item["content_type"],
                       download_name=item["name"])


@route(bp, "/objections/<int:objection_id>/actions/dismiss", "POST", "异议不成立（工作人员）", body=ActionIn)
@login_required(Role.staff)
def dismiss_objection(objection_id: int) -> Any:
    objection = db.session().get(Objection, objection_id)
    if objection is None:
        raise NotFound("异议不存在")
    applications.load(db.session(), current_actor(), objection.application_id)
    args = parse(ActionIn)
    notices.dismiss_objection(db.session(), current_actor(), objection, args["reason"], now())
    db.commit()
    return jsonify({"id": objection.id, "state": str(objection.state), "resolution": objection.resolution})


# Designations and certificates --------------------------------------------------------------

@route(bp, "/designations/<int:designation_id>", "GET", "认定详情", auth=False)
def get_designation(designation_id: int) -> Any:
    designation = designations.load(db.session(), designation_id)
    return jsonify(rep.designation(db.session(), _optional_actor(), designation))


@route(bp, "/designations/<int:designation_id>/actions/<trigger>", "POST",
       "动态管理操作（整改、暂停、提议撤销、撤销等）", body=ActionIn)
@login_required()
def designation_action(designation_id: int, trigger: str) -> Any:
    args = parse(ActionIn)
    actor = current_actor()
    designation = db.session().get(Designation, designation_id, with_for_update=True)
    if designation is None:
        raise NotFound("认定记录不存在")
    code = args.pop("reason_code")
    designations.act(db.session(), actor, designation, trigger, now(), reason=args.pop("reason"),
                     expected_version=args.pop("version"),
                     reason_code=code.value if code else None, **args)
    db.commit()
    return jsonify(rep.designation(db.session(), actor, designation))


@route(bp, "/certificates/<number>", "GET", "证书验证（公众）", auth=False)
def get_certificate(number: str) -> Any:
    throttle.check("verification")
    certificate = certificates.find(db.session(), number)
    if certificate is None:
        raise NotFound(f"证书编号“{number}”不存在，请核对；伪造的编号查询不到")
    return jsonify(rep.public_certificate(certificate))


@route(bp, "/certificates/verify", "POST", "核验证书 PDF 文件（multipart: file）：真伪、是否被篡改、当前状态",
       auth=False)
def verify_certificate_pdf() -> Any:
    throttle.check("verification")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid.field("file", "请选择要核验的证书 PDF 文件")
    pdf = upload.read(10 * 1024 * 1024 + 1)
    if len(pdf) > 10 * 1024 * 1024:
        raise Invalid.field("file", "文件过大，证书 PDF 不超过10MB")
    session = db.session()

    def lookup(number: str) -> dict[str, Any] | None:
        certificate = certificates.find(session, number)
        return rep.public_certificate(certificate) if certificate else None

    result = certificates.check_pdf(pdf, lookup, signing.published_keys(session))
    return jsonify({"verdict": result.verdict, "number": result.number, "message": result.message,
                    "status": result.status})


@route(bp, "/openapi.json", "GET", "本接口的 OpenAPI 文档", auth=False)
def openapi_document() -> Any:
    return jsonify(openapi(request.host_url.rstrip("/") + "/"))


def _optional_actor() -> Any:
    try:
        return current_actor()
    except Unauthorized:
        return None
