"""When the system says no (a flash, a form error, an error page), the English pages say why in English,
with the values of the case (a programme's dates, a row of a workbook, a deadline), names kept as
Chinese data; the Chinese pages say it exactly as before."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models.enums import ApplicationState as S
from models.enums import Kind, Tier
from tests.builders import GUIDELINE, application_in, hangzhou_programme, user
from tests.web.test_expert_review import workbook
from tests.web.test_i18n import untranslated
from tests.web.test_pages import GOOD_USCC, log_in, post_form, registration
from workflow import applications, panels, reviews
from workflow.clock import CHINA
from workflow.demo import with_check

NOW = datetime.now(timezone.utc)
DATA = '<span class="data" lang="zh-CN">'


def answer(client: FlaskClient, lang: str, page: str, form: dict[str, object], target: str | None = None,
           **kwargs: object) -> tuple[int, str]:
    """The page a browser shows after posting `form` from `page` in `lang`, its flash included."""
    client.get(f"/language/{lang}")
    response = post_form(client, page, form, target=target, follow_redirects=True, **kwargs)  # type: ignore[arg-type]
    html = response.get_data(as_text=True)
    if lang == "en":
        assert untranslated(html) == ("en", []), html
    return response.status_code, html


def start(client: FlaskClient, lang: str, programme_id: int) -> str:
    return answer(client, lang, "/portal", {"programme_id": str(programme_id)}, target="/portal/applications")[1]


def test_a_programme_not_open_says_its_dates(client: FlaskClient, db: Session) -> None:
    programme = hangzhou_programme(db)
    programme.opens_on, programme.closes_on = date(2025, 3, 1), date(2025, 5, 31)
    db.commit()
    log_in(client, "qt_newmat")
    assert (f"“{DATA}{programme.title}</span>” is not open for applications (open from 2025-03-01 to 2025-05-31)"
            in start(client, "en", programme.id))
    assert f"“{programme.title}”不在申报期内（2025-03-01至2025-05-31）" in start(client, "zh", programme.id)


def test_a_second_application_in_the_same_programme_is_refused(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.draft, NOW)
    db.commit()
    log_in(client, "qt_newmat")
    assert ("Your organisation already has an application in progress in this programme"
            in start(client, "en", app.programme_id))
    assert "本单位在该批次已有一份进行中的申报" in start(client, "zh", app.programme_id)


def test_a_provincial_application_needs_the_city_designation(client: FlaskClient, db: Session) -> None:
    today = NOW.astimezone(CHINA).date()
    programme = applications.create_programme(
        db, user(db, "zj_province"), kind=Kind.factory, tier=Tier.province, jurisdiction="330000",
        guideline=GUIDELINE, opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=30),
        pass_mark=80.0, panel_size=5, notice_working_days=5, validity_years=3)
    db.commit()
    log_in(client, "qt_newmat")
    assert "A provincial application needs a valid city-level designation first" in start(client, "en", programme.id)
    assert "申报省级须已获得有效的市级认定" in start(client, "zh", programme.id)


def test_a_page_out_of_date_is_refused_in_english(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.submitted, NOW)
    db.commit()
    log_in(client, "qt_county")
    form = {"trigger": "return_for_changes", "reason": "能源数据缺少统计报表", "version": str(app.version - 1)}
    page = f"/applications/{app.id}"
    _, english = answer(client, "en", page, form, target=f"{page}/actions")
    assert re.search(r"“[A-Za-z ]+” not done: Someone else changed this record; please refresh and try again",
                     english)
    _, chinese = answer(client, "zh", page, form, target=f"{page}/actions")
    assert "“退回修改”未执行：该记录已被他人修改，请刷新后再操作" in chinese


def test_evidence_refused_says_why_in_english(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.draft, NOW)
    db.commit()
    log_in(client, "qt_newmat")
    page = f"/portal/applications/{app.id}/form"

    def evidence(lang: str, name: str, content: bytes, indicator: str = "") -> str:
        return answer(client, lang, page, {"file": (io.BytesIO(content), name), "indicator": indicator},
                      target=f"/portal/applications/{app.id}/evidence", content_type="multipart/form-data")[1]

    program = b"MZ\x90\x00\x03"
    assert ("Upload failed: Only PDF, images (PNG/JPEG), Office documents or ZIP archives are accepted"
            in evidence("en", "报告.pdf", program))
    assert "上传失败：只接受 PDF、图片（PNG/JPEG）、Office 文档或 ZIP 压缩包" in evidence("zh", "报告.pdf", program)
    pdf = b"%PDF-1.7 x"
    assert ("Upload failed: The indicator “no_such_indicator” is not part of this guideline"
            in evidence("en", "报告.pdf", pdf, "no_such_indicator"))
    assert "上传失败：指标“no_such_indicator”不属于本评价标准" in evidence("zh", "报告.pdf", pdf, "no_such_indicator")


def test_registration_errors_say_which_character_is_wrong(client: FlaskClient, db: Session) -> None:
    wrong = GOOD_USCC[:-1] + ("0" if GOOD_USCC[-1] != "0" else "1")
    status, english = answer(client, "en", "/register", registration(uscc=wrong))
    assert status == 422
    assert f"Wrong check character: character 18 should be “{GOOD_USCC[-1]}”, not “{wrong[-1]}”" in english
    _, chinese = answer(client, "zh", "/register", registration(uscc=wrong))
    assert f"校验码错误：第18位应为“{GOOD_USCC[-1]}”，实际为“{wrong[-1]}”" in chinese
    status, english = answer(client, "en", "/register", registration(username="hz_city"))
    assert status == 422 and "The username “hz_city” is taken" in english


def test_a_locked_account_is_told_when_to_try_again(client: FlaskClient, db: Session) -> None:
    for _ in range(5):
        post_form(client, "/login", {"username": "qt_newmat", "password": "wrong-password"})
    status, english = answer(client, "en", "/login", {"username": "qt_newmat", "password": "wrong-password"})
    assert status == 429
    assert re.search(r"Too many failed sign-ins: this account is locked for now\. Please try again at \d\d:\d\d "
                     r"\(Beijing time, in about 1[45] minutes\)", english), english
    _, chinese = answer(client, "zh", "/login", {"username": "qt_newmat", "password": "wrong-password"})
    assert re.search(r"该账号已暂时锁定。请于\d\d:\d\d（北京时间，约1[45]分钟后）再试", chinese)


def test_an_expert_is_told_the_answer_deadline_has_passed(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    review = panels.draw(db, user(db, "hz_city"), app, NOW, seed="late").reviews[0]
    review.respond_by = datetime(2026, 1, 6, tzinfo=CHINA)  # the end of 5 January
    db.commit()
    log_in(client, review.expert.user.username)
    page = f"/desk/reviews/{review.id}"
    status, english = answer(client, "en", page, {"action": "accept"})
    assert status == 422
    assert "The answer deadline (5 Jan 2026) has passed; the invitation has lapsed" in english
    assert "已超过答复期限（2026年1月5日），邀请已失效" in answer(client, "zh", page, {"action": "accept"})[1]


def test_an_expert_is_asked_for_the_reason_of_a_changed_score(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    app.data = {**app.data, "consultants": [{"name": "浙江绿碳咨询有限公司", "uscc": with_check("91330106MA2J0C002")}]}
    review = panels.draw(db, user(db, "hz_city"), app, NOW, seed="desk").reviews[0]
    db.commit()
    log_in(client, review.expert.user.username)
    page, form = f"/desk/reviews/{review.id}", {"action": "save", "scores.product": "7", "reasons.product": ""}
    assert "Invitation accepted" in answer(client, "en", page, {"action": "accept"})[1]
    status, english = answer(client, "en", page, form)
    assert status == 422
    assert "Your score of 7 points differs from the automatic 8.4 points; please give your reason" in english
    assert "评分7分与自动评价8.4分不同，请写明理由" in answer(client, "zh", page, form)[1]
    _, english = answer(client, "en", page, {"action": "save", "scores.product": "99"})
    assert "Must be between 0 and 10 points" in english  # the product group's 10 points (GB/T 36132-2018)


def test_a_workbook_with_bad_rows_is_explained_row_by_row_in_english(client: FlaskClient, db: Session) -> None:
    good = with_check("91330106MA2J0C002")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = workbook([
        ["expert_a", "吴强", "", "杭州某公司", wrong, "环境", "330106", None, None, ""],
        ["expert_a", "周敏", "", "杭州某研究院", None, "天文", "339999", None, None, ""],
    ])
    log_in(client, "hz_city")

    def imported(lang: str) -> str:
        status, html = answer(client, lang, "/experts", {"file": (io.BytesIO(data), "专家库.xlsx")},
                              target="/experts/import", content_type="multipart/form-data")
        assert status == 422
        return html

    english = imported("en")
    assert f"Wrong check character: character 18 should be “{good[-1]}”, not “{wrong[-1]}”" in english
    assert "Same as row 2" in english
    assert "There is no division with the code “339999”" in english
    assert f"“{DATA}天文</span>” is neither a manufacturing division code" in english
    chinese = imported("zh")
    assert "与第2行重复" in chinese and "行政区划代码“339999”不存在" in chinese


def test_an_expert_still_reviewing_is_not_deactivated(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    drawn = panels.draw(db, user(db, "hz_city"), app, NOW, seed="busy").reviews
    # An expert of Hangzhou's pool, whom the city's staff manage.
    review = next(r for r in drawn if r.expert.jurisdiction_code.startswith("3301"))
    reviews.respond(db, review.expert.user, review, True, NOW)
    db.commit()
    log_in(client, "hz_city")
    page = f"/experts/{review.expert_id}"
    _, english = answer(client, "en", page, {"reason": "退休"}, target=f"{page}/deactivate")
    assert (f"This expert is reviewing application #{app.id}; deactivate them once their scores are submitted"
            in english)
    _, chinese = answer(client, "zh", page, {"reason": "退休"}, target=f"{page}/deactivate")
    assert f"未完成：该专家正在评审申报#{app.id}，请待其提交评分后再停用" in chinese


def test_a_list_asked_for_a_sort_it_does_not_have_says_the_choices(client: FlaskClient, db: Session) -> None:
    log_in(client, "hz_city")
    english = client.get("/console/applications", query_string={"sort": "colour", "lang": "en"})
    assert english.status_code == 422
    html = english.get_data(as_text=True)
    assert untranslated(html) == ("en", [])
    assert re.search(r"Cannot sort by “colour”; the choices are: [a-z_]+(, [a-z_]+)+", html)
    chinese = client.get("/console/applications", query_string={"sort": "colour", "lang": "zh"})
    assert re.search(r"不能按“colour”排序，可选：[a-z_]+(、[a-z_]+)+", chinese.get_data(as_text=True))


def test_a_notice_counted_without_the_holiday_calendar_warns_in_english(client: FlaskClient, db: Session) -> None:
    notice = application_in(db, S.public_notice, NOW).notice
    notice.calendar_warning = "2027年节假日安排尚未录入，工作日暂按周一至周五计算，请核对"
    db.commit()
    english = client.get(f"/notices/{notice.id}", query_string={"lang": "en"}).get_data(as_text=True)
    assert untranslated(english) == ("en", [])
    assert ("The public holidays of 2027 are not recorded yet: working days are counted Monday to Friday for now; "
            "please check") in english
    chinese = client.get(f"/notices/{notice.id}", query_string={"lang": "zh"}).get_data(as_text=True)
    assert "2027年节假日安排尚未录入，工作日暂按周一至周五计算，请核对" in chinese
