"""The main path in a real browser (the system Chromium through Playwright) against a live
server: an enterprise registers, fills and submits the GB/T 36132 form, the county sees it.
Screenshots of every main page go to tests/screenshots/ for a human to look at."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from evaluators.examples import example_document
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import GUIDELINE, application_in, designation_in, new_enterprise, user
from tests.conftest import unavailable
from tests.web.conftest import LiveServer
from tests.web.test_pages import form_fields
from workflow import outbox, panels
from workflow.demo import PASSWORD, with_check

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
USCC = with_check("91330114MA2K0099X")
ENTERPRISE = "杭州钱塘绿能包装科技有限公司"


@dataclass(frozen=True)
class Records:
    """What the other pages need to show something: a panel, a public notice, a certificate."""
    review_id: int
    expert: str
    notice_id: int
    designation_id: int
    certificate: str


@pytest.fixture(scope="module")
def records(live_server: LiveServer) -> Records:
    now = datetime.now(timezone.utc)
    with live_server.factory() as session:
        under_review = application_in(session, S.under_review, now, applicant=new_enterprise(session, 1))
        panel = panels.draw(session, user(session, "hz_city"), under_review, now, seed="browser")
        review = panel.reviews[0]
        on_notice = application_in(session, S.public_notice, now, applicant=new_enterprise(session, 2))
        designation = designation_in(session, D.active, now)
        found = Records(review.id, review.expert.user.username, on_notice.notice.id, designation.id,
                        designation.certificate.number)
        session.commit()
    outbox.relay(live_server.factory)  # renders the certificate, as the embedded default does
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        unavailable("Chromium", f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        unavailable("Playwright", str(error))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def new_page(browser: Any) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "are you sure?" before a final step
    return page


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button:has-text("登录")')
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")


def fill_form(page: Any, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_an_enterprise_registers_applies_and_the_county_sees_it(
        browser: Any, live_server: LiveServer, records: Records) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    page = new_page(browser)

    page.goto(base + "/")
    expect(page.locator("h1")).to_contain_text("绿色低碳")
    shoot(page, "01-home")

    # Register: first with a credit code whose check character is wrong, then correctly.
    page.goto(base + "/register")
    wrong = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    page.fill('[name="uscc"]', wrong)
    page.fill('[name="name"]', ENTERPRISE)
    page.select_option('[name="jurisdiction"]', "330114")
    page.fill('[name="industry_codes"]', "C2231")
    page.fill('[name="address"]', "杭州市钱塘区义蓬街道江东大道 88 号")
    page.fill('[name="email"]', "energy@qt-green.example.com")
    page.fill('[name="username"]', "qt_green")
    page.fill('[name="password"]', "green-password-1")
    page.fill('[name="password_confirm"]', "green-password-1")
    page.click('button:has-text("注册")')
    expect(page.locator("label", has_text="统一社会信用代码").locator(".error")).to_contain_text("校验码")
    expect(page.locator('[name="name"]')).to_have_value(ENTERPRISE)
    shoot(page, "02-register-error")

    page.fill('[name="uscc"]', USCC)
    page.fill('[name="password"]', "green-password-1")
    page.fill('[name="password_confirm"]', "green-password-1")
    page.click('button:has-text("注册")')
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.locator("main")).to_contain_text("注册成功")
    expect(page.locator("main")).not_to_contain_text("安庆")  # a programme it may not enter
    shoot(page, "03-portal")

    # Start an application in the open Hangzhou programme and fill the GB/T 36132 form.
    page.locator("tr", has_text="杭州").locator('button:has-text("开始申报")').click()
    expect(page).to_have_url(re.compile(r"/portal/applications/\d+/form$"))
    fill_form(page, form_fields(example_document(GUIDELINE, "pass")))
    page.click('button:has-text("保存草稿")')
    expect(page.locator(".flash.success")).to_contain_text("草稿已保存")
    expect(page.locator('[name="energy.electricity_kwh"]')).to_have_value("16000000")

    page.select_option('#evidence select[name="indicator"]', "infra_metering_required")
    page.set_input_files('#evidence input[type="file"]', files=[{
        "name": "计量器具配备台账.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n%metering\n"}])
    expect(page.locator("#chosen-file")).to_have_text("计量器具配备台账.pdf")
    page.click('#evidence button:has-text("上传")')
    expect(page.locator(".flash.success")).to_contain_text("已上传“计量器具配备台账.pdf”")
    expect(page.locator("#evidence table")).to_contain_text("按 GB 17167、GB 24789 配备能源和水计量器具")
    shoot(page, "04-application-form")

    page.click('button:has-text("提交申报")')
    expect(page).to_have_url(re.compile(r"/applications/\d+(#.*)?$"))
    expect(page.locator("h1 .badge")).to_have_text("已提交")
    expect(page.locator("main")).to_contain_text("钱塘区")
    shoot(page, "05-application-page")
    application_url = page.url.split("#")[0]

    # The county bureau finds it waiting in its console.
    county = new_page(browser)
    log_in(county, base, "qt_county")
    expect(county).to_have_url(re.compile(r"/console$"))
    waiting = county.locator("section", has_text="待我处理")
    expect(waiting).to_contain_text(ENTERPRISE)
    shoot(county, "06-staff-console")
    waiting.locator("tr", has_text=ENTERPRISE).locator("a").click()
    expect(county).to_have_url(application_url)
    expect(county.locator('button[data-trigger="recommend"]')).to_be_visible()
    county.context.close()

    # An expert answers the invitation and sees the scoring form beside the evaluation.
    expert = new_page(browser)
    log_in(expert, base, records.expert)
    expect(expert).to_have_url(re.compile(r"/desk$"))
    expect(expert.locator("main")).to_contain_text("答复邀请")
    shoot(expert, "07-expert-desk")
    expert.goto(f"{base}/desk/reviews/{records.review_id}")
    expert.click('button:has-text("接受邀请")')
    expect(expert.locator(".flash.success")).to_contain_text("已接受邀请")
    shoot(expert, "08-expert-review")
    expert.context.close()

    # The city bureau manages a designation after the fact (有进有出).
    city = new_page(browser)
    log_in(city, base, "hz_city")
    city.goto(f"{base}/designations/{records.designation_id}")
    expect(city.locator('button[data-trigger="require_rectification"]')).to_be_visible()
    expect(city.locator("main")).to_contain_text(records.certificate)
    shoot(city, "09-designation")
    city.context.close()

    # The public: the notice with its objection form, and a certificate's live status.
    public = new_page(browser)
    public.goto(f"{base}/notices/{records.notice_id}")
    expect(public.locator("#objection")).to_contain_text("提出异议")
    public.click('#objection button:has-text("提交异议")')
    expect(public.locator("#objection .error").first).to_be_visible()
    shoot(public, "10-notice")
    public.goto(f"{base}/verify/{records.certificate}")
    expect(public.locator("#verdict")).to_contain_text("证书有效")
    shoot(public, "11-verify")
    public.goto(f"{base}/verify/330100-GF-2026-9999")
    expect(public.locator(".verdict.bad")).to_contain_text("未查到")
    public.context.close()
    page.context.close()
