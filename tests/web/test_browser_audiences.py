"""The main page of every audience in a real browser (the system Chromium through Playwright),
on the rich demo world: each signs in through the login page, sees its Chinese headings and key
content, with no script error, no failed request and nothing wider than the window at 1280 px
(a desk) and 390 px (a phone).

Screenshots go to a temporary directory, or to $GREENCERT_SCREENSHOTS when set, for a person to
look at layout and Chinese text."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import application_in, designation_in, new_enterprise, user
from tests.web.conftest import LiveServer, serving
from tests.web.test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from workflow import outbox, panels
from workflow.demo import PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
APPLICANT_PASSWORD = "password-123"  # tests.builders.new_enterprise


@dataclass(frozen=True)
class World:
    server: LiveServer
    review_id: int
    expert: str
    notice_id: int
    certificate: str
    applicant: str
    draft_id: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serving(tmp_path_factory.mktemp("audiences"), world=True) as server:
        now = datetime.now(timezone.utc)
        with server.factory() as session:
            under_review = application_in(session, S.under_review, now, applicant=new_enterprise(session, 61))
            review = panels.draw(session, user(session, "hz_city"), under_review, now, seed="audiences").reviews[0]
            on_notice = application_in(session, S.public_notice, now, applicant=new_enterprise(session, 62))
            designation = designation_in(session, D.active, now)
            applicant = new_enterprise(session, 63)
            draft = application_in(session, S.draft, now, applicant=applicant)
            found = World(server, review.id, review.expert.user.username, on_notice.notice.id,
                          designation.certificate.number, applicant.username, draft.id)
            session.commit()
        outbox.relay(server.factory)  # renders the certificate, as the embedded default does
        yield found


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("GREENCERT_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Visit:
    """One person's browser tab that records what would go wrong unseen: script errors,
    requests that fail or answer 4xx/5xx."""

    def __init__(self, browser: Any, world: World, shots: Path, audience: str) -> None:
        self.context = browser.new_context(locale="zh-CN", viewport={"width": WIDTHS[0], "height": 900})
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.base = world.server.url
        self.shots = shots
        self.audience = audience
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"script: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))
        self.page.on("dialog", lambda dialog: dialog.accept())

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(f"{self.base}/login")
        self.page.fill('input[name="username"]', username)
        self.page.fill('input[name="password"]', password)
        self.page.click('button:has-text("登录")')
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.inner_text("main")

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def check(self, name: str) -> None:
        """No problems so far; nothing wider than the window at each width; screenshots."""
        page = self.page
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(150)  # charts redraw on resize
            overflow = page.evaluate("""() => {
                const limit = document.documentElement.clientWidth;
                const wide = [...document.querySelectorAll('body *')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width > 0 && r.right > limit + 1 && !e.parentElement.closest('.table-scroll, table');
                }).slice(0, 5)
                  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`);
                const spilling = [...document.querySelectorAll('main :is(.card, section, fieldset):not(.swagger-ui *)')]
                    .filter(e => e.scrollWidth > e.clientWidth + 1)
                    .map(e => `${e.tagName}.${e.className} `
                              + (e.querySelector('h2, legend') || e).textContent.trim().slice(0, 20));
                return {scroll: document.documentElement.scrollWidth, limit, wide, spilling};
            }""")
            assert overflow["scroll"] <= overflow["limit"], (name, width, overflow)
            assert overflow["spilling"] == [], (name, width, "content wider than its card", overflow)
            page.screenshot(path=str(self.shots / f"{self.audience}-{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        assert self.problems == [], (name, self.problems)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, world: World, shots: Path) -> Iterator[Any]:  # noqa: F811
    opened: list[Visit] = []

    def start(audience: str) -> Visit:
        opened.append(Visit(browser, world, shots, audience))
        return opened[-1]

    yield start
    for v in opened:
        v.close()


def test_the_public(visit: Any, world: World) -> None:
    from playwright.sync_api import expect

    public = visit("public")
    page = public.open("/")
    expect(page.locator("h1")).to_contain_text("绿色低碳工厂、园区、供应链管理企业认定")
    expect(page.locator("main h2", has_text="公示")).to_be_visible()
    expect(page.locator("main h2", has_text="最新认定")).to_be_visible()
    expect(page.locator("footer a", has_text="数据接口")).to_have_attribute("href", "/api/v1/docs")
    public.check("home")

    page = public.open("/directory")
    expect(page.locator("h1")).to_have_text("绿色低碳认定名录")
    page.fill('input[name="q"]', "杭州")
    page.locator('main form button[type="submit"], main form button').first.click()
    page.wait_for_load_state("networkidle")
    assert "q=" in page.url
    expect(page.locator("main table tbody tr").first).to_contain_text("杭州")
    public.check("directory")

    page = public.open(f"/verify/{world.certificate}")
    expect(page.locator("h1")).to_contain_text("证书验证")
    expect(page.locator("#verdict")).to_contain_text("证书有效")
    public.check("verify")

    page = public.open(f"/notices/{world.notice_id}")
    expect(page.locator("main h2", has_text="拟认定名单")).to_be_visible()
    expect(page.locator("#objection")).to_contain_text("提出异议")
    public.check("notice")


def test_an_applicant(visit: Any, world: World) -> None:
    from playwright.sync_api import expect

    applicant = visit("applicant")
    applicant.log_in(world.applicant, APPLICANT_PASSWORD)
    page = applicant.page
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.locator("main h2", has_text="我的申报")).to_be_visible()
    expect(page.locator("main h2", has_text="可以申报的批次")).to_be_visible()
    applicant.check("portal")

    page = applicant.open(f"/portal/applications/{world.draft_id}/form")
    expect(page.locator("h1")).to_contain_text("申报表")
    page.fill('[name="energy.electricity_kwh"]', "15800000")
    page.click('button:has-text("保存草稿")')
    page.wait_for_load_state("networkidle")
    expect(page.locator(".flash.success")).to_contain_text("草稿已保存")
    expect(page.locator('[name="energy.electricity_kwh"]')).to_have_value("15800000")
    applicant.check("form")


def test_an_expert(visit: Any, world: World) -> None:
    from playwright.sync_api import expect

    expert = visit("expert")
    expert.log_in(world.expert)
    page = expert.page
    expect(page).to_have_url(re.compile(r"/desk$"))
    expect(page.locator("h1")).to_have_text("评审任务")
    invitations = page.locator("section", has=page.locator("h2", has_text="待答复的邀请"))
    expect(invitations).to_contain_text("答复邀请")
    expert.check("desk")

    page = expert.open(f"/desk/reviews/{world.review_id}")
    page.click('button:has-text("接受邀请")')
    page.wait_for_load_state("networkidle")
    expect(page.locator(".flash.success")).to_contain_text("已接受邀请")
    expect(page.locator("main h2", has_text="评分")).to_be_visible()
    trace = page.locator("#evaluation")
    expect(trace.locator("h2")).to_contain_text("自动评价")
    expect(trace.locator("h3", has_text="逐项评分")).to_be_visible()
    expect(trace.locator("h3", has_text="计算过程")).to_be_visible()
    expert.check("review")


def test_bureau_staff(visit: Any, world: World) -> None:
    from playwright.sync_api import expect

    staff = visit("staff")
    staff.log_in("hz_city")
    page = staff.page
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.locator("h1")).to_contain_text("工作台 · 杭州市经济和信息化局")
    expect(page.locator("main h2", has_text="待我处理")).to_be_visible()
    staff.check("console")

    page = staff.open("/console/dashboard")
    expect(page.locator("h1")).to_contain_text("统计分析 · 杭州市")
    for heading in ("在册认定分布", "申报办理情况", "评审周期"):
        expect(page.locator("main h2", has_text=heading)).to_be_visible()
    charts = page.locator("main canvas")
    assert charts.count() >= 3
    # every chart is drawn (the chart script runs after the page has loaded)
    page.wait_for_function("() => [...document.querySelectorAll('main canvas')].every(c => window.Chart && "
                           "window.Chart.getChart(c))")
    assert page.locator("main table[data-chart] tbody tr").count() > 3
    staff.check("dashboard")

    page = staff.open("/console/applications")
    expect(page.locator("h1")).to_contain_text("申报台账")
    page.select_option('select[name="state"]', "designated")
    page.locator('main form button:has-text("查询"), main form button[type="submit"]').first.click()
    page.wait_for_load_state("networkidle")
    assert "state=designated" in page.url
    expect(page.locator("h1 .count")).to_contain_text("符合条件的")
    rows = page.locator("main section.list table tbody tr")
    assert rows.count() > 0
    expect(rows.first).to_contain_text("已认定")
    staff.check("applications")


def test_the_admin(visit: Any, world: World) -> None:
    from playwright.sync_api import expect

    admin = visit("admin")
    admin.log_in("admin")
    page = admin.page
    expect(page.locator("h1")).to_contain_text("工作台 · 系统管理")
    admin.check("console")

    page = admin.open("/experts")
    expect(page.locator("h1")).to_have_text("专家库")
    expect(page.locator("main h2", has_text="专家（共")).to_be_visible()
    expect(page.locator("main h2", has_text="从 Excel 导入")).to_be_visible()
    admin.check("experts")


def test_the_api_reference_lists_every_operation(visit: Any, world: World) -> None:
    from playwright.sync_api import expect

    reader = visit("api")
    page = reader.open("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("GreenCert API")
    expect(page.locator(".opblock-tag", has_text="申报：草稿、佐证材料、提交与各级审核操作")).to_be_visible()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    document = page.evaluate("() => fetch('/api/v1/openapi.json').then(r => r.json())")
    expected = sum(len(item) for item in document["paths"].values())
    assert operations.count() == expected
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/me/applications")).to_be_visible()
    page.locator(".opblock-summary", has_text="/api/v1/me/applications").first.click()
    expect(page.locator(".parameters")).to_contain_text("per_page")

    # An operation tried from the page answers under the Content-Security-Policy.
    guidelines = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text=re.compile(
        r"^/api/v1/guidelines$")))
    guidelines.locator(".opblock-summary").click()
    guidelines.locator("button.try-out__btn").click()
    guidelines.locator("button.execute").click()
    expect(guidelines.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(guidelines.locator(".responses-wrapper .highlight-code").first).to_contain_text("factory-gbt36132-2018")
    reader.check("docs")
