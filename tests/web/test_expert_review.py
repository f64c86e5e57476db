"""The expert review through the API and the pages: the pool and its Excel round trip, blind
scoring, reasons for changed points, declines, the discussion; screenshots in a real browser."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Expert, Review
from models.enums import ApplicationState as S
from tests.builders import application_in, user
from tests.web.apiclient import PASSWORD, Api
from tests.web.test_browser import browser  # noqa: F401  (the Chromium fixture)
from tests.web.test_pages import log_in, post_form, text_of
from tests.workflow.test_reviews import score
from workflow import panels, reviews
from workflow.demo import EXPERTS, with_check

NOW = datetime.now(UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows: list[list[Any]], former: list[list[Any]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "专家"
    sheet.append(
        [
            "用户名",
            "姓名",
            "职称",
            "工作单位",
            "工作单位统一社会信用代码",
            "专业领域",
            "所在地行政区划代码",
            "不可参评开始日期",
            "不可参评结束日期",
            "电子邮箱",
        ]
    )
    for row in rows:
        sheet.append(row)
    if former is not None:
        sheet2 = book.create_sheet("曾任职单位")
        sheet2.append(["用户名", "单位名称", "统一社会信用代码", "起始日期", "结束日期"])
        for row in former:
            sheet2.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(api: Api, data: bytes, expect: int) -> Any:
    return api.call(
        "POST",
        "/experts/import",
        expect,
        data={"file": (io.BytesIO(data), "专家库.xlsx")},
        content_type="multipart/form-data",
    ).json


def expert_count(db: Session) -> int:
    return db.scalar(select(func.count(Expert.id)))


def password_of(username: str) -> str:
    """The demo experts' password, or the one tests.workflow.test_panels gives the pool it adds."""
    return PASSWORD if username in {u for u, *_ in EXPERTS} else "password-123"


# The pool -----------------------------------------------------------------------------------


def test_staff_search_the_pool_with_filters_and_pages(client: FlaskClient, db: Session) -> None:
    city = Api(client, "hz_city")
    everyone = city.get("/experts")
    assert everyone["total"] == 7 and everyone["page"] == 1
    wang = next(e for e in everyone["items"] if e["name"] == "王建国")
    assert (
        wang["specialty_labels"] == ["能源", "非金属矿物制品业（C30）"] and wang["editable"] is True
    )
    zhao = next(e for e in everyone["items"] if e["name"] == "赵磊")  # in 安庆, outside Hangzhou
    assert zhao["editable"] is False
    assert {e["name"] for e in city.get("/experts?specialty=能源")["items"]} == {
        "王建国",
        "赵磊",
        "孙丽",
    }
    assert [e["name"] for e in city.get("/experts?specialty=C30")["items"]] == ["王建国"]
    assert {e["name"] for e in city.get("/experts?jurisdiction=330100")["items"]} == {
        "王建国",
        "李晓梅",
        "张伟",
        "陈静",
    }
    assert {e["name"] for e in city.get("/experts?q=浙江")["items"]} == {"王建国", "李晓梅", "陈静"}
    second = city.get("/experts?per_page=2&page=2")
    assert (second["total"], len(second["items"])) == (7, 2)
    assert city.get("/experts?per_page=500", expect=422)["error"]["details"]["fields"]["per_page"]
    assert city.get("/experts?specialty=C99", expect=422)["error"]["message"].startswith(
        "“C99”不是制造业大类代码"
    )
    Api(client, "qt_newmat").get("/experts", expect=403)
    Api(client, "expert_wang").get("/experts", expect=403)


def test_staff_edit_an_expert_of_their_area_without_overwriting_others(
    client: FlaskClient, db: Session
) -> None:
    city = Api(client, "hz_city")
    wang = next(e for e in city.get("/experts")["items"] if e["name"] == "王建国")
    former = [
        {
            "name": "杭州钱塘新材料股份有限公司",
            "uscc": with_check("91330114MA2H3X4Y5"),
            "from": "2016-03-01",
            "until": "2024-06-30",
        }
    ]
    changed = city.patch(
        f"/experts/{wang['id']}",
        {
            "title": "正高级工程师",
            "former_employers": former,
            "unavailable_from": "2026-12-20",
            "unavailable_until": "2027-01-05",
            "specialties": ["energy", "C30", "carbon"],
            "version": wang["version"],
        },
    )
    assert changed["former_employers"] == former and changed["unavailable_until"] == "2027-01-05"
    assert changed["specialty_labels"] == ["能源", "非金属矿物制品业（C30）", "碳排放"]
    stale = city.patch(
        f"/experts/{wang['id']}", {"title": "研究员", "version": wang["version"]}, expect=409
    )
    assert stale["error"]["message"] == "该专家信息已被他人修改，请刷新后再操作"
    bad = city.patch(
        f"/experts/{wang['id']}",
        {"employer_uscc": "123", "specialties": ["C99"], "unavailable_from": "2027-01-10"},
        expect=422,
    )
    assert set(bad["error"]["details"]["fields"]) == {
        "employer_uscc",
        "specialties",
        "unavailable_until",
    }
    assert bad["error"]["details"]["fields"]["unavailable_until"] == [
        "不可参评结束日期不能早于开始日期"
    ]
    assert (
        Api(client, "aq_city").patch(f"/experts/{wang['id']}", {"title": "x"}, expect=403)["error"][
            "message"
        ]
        == "只能管理本辖区内的专家"
    )


def test_deactivation_keeps_the_expert_and_their_reviews(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="history")
    review = next(
        r
        for r in panel.reviews
        if r.expert.name != "王建国" and r.expert.jurisdiction_code.startswith("33")
    )
    score(db, review, 88, NOW)
    db.commit()
    province = Api(client, "zj_province")
    target = review.expert_id
    assert province.post(f"/experts/{target}/actions/deactivate", {"reason": " "}, expect=422)
    gone = province.post(f"/experts/{target}/actions/deactivate", {"reason": "本人申请退出专家库"})
    assert (gone["active"], gone["deactivation_reason"]) == (False, "本人申请退出专家库")
    assert target not in {e["id"] for e in province.get("/experts")["items"]}
    assert target in {e["id"] for e in province.get("/experts?status=inactive")["items"]}
    assert db.get(Review, review.id).total == 88
    assert province.post(f"/experts/{target}/actions/activate")["active"] is True


# Excel --------------------------------------------------------------------------------------


def test_the_pool_goes_to_excel_and_back(client: FlaskClient, db: Session) -> None:
    province = Api(client, "zj_province")
    for path in ("/experts.xlsx?jurisdiction=330000", "/experts?format=xlsx&jurisdiction=330000"):
        response = province.call("GET", path, 200)
        assert response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["专家"]
    assert [c.value for c in sheet[1]][:7] == [
        "用户名",
        "姓名",
        "职称",
        "工作单位",
        "工作单位统一社会信用代码",
        "专业领域",
        "所在地行政区划代码",
    ]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["expert_wang"][5] == "能源、C30" and len(rows) == 6  # 安庆's 赵磊 is not in 浙江
    # Unchanged, the export imports as six updates and nothing new.
    again = upload(province, response.data, 201)
    assert (again["created"], again["updated"]) == (0, 6)

    sheet.cell(row=2, column=3, value="研究员")
    sheet.append(
        [
            "expert_hu",
            "胡敏",
            "高级工程师",
            "浙江省能源研究所",
            with_check("12330000470001234"),
            "碳排放、C26",
            "330106",
            None,
            None,
            "hu@example.org",
        ]
    )
    former = book["曾任职单位"]
    former.append(
        [
            "expert_hu",
            "杭州钱塘新材料股份有限公司",
            with_check("91330114MA2H3X4Y5"),
            datetime(2018, 1, 1),
            datetime(2024, 12, 31),
        ]
    )
    out = io.BytesIO()
    book.save(out)
    result = upload(province, out.getvalue(), 201)
    assert (result["created"], result["updated"]) == (1, 6)
    hu = db.scalars(select(Expert).where(Expert.name == "胡敏")).one()
    assert hu.specialties == ["carbon", "C26"] and hu.user.username == "expert_hu"
    assert hu.former_employers == [
        {
            "name": "杭州钱塘新材料股份有限公司",
            "uscc": with_check("91330114MA2H3X4Y5"),
            "from": "2018-01-01",
            "until": "2024-12-31",
        }
    ]


def test_a_workbook_with_bad_rows_creates_nothing_and_says_where(
    client: FlaskClient, db: Session
) -> None:
    before = expert_count(db)
    good = with_check("91330100MA2J00001")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = workbook(
        [
            [
                "expert_ok",
                "周敏",
                "工程师",
                "杭州某研究院",
                None,
                "能源",
                "330106",
                None,
                None,
                "ok@example.org",
            ],
            ["expert_bad_code", "吴强", "", "杭州某公司", wrong, "环境", "330106", None, None, ""],
            [
                "expert_bad_field",
                "",
                "",
                "杭州某公司",
                None,
                "天文、C99",
                "339999",
                "2026-13-01",
                None,
                "",
            ],
            ["expert_ok", "周敏", "", "杭州某研究院", None, "能源", "330106", None, None, ""],
            ["expert_far", "孙强", "", "安庆某院", None, "能源", "340800", None, None, ""],
        ],
        former=[["nobody", "某单位", None, None, None]],
    )
    error = upload(Api(client, "hz_city"), data, 422)["error"]
    assert error["message"].startswith(
        "导入未完成，没有创建或修改任何专家。请修改后重新导入：“专家”表第3行"
    )
    rows = [(e["sheet"], e["row"], e["column"], e["message"]) for e in error["details"]["rows"]]
    assert ("专家", 3, "工作单位统一社会信用代码") == rows[0][:3] and "校验" in rows[0][3]
    assert (
        "专家",
        4,
        "专业领域",
        "“天文”不是制造业大类代码（如C30，GB/T 4754）或专业领域（能源、环境、碳排放、安全生产）",
    ) in rows
    assert ("专家", 4, "不可参评开始日期", "日期格式应为“年-月-日”，如 2026-12-31") in rows
    assert ("专家", 4, "姓名", "请填写专家姓名") in rows
    assert ("专家", 4, "所在地行政区划代码", "行政区划代码“339999”不存在") in rows
    assert ("专家", 5, "用户名", "与第2行重复") in rows
    assert ("专家", 6, "所在地行政区划代码", "只能管理本辖区内的专家") in rows
    assert ("曾任职单位", 2, "用户名", "“nobody”不在“专家”表中") in rows
    assert expert_count(db) == before
    assert db.scalar(select(func.count()).where(Expert.name == "周敏")) == 0


def test_an_upload_that_is_not_excel_is_refused(client: FlaskClient) -> None:
    api = Api(client, "hz_city")
    error = api.call(
        "POST",
        "/experts/import",
        422,
        data={"file": (io.BytesIO(b"name,title\n"), "experts.csv")},
        content_type="multipart/form-data",
    ).json["error"]
    assert error["details"]["fields"]["file"] == [
        "不是有效的 Excel 文件（.xlsx），请使用导出的表格作为模板"
    ]


# Blind scoring ------------------------------------------------------------------------------


def test_reviews_are_blind_until_ones_own_is_in(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="blind")
    first, second, third = panel.reviews
    for review in (first, second):
        reviews.respond(db, review.expert.user, review, True, NOW)
    db.commit()
    mine, other = Api(client, first.expert.user.username), Api(client, second.expert.user.username)
    assert "panel" not in mine.get(f"/reviews/{first.id}")
    assert mine.get(f"/reviews/{first.id}")["automatic"]["performance"] == 27.39
    mine.post(
        f"/reviews/{first.id}/actions/submit", {"recommendation": "pass", "comments": "符合要求"}
    )
    done = mine.get(f"/reviews/{first.id}")
    assert [(p["label"], p["total"]) for p in done["panel"]] == [("R2", None), ("R3", None)]
    assert "panel" not in other.get(f"/reviews/{second.id}")
    seen_by_other = other.get(f"/applications/{app.id}/panel")
    assert seen_by_other["reviews"][0] == {"label": "R1", "state": "submitted", "ended": ""}
    assert "report" not in seen_by_other and "seed" not in seen_by_other

    applicant = Api(client, "qt_newmat")
    assert applicant.get(f"/applications/{app.id}")["reviewers"] == [
        {"label": "R1", "state": "submitted"},
        {"label": "R2", "state": "accepted"},
        {"label": "R3", "state": "invited"},
    ]
    applicant_view = applicant.get(f"/applications/{app.id}/panel")
    assert all(set(r) == {"label", "state", "ended"} for r in applicant_view["reviews"])
    assert first.expert.name not in str(applicant_view)

    staff = Api(client, "hz_city").get(f"/applications/{app.id}/panel")
    assert (
        staff["reviews"][0]["expert"] == first.expert.name and staff["reviews"][0]["total"] == 84.59
    )
    assert staff["reproducible"] is True and staff["report"]["seed"] == "blind"
    assert datetime.fromisoformat(staff["reviews"][2]["respond_by"]) == third.respond_by


def test_a_changed_point_needs_a_reason_through_the_api(client: FlaskClient, db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    review = panels.draw(db, user(db, "hz_city"), app, NOW, seed="reason").reviews[0]
    db.commit()
    expert = Api(client, review.expert.user.username)
    expert.post(f"/reviews/{review.id}/actions/accept", {"declaration": "本人与申报单位无利益关系"})
    error = expert.put(f"/reviews/{review.id}", {"scores": {"performance": 25}}, expect=422)[
        "error"
    ]
    assert error["message"] == "“绩效”的评分与自动评价不同，请写明调整理由"
    assert error["details"]["fields"] == {
        "reasons.performance": ["评分25分与自动评价27.39分不同，请写明理由"]
    }
    saved = expert.put(
        f"/reviews/{review.id}",
        {
            "scores": {"performance": 25},
            "reasons": {"performance": "单位产品能耗数据未经第三方核查"},
        },
    )
    assert (
        saved["changed"] == ["performance"] and saved["declaration"] == "本人与申报单位无利益关系"
    )


def test_a_decline_with_a_conflict_draws_the_next_expert(client: FlaskClient, db: Session) -> None:
    from tests.workflow.test_panels import larger_pool

    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    review = panels.draw(db, user(db, "hz_city"), app, NOW, seed="decline").reviews[0]
    db.commit()
    expert = Api(client, review.expert.user.username, password_of(review.expert.user.username))
    refused = expert.post(f"/reviews/{review.id}/actions/decline", {"conflict": True}, expect=422)
    assert refused["error"]["details"]["fields"]["declaration"] == ["请说明利益冲突的情形"]
    declined = expert.post(
        f"/reviews/{review.id}/actions/decline",
        {"conflict": True, "declaration": "本人为申报单位2025年能源审计项目负责人"},
    )
    assert (declined["state"], declined["ended"]) == ("declined", "谢绝：存在利益冲突")
    staff = Api(client, "hz_city").get(f"/applications/{app.id}/panel")
    assert [r["label"] for r in staff["reviews"]] == ["R1", "R2", "R3", "R4"]
    assert staff["report"]["replacements"][0]["why"] == "R1谢绝：存在利益冲突"
    assert staff["progress"] == {
        "submitted": 0,
        "accepted": 0,
        "invited": 3,
        "declined": 1,
        "vacant": 0,
    }


def test_the_discussion_is_closed_with_a_conclusion(client: FlaskClient, db: Session) -> None:
    from tests.workflow.test_panels import larger_pool

    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="discussion")
    for review, total in zip(panel.reviews, (70, 80, 88), strict=True):
        score(db, review, total, NOW)
    db.commit()
    city = Api(client, "hz_city")
    view = city.get(f"/applications/{app.id}/panel")
    assert (view["divergence"], view["threshold"], view["discussion"]["state"]) == (
        18,
        15.0,
        "open",
    )
    assert view["aggregation"]["score"] == 79.33 and view["can_close_discussion"] is True
    city.post(f"/applications/{app.id}/panel/discussion", {"conclusion": ""}, expect=422)
    closed = city.post(
        f"/applications/{app.id}/panel/discussion",
        {"conclusion": "经讨论，分歧源于绩效组数据口径，维持各自评分"},
    )
    assert closed["discussion"]["state"] == "closed"
    assert Api(client, "qt_newmat").get(f"/applications/{app.id}/panel")["panel_score"] == 79.33


def test_the_applicant_asks_that_someone_stay_off_its_panel(
    client: FlaskClient, db: Session
) -> None:
    app = application_in(db, S.under_review, NOW)
    db.commit()
    applicant = Api(client, "qt_newmat")
    error = applicant.post(f"/applications/{app.id}/conflicts", {"reason": "竞争关系"}, expect=422)[
        "error"
    ]
    assert error["details"]["fields"]["name"] == ["请填写需回避的专家姓名或单位统一社会信用代码"]
    applicant.post(
        f"/applications/{app.id}/conflicts",
        {"name": "孙丽", "reason": "曾在专利纠纷中代表竞争对手"},
        expect=201,
    )
    assert [c["name"] for c in Api(client, "hz_city").get(f"/applications/{app.id}/conflicts")] == [
        "孙丽"
    ]
    panel = Api(client, "hz_city").post(
        f"/applications/{app.id}/panel", {"seed": "avoid"}, expect=201
    )
    assert {
        "expert": "孙丽",
        "rule": "declared_by_applicant",
        "reason": "申报单位申请回避：曾在专利纠纷中代表竞争对手",
    } in panel["excluded"]
    applicant.post(f"/applications/{app.id}/conflicts", {"name": "陈静", "reason": "x"}, expect=409)


# Pages --------------------------------------------------------------------------------------


def test_the_desk_shows_the_invitation_then_the_scoring_form(
    client: FlaskClient, db: Session
) -> None:
    app = application_in(db, S.under_review, NOW)
    app.data = {
        **app.data,
        "consultants": [{"name": "浙江绿碳咨询有限公司", "uscc": with_check("91330106MA2J0C002")}],
    }
    review = panels.draw(db, user(db, "hz_city"), app, NOW, seed="desk").reviews[0]
    db.commit()
    log_in(client, review.expert.user.username)
    desk = text_of(client.get("/desk"))
    assert "待答复的邀请" in desk and "杭州钱塘新材料股份有限公司" in desk
    page = f"/desk/reviews/{review.id}"
    invitation = text_of(client.get(page))
    assert "浙江绿碳咨询有限公司" in invitation and "答复期限" in invitation
    assert "佐证材料" not in invitation  # only what a conflict declaration needs
    refused = post_form(client, page, {"action": "decline_conflict", "declaration": ""})
    assert refused.status_code == 422 and "请说明利益冲突的情形" in text_of(refused)
    accepted = text_of(post_form(client, page, {"action": "accept"}, follow_redirects=True))
    assert "已接受邀请" in accepted and "佐证材料" in accepted and "自动评价 27.39 分" in accepted
    changed = post_form(
        client, page, {"action": "save", "scores.product": "7", "reasons.product": ""}
    )
    assert changed.status_code == 422
    assert "评分7分与自动评价8.4分不同，请写明理由" in text_of(changed)
    asked = text_of(
        post_form(
            client,
            page,
            {"action": "clarify", "question": "请补充2025年分月电力台账"},
            follow_redirects=True,
        )
    )
    assert "评审期限暂停" in asked and "请补充2025年分月电力台账" in asked


def test_the_staff_panel_view_shows_the_report_and_the_discussion(
    client: FlaskClient, db: Session
) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="view")
    for review, total in zip(panel.reviews, (70, 80, 88), strict=True):
        score(db, review, total, NOW)
    db.commit()
    log_in(client, "hz_city")
    page = f"/applications/{app.id}"
    shown = text_of(client.get(page))
    for words in (
        "抽取报告",
        "随机种子 view",
        "候选顺序",
        "按报告重算结果一致",
        "相差 <strong>18</strong> 分",
        "须组织专家组讨论",
        "79.33 分",
    ):
        assert words in shown, words
    done = text_of(
        post_form(
            client,
            page,
            {"conclusion": "维持各自评分"},
            target=f"/applications/{app.id}/panel/discussion",
            follow_redirects=True,
        )
    )
    assert "已记录专家组讨论结论" in done and "维持各自评分" in done
    post_form(client, page, {}, target="/logout")
    log_in(client, "qt_newmat")
    applicant = text_of(client.get(page))
    assert (
        "R1" in applicant
        and panel.reviews[0].expert.name not in applicant
        and "抽取报告" not in applicant
    )


def test_the_draw_report_shows_the_candidates_read_and_numbers_every_candidate(
    client: FlaskClient, db: Session
) -> None:
    app = application_in(db, S.under_review, NOW)
    report = panels.draw(db, user(db, "hz_city"), app, NOW, seed="ranges").report
    db.commit()
    log_in(client, "hz_city")
    shown = text_of(client.get(f"/applications/{app.id}"))
    assert f"候选顺序（{report['candidate_count']}人）" in shown and "按报告重算结果一致" in shown
    assert all(c["expert"] in shown for c in report["considered"])
    first, last = report["candidate_ranges"][0]
    assert "全部候选专家编号：" + (f"{first}–{last}" if last != first else f"{first}") in shown


def test_a_report_drawn_before_the_compact_form_still_shows_every_candidate(
    client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = application_in(db, S.under_review, NOW)
    monkeypatch.setattr(panels, "ALGORITHM", panels.RANKED)  # as such reports were drawn
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="old")
    experts = {e.id: e for e in db.scalars(select(Expert))}
    report = {k: v for k, v in panel.report.items()
              if k not in ("candidate_count", "candidate_ranges", "considered")}
    report["candidates"] = [
        {"expert_id": i, "expert": experts[i].name, "key": panels.draw_key("old", i),
         "specialties": experts[i].specialties}
        for i in panels.rank("old", panels.candidate_ids(panel.report))
    ]
    panel.report = report
    db.commit()
    log_in(client, "hz_city")
    shown = text_of(client.get(f"/applications/{app.id}"))
    assert f"候选顺序（{len(report['candidates'])}人）" in shown and "按报告重算结果一致" in shown
    assert all(c["expert"] in shown for c in report["candidates"])


def test_the_pool_pages_edit_and_report_import_errors(client: FlaskClient, db: Session) -> None:
    log_in(client, "hz_city")
    listing = text_of(client.get("/experts?specialty=能源"))
    assert "王建国" in listing and "李晓梅" not in listing and "导出 Excel" in listing
    wang = db.scalars(select(Expert).where(Expert.name == "王建国")).one()
    edit = f"/experts/{wang.id}"
    refused = post_form(
        client,
        edit,
        {
            "name": "王建国",
            "title": "",
            "employer": "浙江省节能协会",
            "employer_uscc": "123",
            "specialties": "能源、C30",
            "jurisdiction": "330106",
            "version": str(wang.version),
            "former_count": "0",
        },
    )
    assert refused.status_code == 422 and "专家信息有误" in text_of(refused)
    data = workbook([["expert_x", "", "", "某单位", None, "能源", "330106", None, None, ""]])
    response = post_form(
        client,
        "/experts",
        {"file": (io.BytesIO(data), "专家库.xlsx")},
        target="/experts/import",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "没有创建或修改任何专家" in text_of(response) and "请填写专家姓名" in text_of(response)


# In a real browser: look at the pages ---------------------------------------------------------


@pytest.mark.browser
def test_screens_of_the_expert_review(
    browser: Any,  # noqa: F811
    live_server: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Drive the desk and the panel view, and keep screenshots to look at (path printed)."""
    from playwright.sync_api import expect

    from tests.web.test_browser import log_in as sign_in
    from tests.web.test_browser import new_page
    from tests.workflow.test_panels import larger_pool

    shots = Path(tmp_path_factory.mktemp("screens"))
    with live_server.factory() as session:
        larger_pool(session)
        app = application_in(session, S.under_review, NOW)
        panel = panels.draw(session, user(session, "hz_city"), app, NOW, seed="2026-hz-review")
        demo_experts = {username for username, *_ in EXPERTS}  # they sign in with the demo password
        invited = next(r for r in panel.reviews if r.expert.user.username in demo_experts)
        others = [r for r in panel.reviews if r is not invited]
        for review, total in zip(others, (70, 88), strict=True):
            score(session, review, total, NOW)
        session.commit()
        app_id, review_id, expert_name = app.id, invited.id, invited.expert.user.username
    base = live_server.url
    expert = new_page(browser)
    sign_in(expert, base, expert_name)
    expert.screenshot(path=str(shots / "1-expert-desk.png"), full_page=True)
    expert.goto(f"{base}/desk/reviews/{review_id}")
    expert.screenshot(path=str(shots / "2-expert-invitation.png"), full_page=True)
    expert.click('button:has-text("接受邀请")')
    expect(expert.locator(".flash.success")).to_contain_text("已接受邀请")
    expert.fill('[name="scores.performance"]', "25")
    expert.click('button[value="save"]')
    expect(expert.locator(".flash.error")).to_contain_text("请写明调整理由")
    expert.screenshot(path=str(shots / "3-expert-scoring-error.png"))
    expert.fill('[name="reasons.performance"]', "单位产品能耗数据未经第三方核查")
    expert.select_option('[name="recommendation"]', "pass")
    expert.click('button[value="submit"]')
    expect(expert.locator(".flash.success")).to_contain_text("评分已提交")
    expert.screenshot(path=str(shots / "4-expert-submitted.png"))
    expert.context.close()

    city = new_page(browser)
    sign_in(city, base, "hz_city")
    city.goto(f"{base}/applications/{app_id}")
    expect(city.locator("#panel")).to_contain_text("须组织专家组讨论")
    city.click("#panel summary")
    expect(city.locator("#panel")).to_contain_text("候选顺序")
    city.locator("#panel").screenshot(path=str(shots / "5-panel-view.png"))
    city.goto(f"{base}/experts")
    city.screenshot(path=str(shots / "6-expert-pool.png"), full_page=True)
    city.goto(f"{base}/experts/{1}")
    city.screenshot(path=str(shots / "7-expert-edit.png"), full_page=True)
    city.context.close()
    print(f"screenshots in {shots}")
    assert len(list(shots.glob("*.png"))) == 7
