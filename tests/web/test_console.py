"""The bureau console as a clerk uses it: lists that search, filter, sort and page within the
bureau's own area, stay fast and cost the same number of queries on any page size, exports that
Excel opens in Chinese, the ministry's yearly list, the dashboard pages, and screenshots of them
in a real browser against the rich demo world."""
from __future__ import annotations

import csv
import io
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from models import Application, Enterprise
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from models.enums import Kind, Tier
from tests.conftest import statements_sent, unavailable
from tests.web.apiclient import Api
from tests.web.conftest import serving
from tests.web.test_pages import log_in, text_of
from tests.workflow.test_stats import (
    NOW,
    application_row,
    designation_row,
    enterprise_row,
    programme_row,
)
from workflow import demo

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def hangzhou_and_anqing(db: Session) -> dict[str, Any]:
    """A few records on both sides of the Hangzhou boundary, and a draft nobody else may see."""
    city, province = programme_row(db), programme_row(db, tier=Tier.province, code="330000")
    anqing = programme_row(db, code="340800")
    qiantang = enterprise_row(db, "330114", "杭州钱塘绿色包装有限公司")
    xiaoshan = enterprise_row(db, "330109", "杭州萧山东海泵业有限公司", ("C3441",))
    yixiu = enterprise_row(db, "340811", "安庆宜秀江城新型建材有限公司")
    return {
        "waiting": application_row(db, qiantang, city, S.submitted, submitted=NOW - timedelta(days=3)),
        "reviewing": application_row(db, xiaoshan, city, S.under_review, submitted=NOW - timedelta(days=9)),
        "draft": application_row(db, enterprise_row(db, "330114", "杭州钱塘草稿有限公司"), city, S.draft),
        "anqing": application_row(db, yixiu, anqing, S.submitted),
        "city": designation_row(db, xiaoshan, city, valid_from=date(2025, 5, 20)),
        "provincial": designation_row(db, qiantang, province, D.suspended, valid_from=date(2024, 8, 14)),
        "elsewhere": designation_row(db, yixiu, anqing, valid_from=date(2025, 6, 1)),
    }


def names(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["items"]]


# Lists through the API ------------------------------------------------------------------------------

def test_each_bureau_lists_only_its_own_area_and_never_a_draft(client: FlaskClient, db: Session) -> None:
    hangzhou_and_anqing(db)
    db.commit()

    city = Api(client, "hz_city").get("/applications")  # two in progress, two designated
    assert set(names(city)) == {"杭州萧山东海泵业有限公司", "杭州钱塘绿色包装有限公司"}
    assert city["total"] == 4 and city["pages"] == 1
    assert set(names(Api(client, "qt_county").get("/applications"))) == {"杭州钱塘绿色包装有限公司"}
    assert set(names(Api(client, "aq_city").get("/applications"))) == {"安庆宜秀江城新型建材有限公司"}
    assert Api(client, "zj_province").get("/applications")["total"] == 4
    designations = Api(client, "hz_city").get("/designations")
    assert names(designations) == ["杭州萧山东海泵业有限公司", "杭州钱塘绿色包装有限公司"]  # newest first
    assert designations["items"][1]["tier"] == "province" and designations["items"][1]["state"] == "suspended"
    enterprises = Api(client, "qt_county").get("/enterprises")
    assert "杭州钱塘草稿有限公司" in names(enterprises)  # the enterprise is known, its draft is not
    assert "杭州萧山东海泵业有限公司" not in names(enterprises)


def test_lists_are_for_bureau_staff_only(client: FlaskClient) -> None:
    assert Api(client).get("/applications", expect=401)["error"]["code"] == "unauthorized"
    assert Api(client, "qt_newmat").get("/designations", expect=403)["error"]["code"] == "forbidden"
    Api(client, "expert_wang").get("/enterprises", expect=403)


def test_search_filters_and_sorting_as_a_clerk_types_them(client: FlaskClient, db: Session) -> None:
    records = hangzhou_and_anqing(db)
    db.commit()
    api = Api(client, "hz_city")

    assert set(names(api.get("/applications?q=萧山"))) == {"杭州萧山东海泵业有限公司"}
    assert api.get(f"/applications?q={records['waiting'].enterprise.uscc}")["total"] == 2
    assert api.get(f"/applications?q=%23{records['reviewing'].id}")["items"][0]["id"] == records["reviewing"].id
    assert names(api.get("/applications?state=under_review")) == ["杭州萧山东海泵业有限公司"]
    assert set(names(api.get("/applications?jurisdiction=330114"))) == {"杭州钱塘绿色包装有限公司"}
    assert api.get("/applications?kind=park")["total"] == 0
    day = (NOW - timedelta(days=3)).astimezone(timezone(timedelta(hours=8))).date().isoformat()
    assert [i["state"] for i in api.get(f"/applications?submitted_from={day}&sort=submitted_at")["items"]] == [
        "submitted", "designated", "designated"]  # three days ago, then the two granted now
    in_progress = [i for i in api.get("/applications?sort=submitted_at")["items"] if i["state"] != "designated"]
    assert [i["name"] for i in in_progress] == ["杭州萧山东海泵业有限公司", "杭州钱塘绿色包装有限公司"]
    in_progress = [i for i in api.get("/applications?sort=-submitted_at")["items"] if i["state"] != "designated"]
    assert [i["name"] for i in in_progress] == ["杭州钱塘绿色包装有限公司", "杭州萧山东海泵业有限公司"]
    assert names(api.get("/designations?year=2024")) == ["杭州钱塘绿色包装有限公司"]
    assert names(api.get("/designations?state=active&tier=city")) == ["杭州萧山东海泵业有限公司"]
    assert names(api.get("/enterprises?industry=C34")) == ["杭州萧山东海泵业有限公司"]

    bad = api.get("/applications?sort=password", expect=422)
    assert "不能按" in bad["error"]["message"]
    assert "状态" in api.get("/applications?state=draft", expect=422)["error"]["message"]
    assert api.get("/applications?per_page=7", expect=422)["error"]["details"]["fields"]["per_page"]
    assert api.get("/applications?jurisdiction=340811", expect=403)["error"]["code"] == "forbidden"


def test_pages_of_a_long_list_follow_each_other_without_gaps(client: FlaskClient, db: Session) -> None:
    programme = programme_row(db)
    for number in range(45):
        application_row(db, enterprise_row(db, "330109"), programme, S.submitted,
                        submitted=NOW - timedelta(minutes=number))
    db.commit()
    api = Api(client, "hz_city")

    pages = [api.get(f"/applications?per_page=20&page={n}") for n in (1, 2, 3, 4)]

    assert [len(p["items"]) for p in pages] == [20, 20, 5, 0]
    assert pages[0]["total"] == 45 and pages[0]["pages"] == 3
    ids = [item["id"] for p in pages for item in p["items"]]
    assert len(set(ids)) == 45 and ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("path", ["/api/v1/applications", "/api/v1/designations", "/api/v1/enterprises",
                                  "/console/applications", "/console/designations", "/console/enterprises",
                                  "/console/experts"])
def test_a_page_costs_the_same_queries_whatever_its_size(client: FlaskClient, db: Session, engine: Engine,
                                                         path: str) -> None:
    city, province = programme_row(db), programme_row(db, Kind.park, Tier.province, "330000")
    for number in range(100):
        enterprise = enterprise_row(db, ("330114", "330109", "330110")[number % 3])
        application_row(db, enterprise, city, S.submitted)
        designation_row(db, enterprise, province if number % 2 else city)
    db.commit()
    api = Api(client, "hz_city")
    if path.startswith("/console"):
        log_in(client, "hz_city")

    def cost(per_page: int) -> int:
        with statements_sent(engine) as seen:
            response = client.get(f"{path}?per_page={per_page}", headers=api.headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return len(seen)

    cost(20)  # warm the per-session caches (jurisdictions) the same way for both
    small, large = cost(20), cost(100)

    assert small == large, f"{path}: {small} statements for 20 rows, {large} for 100"
    assert large <= 12, f"{path}: {large} statements"


def test_a_hundred_thousand_applications_still_page_fast(client: FlaskClient, db: Session) -> None:
    """Bulk rows (no history), as a city has after some years; each page must come back at once."""
    programme = programme_row(db)
    enterprises = [enterprise_row(db, ("330114", "330109", "330110", "330111")[n % 4]) for n in range(200)]
    states = [S.submitted, S.under_review, S.rejected, S.withdrawn, S.reviewed]
    started = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [{"programme_id": programme.id, "enterprise_id": enterprises[n % 200].id,
             "place_code": enterprises[n % 200].jurisdiction_code, "state": states[n % 5],
             "holding_jurisdiction_code": "330100", "guideline": programme.guideline, "data": {},
             "submitted_at": started + timedelta(minutes=7 * n), "created_at": started, "updated_at": started,
             "version": 1} for n in range(100_000)]
    db.execute(insert(Application), rows)
    db.commit()
    api = Api(client, "hz_city")

    for query in ("", "?sort=-submitted_at", "?state=reviewed&sort=name", "?q=统计测试企业", "?page=1000",
                  "?jurisdiction=330109&sort=-updated_at"):
        began = time.perf_counter()
        body = api.get(f"/applications{query}")
        elapsed = time.perf_counter() - began
        assert body["total"] >= 20_000, query
        print(query, round(elapsed, 3))
        assert elapsed < 1.5, f"/applications{query} took {elapsed:.2f} s"
    assert api.get("/applications")["total"] == 100_000


# Exports ----------------------------------------------------------------------------------------------

def test_a_list_exports_to_csv_that_excel_opens_in_chinese(client: FlaskClient, db: Session) -> None:
    records = hangzhou_and_anqing(db)
    records["reviewing"].enterprise.name = "=HYPERLINK(\"http://example.com\")有限公司"
    db.commit()

    response = Api(client, "hz_city").call("GET", "/applications?format=csv&sort=id", expect=200)

    assert response.mimetype == "text/csv"
    assert "filename*=UTF-8''%E7%94%B3%E6%8A%A5%E5%8F%B0%E8%B4%A6" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel looks for
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:5] == ["申报编号", "单位名称", "统一社会信用代码", "所在地区", "申报批次"]
    assert "状态" in table[0] and "提交时间" in table[0]
    first = dict(zip(table[0], table[1]))
    assert first["单位名称"] == "杭州钱塘绿色包装有限公司"
    assert first["所在地区"] == "杭州市钱塘区"
    assert first["状态"] == "已提交"
    assert first["类别"] == "绿色低碳工厂" and first["层级"] == "市级"
    assert re.fullmatch(r"20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d", first["提交时间"])
    assert dict(zip(table[0], table[2]))["单位名称"].startswith("'=")  # never run as a formula
    assert len(table) == 1 + 4  # the whole list, not one page: two in progress, two designated


def test_a_filtered_list_exports_to_excel_with_dates_as_dates(client: FlaskClient, db: Session) -> None:
    hangzhou_and_anqing(db)
    db.commit()

    response = Api(client, "hz_city").call("GET", "/designations?format=xlsx&state=suspended", expect=200)

    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("单位名称", "统一社会信用代码", "所在地区", "所属行业", "认定类别", "认定层级", "认定时间",
                       "有效期至", "状态", "证书编号")
    assert len(rows) == 2
    assert rows[1][0] == "杭州钱塘绿色包装有限公司" and rows[1][4:6] == ("绿色低碳工厂", "省级")
    assert rows[1][6] == datetime(2024, 8, 14) and rows[1][8] == "暂停"
    assert sheet["G2"].number_format == 'yyyy"年"m"月"d"日"'
    assert sheet.freeze_panes == "A2"


def test_the_yearly_list_in_the_ministry_layout(client: FlaskClient, db: Session) -> None:
    records = hangzhou_and_anqing(db)
    designation_row(db, enterprise_row(db, "330110", "杭州余杭绿源生物化工有限公司", ("C2625",)),
                    programme_row(db, Kind.park), valid_from=date(2025, 3, 2))
    db.commit()

    response = Api(client, "hz_city").call("GET", "/designations/yearly?year=2025", expect=200)

    assert "2025%E5%B9%B4%E5%BA%A6" in response.headers["Content-Disposition"]  # 2025年度…
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "2025年度绿色低碳工厂、园区、供应链管理企业认定名单"
    assert rows[1][0] == "填报单位：杭州市经济和信息化局"
    assert rows[2] == ("序号", "单位名称", "统一社会信用代码", "所在地区", "所属行业", "认定类别", "认定层级",
                       "认定时间", "有效期至", "状态", "证书编号")
    city = records["city"]
    assert rows[3] == (1, "杭州萧山东海泵业有限公司", city.enterprise.uscc, "浙江省杭州市萧山区", "通用设备制造业",
                       "绿色低碳工厂", "市级", datetime(2025, 5, 20), datetime(2028, 5, 19), "有效", None)
    assert rows[4][:7] == (2, "杭州余杭绿源生物化工有限公司", rows[4][2], "浙江省杭州市余杭区",
                           "化学原料和化学制品制造业", "绿色低碳工业园区", "市级")
    assert len(rows) == 5  # the 2024 one and Anqing's are not in Hangzhou's 2025 list
    assert sheet.print_title_rows == "$3:$3"
    assert Api(client, "hz_city").get("/designations/yearly", expect=422)["error"]["details"]["fields"]["year"]


# Pages ---------------------------------------------------------------------------------------------------

def test_the_dashboard_page_reads_in_chinese_with_a_table_beside_each_chart(client: FlaskClient,
                                                                             db: Session) -> None:
    hangzhou_and_anqing(db)
    db.commit()
    log_in(client, "hz_city")

    page = text_of(client.get("/console/dashboard"))

    assert "统计分析 · 杭州市" in page
    assert "市级及以上绿色低碳工厂" in page and "≥400 家" in page and "2025年12月31日" in page
    assert re.search(r'<figure|<canvas id="chart-kind"', page)
    assert page.count("<canvas") == page.count("data-chart=")  # each chart has its table
    assert '<tr data-label="萧山区" data-value="1">' in page
    assert '<tr data-label="钱塘区" data-value="1">' in page  # the suspended provincial one is on record
    assert "vendor/chartjs/chart.umd.min.js" in page and "<script>" not in page
    county = text_of(client.get("/console/dashboard?jurisdiction=330114"))
    assert "统计分析 · 钱塘区" in county and "钱塘区尚未设定规划目标" in county
    assert client.get("/console/dashboard?jurisdiction=340800").status_code == 403


def test_the_list_pages_filter_sort_and_link_to_each_record(client: FlaskClient, db: Session) -> None:
    records = hangzhou_and_anqing(db)
    db.commit()
    log_in(client, "hz_city")

    page = text_of(client.get("/console/applications?state=under_review"))

    assert "申报台账" in page and "符合条件的 1 条" in page
    assert f'href="/applications/{records["reviewing"].id}"' in page
    assert "杭州钱塘绿色包装有限公司" not in page
    assert "专家评审中" in page
    designations = text_of(client.get("/console/designations?sort=valid_from"))
    assert designations.index("杭州钱塘绿色包装有限公司") < designations.index("杭州萧山东海泵业有限公司")
    assert "2024年8月14日" in designations and 'aria-sort="ascending"' in designations
    assert "年度认定名单（报部格式）" in designations
    export = client.get("/console/enterprises?format=csv&industry=C34")
    assert export.status_code == 200 and "杭州萧山东海泵业有限公司" in export.data.decode("utf-8-sig")
    assert "钱宏" not in text_of(client.get("/console/experts"))  # the rich world is not in test databases
    assert "王建国" in text_of(client.get("/console/experts"))


def test_the_console_pages_are_closed_to_visitors_and_applicants(client: FlaskClient) -> None:
    assert client.get("/console/dashboard").status_code == 302
    log_in(client, "qt_newmat")
    assert client.get("/console/applications").status_code == 403


# In a real browser, against the rich demo world ----------------------------------------------------------

@pytest.fixture(scope="module")
def world_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server on a fresh SQLite file with `seed` and `seed_world`."""
    with serving(tmp_path_factory.mktemp("world"), world=True) as server:
        yield server.url


@pytest.mark.browser
def test_the_dashboard_and_the_lists_in_a_real_browser(world_server: str) -> None:
    if shutil.which("/usr/bin/chromium") is None:
        unavailable("Chromium", "/usr/bin/chromium not found")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as error:
        unavailable("Playwright", str(error))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--lang=zh-CN"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=flags, headless=True)
        page = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN").new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{world_server}/login")
        page.fill('[name="username"]', "hz_city")
        page.fill('[name="password"]', demo.PASSWORD)
        page.click('button:has-text("登录")')
        expect(page).to_have_url(re.compile(r"/console$"))

        page.click('.console-nav a:has-text("统计分析")')
        expect(page.locator("h1")).to_contain_text("统计分析 · 杭州市")
        expect(page.locator("table.targets")).to_contain_text("市级及以上绿色低碳工厂")
        page.wait_for_function("""() => window.Chart &&
            Array.from(document.querySelectorAll('canvas')).every(c => window.Chart.getChart(c))""")
        drawn = page.evaluate("""() => Array.from(document.querySelectorAll('canvas')).map(c =>
            window.Chart && window.Chart.getChart(c) ? window.Chart.getChart(c).data.datasets[0].data.length : 0)""")
        assert drawn and all(n > 0 for n in drawn), drawn  # every chart drew its table's rows
        page.screenshot(path=str(SCREENSHOTS / "12-dashboard.png"), full_page=True)

        page.click('.console-nav a:has-text("申报台账")')
        expect(page.locator("h1")).to_contain_text("申报台账")
        page.select_option('select[name="state"]', "public_notice")
        page.click('form.filters button:has-text("查询")')
        expect(page.locator("table.listing tbody tr")).to_have_count(2)
        expect(page.locator("table.listing")).to_contain_text("公示中")
        page.select_option('select[name="state"]', "")
        page.click('form.filters button:has-text("查询")')
        page.click('table.listing th a:has-text("提交时间")')
        expect(page.locator('th[aria-sort="descending"]')).to_contain_text("提交时间")
        page.screenshot(path=str(SCREENSHOTS / "13-applications.png"), full_page=True)
        with page.expect_download() as download:
            page.click('a:has-text("导出 Excel")')
        assert download.value.suggested_filename.startswith("申报台账-")

        page.click('.console-nav a:has-text("认定台账")')
        expect(page.locator("table.listing")).to_contain_text("已撤销")
        expect(page.locator("table.listing")).to_contain_text("330100-GF-")
        page.screenshot(path=str(SCREENSHOTS / "14-designations.png"), full_page=True)
        with page.expect_download() as download:
            page.click('form.yearly button')
        assert download.value.suggested_filename.endswith("年度认定名单.xlsx")

        page.click('.console-nav a:has-text("企业名录")')
        expect(page.locator("h1")).to_contain_text("企业名录")
        page.screenshot(path=str(SCREENSHOTS / "15-enterprises.png"), full_page=True)
        browser.close()
    assert problems == []


__all__ = ["Enterprise"]
