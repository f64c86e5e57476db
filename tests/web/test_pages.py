"""The pages as a user sees them: status codes, redirects and the Chinese text in the HTML,
through the test client with CSRF on, on both database backends."""
from __future__ import annotations

import html
import re
from io import BytesIO
from datetime import datetime, timezone

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluators.examples import example_document
from models import Application, Programme
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import GUIDELINE, application_in, designation_in, user
from workflow import panels
from workflow.demo import PASSWORD, with_check

NOW = datetime.now(timezone.utc)
GOOD_USCC = with_check("91330114MA2K0099X")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, page: str, data: dict[str, str], target: str | None = None,
              **kwargs: object):  # type: ignore[no-untyped-def]
    """Post `data` the way a browser would after loading `page`: with its CSRF token."""
    return client.post(target or page, data={"csrf_token": csrf_token(client, page), **data}, **kwargs)


def log_in(client: FlaskClient, username: str) -> None:
    response = post_form(client, "/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, text_of(response)


def field_value(page: str, name: str) -> str | None:
    """The value a text input named `name` shows, or the selected option of a select."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    if tag:
        value = re.search(r'value="([^"]*)"', tag.group(0))
        return html.unescape(value.group(1)) if value else ""
    select_ = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    if select_:
        chosen = re.search(r'<option value="([^"]*)"\s*selected', select_.group(1))
        return chosen.group(1) if chosen else ""
    return None


def registration(**changes: str) -> dict[str, str]:
    form = {"uscc": GOOD_USCC, "name": "杭州钱塘绿色包装有限公司", "jurisdiction": "330114",
            "industry_codes": "C2231", "address": "杭州市钱塘区义蓬街道 18 号",
            "email": "energy@qt-pack.example.com", "username": "qt_pack",
            "password": "pack-password-1", "password_confirm": "pack-password-1"}
    form.update(changes)
    return form


def hangzhou_programme(db: Session) -> Programme:
    return db.scalars(select(Programme).where(Programme.jurisdiction_code == "330100")).first()


def start_application(client: FlaskClient, db: Session) -> int:
    response = post_form(client, "/portal", {"programme_id": str(hangzhou_programme(db).id)},
                         target="/portal/applications")
    assert response.status_code == 302
    match = re.search(r"/portal/applications/(\d+)/form", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


# Accounts -----------------------------------------------------------------------------------

def test_registration_with_a_wrong_check_character_is_refused_and_keeps_what_was_typed(
        client: FlaskClient) -> None:
    wrong = GOOD_USCC[:-1] + ("0" if GOOD_USCC[-1] != "0" else "1")
    typed = registration(uscc=wrong)

    response = post_form(client, "/register", typed)

    assert response.status_code == 422
    page = text_of(response)
    uscc_label = re.search(r'<label>统一社会信用代码.*?</label>', page, re.S).group(0)
    assert 'aria-invalid="true"' in uscc_label
    assert re.search(r'class="error"[^>]*>[^<]*(校验|代码)[^<]*<', uscc_label), uscc_label
    for name in ("uscc", "name", "industry_codes", "address", "email", "username", "jurisdiction"):
        assert field_value(page, name) == typed[name], name
    assert field_value(page, "password") == ""  # a password is never sent back


def test_registration_opens_the_portal_of_the_new_enterprise(client: FlaskClient) -> None:
    response = post_form(client, "/register", registration())

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portal")
    portal = text_of(client.get("/portal"))
    assert "杭州钱塘绿色包装有限公司" in portal
    assert "注册成功" in portal
    assert GOOD_USCC in portal


def test_two_different_passwords_are_refused_under_the_confirmation(client: FlaskClient) -> None:
    response = post_form(client, "/register", registration(password_confirm="something-else"))

    assert response.status_code == 422
    assert "两次输入的密码不一致" in text_of(response)


def test_a_wrong_password_is_refused_with_401(client: FlaskClient) -> None:
    response = post_form(client, "/login", {"username": "qt_newmat", "password": "wrong-password"})

    assert response.status_code == 401
    page = text_of(response)
    assert "用户名或密码错误" in page
    assert field_value(page, "username") == "qt_newmat"


def test_the_portal_offers_only_programmes_the_enterprise_may_enter(client: FlaskClient) -> None:
    log_in(client, "qt_newmat")

    portal = text_of(client.get("/portal"))

    offered = portal[portal.index("可以申报的批次"):]
    assert "杭州市" in offered
    assert "安庆市" not in offered  # a Qiantang enterprise cannot enter an Anqing programme
    assert "绿色工厂评价通则（GB/T 36132-2018）" in offered  # the standard by its title, not its key


def test_a_page_for_applicants_sends_a_visitor_to_the_login(client: FlaskClient) -> None:
    response = client.get("/portal")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_post_without_the_form_token_is_refused_in_chinese(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "qt_newmat", "password": PASSWORD})

    assert response.status_code == 400
    assert "请刷新页面后重新提交" in text_of(response)


# The application form -----------------------------------------------------------------------

def test_a_draft_with_a_word_in_a_number_field_is_refused_and_the_saved_draft_kept(
        client: FlaskClient, db: Session) -> None:
    log_in(client, "qt_newmat")
    app_id = start_application(client, db)
    form = f"/portal/applications/{app_id}/form"
    saved = post_form(client, form, {"action": "save", "year": "2025",
                                     "indicators.perf_floor_area_ratio": "1.6"})
    assert saved.status_code == 302
    assert "草稿已保存" in text_of(client.get(form))

    response = post_form(client, form, {
        "action": "save", "year": "2025",
        "indicators.perf_floor_area_ratio": "1.9",
        "indicators.perf_building_density": "abc",
        "indicators.infra_building_required": "true",
        "energy.electricity_kwh": "16000000",
    })

    assert response.status_code == 422
    page = text_of(response)
    density = re.search(r'<div class="row[^"]*" id="ind-perf_building_density">.*?</div>\s*</div>',
                        page, re.S).group(0)
    assert "请输入数字" in density
    assert "invalid" in density.split(">", 1)[0]
    assert field_value(page, "indicators.perf_building_density") == "abc"
    assert field_value(page, "indicators.perf_floor_area_ratio") == "1.9"
    assert field_value(page, "indicators.infra_building_required") == "true"
    assert field_value(page, "energy.electricity_kwh") == "16000000"

    db.expire_all()
    draft = db.get(Application, app_id)
    assert draft.data["indicators"] == {"perf_floor_area_ratio": 1.6}
    assert "energy" not in draft.data


def test_a_valid_draft_is_saved_and_shown_again(client: FlaskClient, db: Session) -> None:
    log_in(client, "qt_newmat")
    app_id = start_application(client, db)
    form = f"/portal/applications/{app_id}/form"

    response = post_form(client, form, {"action": "save", "year": "2025",
                                        "indicators.perf_renewable_share": "12.5",
                                        "basic.basic_lawful": "true",
                                        "vetoes.veto_dishonest_debtor": "false",
                                        "energy.natural_gas_m3": "800000",
                                        "renewables.green_power_purchased_kwh": "0"}, follow_redirects=True)

    assert response.status_code == 200
    page = text_of(response)
    assert "草稿已保存" in page
    assert field_value(page, "indicators.perf_renewable_share") == "12.5"
    assert field_value(page, "basic.basic_lawful") == "true"
    assert field_value(page, "vetoes.veto_dishonest_debtor") == "false"
    assert field_value(page, "energy.natural_gas_m3") == "800000"  # as typed, not 800000.0
    assert field_value(page, "renewables.green_power_purchased_kwh") == "0"  # a zero is an answer
    db.expire_all()
    assert db.get(Application, app_id).state is S.draft


def test_submitting_an_incomplete_form_names_the_missing_required_items(
        client: FlaskClient, db: Session) -> None:
    log_in(client, "qt_newmat")
    app_id = start_application(client, db)
    form = f"/portal/applications/{app_id}/form"

    response = post_form(client, form, {"action": "submit", "year": "2025",
                                        "indicators.perf_floor_area_ratio": "1.9"})

    assert response.status_code == 409
    page = text_of(response)
    assert "必填" in page
    assert re.search(r'class="row invalid"[^>]*id="ind-infra_building_required"', page)
    assert field_value(page, "indicators.perf_floor_area_ratio") == "1.9"
    db.expire_all()
    assert db.get(Application, app_id).state is S.draft


def test_a_complete_form_is_submitted_to_the_county(client: FlaskClient, db: Session) -> None:
    log_in(client, "qt_newmat")
    app_id = start_application(client, db)
    form = f"/portal/applications/{app_id}/form"
    fields = form_fields(example_document(GUIDELINE, "pass"))

    response = post_form(client, form, {"action": "submit", **fields}, follow_redirects=True)

    assert response.status_code == 200
    page = text_of(response)
    assert "申报已提交" in page
    assert "已提交" in page
    assert "钱塘区" in page


def form_fields(document: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """A document as the form posts it: `section.id` names, yes/no as "true"/"false"."""
    fields = {"year": str(document["year"])}
    for section in ("indicators", "basic", "vetoes", "energy", "renewables"):
        for key, value in document.get(section, {}).items():
            fields[f"{section}.{key}"] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    for key in ("value_added_10k_yuan", "output_value_10k_yuan"):
        fields[f"output.{key}"] = str(document["output"][key])
    return fields


def test_evidence_of_a_type_not_accepted_is_refused_and_a_pdf_listed(
        client: FlaskClient, db: Session) -> None:
    log_in(client, "qt_newmat")
    app_id = start_application(client, db)
    form = f"/portal/applications/{app_id}/form"
    upload = f"/portal/applications/{app_id}/evidence"

    refused = post_form(client, form, {"indicator": "",
                                       "file": (BytesIO(b"MZ\x90\x00 not a document"), "setup.exe")},
                        target=upload, content_type="multipart/form-data", follow_redirects=True)
    page = text_of(refused)
    assert "上传失败" in page
    assert "只接受 PDF" in page
    assert "setup.exe" not in page

    text = post_form(client, form, {"file": (BytesIO("能耗台账".encode()), "能耗台账.txt")},
                     target=upload, content_type="multipart/form-data", follow_redirects=True)
    assert "上传失败" in text_of(text)

    accepted = post_form(client, form, {"indicator": "infra_metering_required",
                                        "file": (BytesIO(b"%PDF-1.7\n% metering plan\n"), "计量器具配备台账.pdf")},
                         target=upload, content_type="multipart/form-data", follow_redirects=True)
    page = text_of(accepted)
    assert "已上传“计量器具配备台账.pdf”" in page
    listed = page[page.index("<th>对应指标</th>"):]
    assert re.search(r"<td>计量器具配备台账.pdf</td>\s*<td>按 GB 17167、GB 24789 配备能源和水计量器具</td>", listed)


# Bureau staff ---------------------------------------------------------------------------------

def press(client: FlaskClient, app_id: int, trigger: str, reason: str = ""):  # type: ignore[no-untyped-def]
    """Press the action button `trigger` on the application page, as the page offers it."""
    page = client.get(f"/applications/{app_id}").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)" class="action">(.*?)</form>', page, re.S)
    for action, body in forms:
        if f'name="trigger" value="{trigger}"' in body:
            data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body))
            data["reason"] = reason
            return client.post(action, data=data, follow_redirects=True)
    raise AssertionError(f"no button for {trigger} on the page")


def test_the_county_recommends_and_the_city_accepts(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.submitted, NOW)
    db.commit()

    log_in(client, "qt_county")
    console = text_of(client.get("/console"))
    assert "待我处理（1）" in console
    assert "杭州钱塘新材料股份有限公司" in console
    page = text_of(client.get(f"/applications/{app.id}"))
    assert "推荐" in page and "退回修改" in page

    recommended = text_of(press(client, app.id, "recommend"))
    assert "已审核推荐" in recommended
    assert "当前在 杭州市经济和信息化局 审核" in recommended
    assert 'data-trigger="recommend"' not in recommended

    client.post("/logout", data={"csrf_token": csrf_token(client, "/console")})
    log_in(client, "hz_city")
    accepted = text_of(press(client, app.id, "accept"))
    assert "已受理" in accepted
    db.expire_all()
    assert db.get(Application, app.id).state is S.under_review
    assert "自动评价" in accepted
    assert "抽取专家组" in accepted


def test_returning_without_a_reason_is_refused_with_a_message(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.submitted, NOW)
    db.commit()
    log_in(client, "qt_county")

    page = text_of(press(client, app.id, "return_for_changes"))

    assert "未执行" in page
    db.expire_all()
    assert db.get(Application, app.id).state is S.submitted


def test_staff_of_another_county_cannot_open_the_application(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.submitted, NOW)
    db.commit()
    log_in(client, "xh_county")

    response = client.get(f"/applications/{app.id}")

    assert response.status_code in (403, 404)
    assert "杭州钱塘新材料股份有限公司" not in text_of(response)


def test_a_county_sees_the_designations_of_its_enterprises(client: FlaskClient, db: Session) -> None:
    designation = designation_in(db, D.active, NOW)
    db.commit()
    log_in(client, "qt_county")

    console = text_of(client.get("/console"))

    managed = console[console.index("认定与动态管理"):]
    assert "杭州钱塘新材料股份有限公司" in managed
    assert designation.certificate.number in managed


def test_a_programme_without_dates_is_refused_in_chinese(client: FlaskClient) -> None:
    log_in(client, "hz_city")

    response = post_form(client, "/console/programmes/new", {
        "kind": "factory", "tier": "city", "guideline": GUIDELINE, "opens_on": "", "closes_on": "",
        "pass_mark": "80", "panel_size": "3"})

    assert response.status_code == 422
    page = text_of(response)
    assert "此项为必填项" in page
    assert "Missing data" not in page
    assert field_value(page, "pass_mark") == "80"


# Experts --------------------------------------------------------------------------------------

def test_an_expert_accepts_the_invitation_and_submits_scores(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="page-test")
    review = panel.reviews[0]
    expert = review.expert.user.username
    db.commit()

    log_in(client, expert)
    desk = text_of(client.get("/desk"))
    assert "杭州钱塘新材料股份有限公司" in desk
    assert "答复邀请" in desk
    page = f"/desk/reviews/{review.id}"
    assert "利益冲突声明" in text_of(client.get(page))

    accepted = post_form(client, page, {"action": "accept", "declaration": "与申报单位无利益冲突"},
                         follow_redirects=True)
    assert "已接受邀请" in text_of(accepted)

    scores = {"scores.infrastructure": "18", "scores.management": "14", "scores.energy_resources": "13",
              "scores.product": "9", "scores.emissions": "9", "scores.performance": "25"}
    # Every point away from the automatic evaluation carries the expert's reason.
    scores |= {key.replace("scores.", "reasons."): "现场核查后按实际情况调整" for key in scores}
    submitted = post_form(client, page, {"action": "submit", **scores, "recommendation": "pass",
                                         "comments": "能源管理体系运行有效，建议通过"},
                          follow_redirects=True)
    result = text_of(submitted)
    assert "评分已提交" in result
    assert "总分" in result and "88" in result


def test_a_score_above_the_group_maximum_is_refused_and_kept(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="page-test")
    review = panel.reviews[0]
    expert = review.expert.user.username
    db.commit()
    log_in(client, expert)
    page = f"/desk/reviews/{review.id}"
    post_form(client, page, {"action": "accept"})

    response = post_form(client, page, {"action": "save", "scores.infrastructure": "99",
                                        "comments": "基础设施得分待核"})

    assert response.status_code == 422
    body = text_of(response)
    assert field_value(body, "scores.infrastructure") == "99"
    assert "基础设施得分待核" in body


# The public -----------------------------------------------------------------------------------

def test_an_objection_without_its_fields_is_refused_and_keeps_what_was_typed(
        client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.public_notice, NOW)
    notice_id = app.notice.id
    db.commit()
    page = f"/notices/{notice_id}"
    assert "杭州钱塘新材料股份有限公司" in text_of(client.get(page))

    response = post_form(client, page, {"application_id": str(app.id), "name": "张先生",
                                        "contact": "", "content": ""})

    assert response.status_code == 422
    body = text_of(response)
    objection = body[body.index('id="objection"'):]
    assert re.search(r'class="error"[^>]*>[^<]+<', objection)
    assert field_value(objection, "name") == "张先生"
    assert field_value(objection, "application_id") == str(app.id)


def test_a_complete_objection_is_received(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.public_notice, NOW)
    notice_id = app.notice.id
    db.commit()

    response = post_form(client, f"/notices/{notice_id}", {
        "application_id": str(app.id), "name": "张先生", "contact": "13800000000",
        "content": "该企业2025年曾因废水超标排放被处罚，请核实。"}, follow_redirects=True)

    assert response.status_code == 200
    page = text_of(response)
    assert "异议已提交" in page
    assert "处理中" in page


def test_an_unknown_certificate_number_is_not_found(client: FlaskClient) -> None:
    response = client.get("/verify/330100-GF-2026-9999")

    assert response.status_code == 404
    assert "未查到证书编号“330100-GF-2026-9999”" in text_of(response)


def test_an_unknown_page_says_so_in_chinese(client: FlaskClient) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "页面或记录不存在" in text_of(response)


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/notices", "/verify"])
def test_public_pages_open(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert "绿色低碳认定管理系统" in text_of(response)
