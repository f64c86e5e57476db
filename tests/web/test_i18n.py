"""Chinese pages by default, English on request: every page of every audience in English, the
switch in the page header, and a catalogue with nothing left to translate."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.security.access_matrix import MATRIX
from tests.security.test_access_matrix import matrix_app, signed_in, url_for_rule, world  # noqa: F401
from web.config import ROOT

CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff01-\uff5e]")
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES"
# What a user reads besides the text: these attributes are translated as well.
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "data-confirm", "label")
# Who sees each page: the first of these actors the access matrix lets in, per audience.
AUDIENCES = (("anon",), ("owner",), ("panel_expert", "other_expert"), ("holding_staff",), ("admin",))
NOT_PAGES = (".pdf", ".xlsx", ".atom", ".json")


def pages() -> list[tuple[str, str]]:
    found = []
    for (method, rule), answers in sorted(MATRIX.items()):
        if method != "GET" or rule.startswith(("/api/", "/.well-known/", "/language/")) or rule.endswith(NOT_PAGES):
            continue
        for audience in AUDIENCES:
            actor = next((a for a in audience if answers[a] == "ok"), None)
            if actor:
                found.append((rule, actor))
    return found


class Untranslated(HTMLParser):
    """Chinese text outside the elements marked lang="zh-CN" (user data and guideline text)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []
        self.html_lang = ""

    def chinese_here(self) -> bool:
        return any(zh for _, zh in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang") or ""
        zh = (values.get("lang") or "").startswith("zh")
        if not (zh or self.chinese_here()):
            self.found += [f"<{tag} {name}=“{values[name]}”>" for name in READ_ATTRIBUTES
                           if CJK.search(values.get(name) or "")]
            if tag == "input" and values.get("type") in ("submit", "button") and CJK.search(values.get("value") or ""):
                self.found.append(f"<input value=“{values['value']}”>")
        if tag not in self.VOID:
            self.stack.append((tag, zh))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, text: str) -> None:
        inside = [t for t, _ in self.stack]
        if CJK.search(text) and not self.chinese_here() and "title" not in inside and "script" not in inside:
            self.found.append(text.strip())


def untranslated(html: str) -> tuple[str, list[str]]:
    parser = Untranslated()
    parser.feed(html)
    return parser.html_lang, parser.found


@pytest.mark.parametrize(("rule", "actor"), pages(), ids=[f"{r} as {a}" for r, a in pages()])
def test_every_page_reads_in_english(rule: str, actor: str, matrix_app, world) -> None:  # noqa: F811
    client = signed_in(matrix_app, world.usernames.get(actor))
    response = client.get(url_for_rule(rule, world), query_string={"lang": "en"})
    assert response.status_code == 200, response.status_code
    lang, found = untranslated(response.get_data(as_text=True))
    assert lang == "en"
    assert found == [], "Chinese left on the English page:\n" + "\n".join(found)


def test_pages_are_chinese_by_default_whatever_the_browser_prefers(matrix_app, world) -> None:  # noqa: F811
    page = matrix_app.test_client().get("/directory", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "<h1>绿色低碳认定名录</h1>" in html
    assert 'hreflang="en">English</a>' in html and '<strong>中文</strong>' in html


def test_the_header_switch_is_remembered_until_switched_back(matrix_app, world) -> None:  # noqa: F811
    client = matrix_app.test_client()
    switched = client.get("/language/en", query_string={"next": "/directory?kind=factory&lang=zh"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/directory?kind=factory"
    english = client.get("/directory").get_data(as_text=True)
    assert '<html lang="en">' in english and "Directory of green low-carbon designations" in english
    assert 'lang="zh-CN" hreflang="zh-CN">中文</a>' in english and "<strong>English</strong>" in english
    client.get("/language/zh", query_string={"next": "/"})
    assert "<h1>绿色低碳认定名录</h1>" in client.get("/directory").get_data(as_text=True)


def test_lang_in_the_address_switches_the_pages_that_follow(matrix_app, world) -> None:  # noqa: F811
    client = matrix_app.test_client()
    assert '<html lang="en">' in client.get("/notices", query_string={"lang": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in client.get("/directory").get_data(as_text=True)


def test_the_switch_returns_only_to_pages_of_this_site(matrix_app, world) -> None:  # noqa: F811
    client = matrix_app.test_client()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example/x", "javascript:alert(1)", ""):
        assert client.get("/language/en", query_string={"next": target}).headers["Location"] == "/"


def test_english_dates_and_chinese_dates(matrix_app, world) -> None:  # noqa: F811
    client = matrix_app.test_client()
    chinese = client.get(f"/verify/{world.ids['number']}").get_data(as_text=True)
    english = client.get(f"/verify/{world.ids['number']}", query_string={"lang": "en"}).get_data(as_text=True)
    assert re.search(r"<dd>\d{4}年\d{1,2}月\d{1,2}日 至 \d{4}年\d{1,2}月\d{1,2}日</dd>", chinese)
    assert re.search(r"<dd>\d{1,2} [A-Z][a-z]{2} \d{4} to \d{1,2} [A-Z][a-z]{2} \d{4}</dd>", english)


def catalogue() -> dict[tuple[str, str | None], str]:
    with open(CATALOGUE / "messages.po", "rb") as po:
        entries = read_po(po)
    assert [m.id for m in entries if m.id and m.fuzzy] == [], "fuzzy translations"
    assert [m.id for m in entries if m.id and not m.string] == [], "untranslated messages"
    return {(m.id, m.context): m.string for m in entries if m.id}


def test_the_catalogue_translates_every_message_of_the_pages() -> None:
    translated = catalogue()
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    in_sources = {(message if isinstance(message, str) else message[0], context)
                  for _, _, message, _, context in extract_from_dir(str(ROOT), method_map, options_map)}
    assert sorted(in_sources - set(translated), key=str) == [], "run pybabel extract and update, then translate"


def test_the_compiled_catalogue_matches_the_translations() -> None:
    with open(CATALOGUE / "messages.mo", "rb") as mo:
        # read_mo gives the context as bytes
        compiled = {(m.id, m.context.decode() if isinstance(m.context, bytes) else m.context): m.string
                    for m in read_mo(mo) if m.id}
    assert compiled == catalogue(), "run pybabel compile -d translations"



def test_form_errors_read_in_english(matrix_app, world) -> None:  # noqa: F811
    client = signed_in(matrix_app, world.usernames["holding_staff"])
    page = client.post("/console/programmes/new", query_string={"lang": "en"},
                       data={"kind": "factory", "tier": "city", "guideline": world.ids["key"], "opens_on": "2027-01-01",
                             "closes_on": "2027-03-31", "pass_mark": "101", "panel_size": "0",
                             "notice_working_days": "5", "validity_years": "3"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert untranslated(html) == ("en", [])
    assert "Some entries are invalid; please correct the ones marked in red." in html
    assert '<span class="error" role="alert">Must be between 3 and 15</span>' in html  # 应在 3 到 15 之间


@pytest.mark.parametrize("path", ["/password-reset/not-a-reset-token", "/no-such-page"])
def test_error_pages_read_in_english(path: str, matrix_app, world) -> None:  # noqa: F811
    page = matrix_app.test_client().get(path, query_string={"lang": "en"})
    assert page.status_code == 404
    assert untranslated(page.get_data(as_text=True)) == ("en", [])


@pytest.mark.parametrize(("path", "form"), [
    ("/password-reset", {"login": "nobody@example.com"}),
    ("/register", {"uscc": "123", "name": "", "email": "x", "username": "", "password": "short"}),
    ("/login", {"username": "qt_newmat", "password": "wrong-password"}),
])
def test_answers_to_forms_read_in_english(path: str, form: dict[str, str], matrix_app, world) -> None:  # noqa: F811
    page = matrix_app.test_client().post(path, query_string={"lang": "en"}, data=form)
    assert page.status_code in (200, 401, 422)
    assert untranslated(page.get_data(as_text=True)) == ("en", [])


def test_a_refused_action_is_explained_in_english(matrix_app, world) -> None:  # noqa: F811
    client = signed_in(matrix_app, world.usernames["holding_staff"])
    application = world.ids["application_id"]
    page = client.post(f"/applications/{application}/actions", query_string={"lang": "en"}, follow_redirects=True,
                       data={"trigger": "approve_for_notice", "reason": ""})
    html = page.get_data(as_text=True)
    assert untranslated(html) == ("en", [])
    assert "“Approve for notice” not done: “Approve for notice” is not possible in the state “Under expert review”" in html
