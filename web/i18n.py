"""Chinese pages for everyone, English on request.

Chinese is the source language: the Chinese text of the templates and pages is the message id,
and translations/en/LC_MESSAGES/messages.po holds the English. Labels the other layers hand to
the pages (states, kinds, list headers) stay Chinese there and are translated here, by the same
catalogue; `extract_labels` puts them into it. A visitor switches with the 中文 / English link in
the page header (a cookie) or `?lang=en`; the browser's Accept-Language is not consulted, so the
pages stay Chinese unless someone asks for English.
"""
from __future__ import annotations

import ast
import datetime
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, has_request_context, request
from flask_babel import Babel, format_date, format_decimal, get_locale, get_translations, gettext
from markupsafe import Markup, escape

from evaluators.messages import chinese, encode
from web.config import ROOT

COOKIE = "lang"
YEAR = 365 * 24 * 3600
CHINESE, ENGLISH = "zh_Hans_CN", "en"
PLACEHOLDER = re.compile(r"\{\{?([A-Za-z_]\w*)\}?\}")
CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff01-\uff5e]")

babel = Babel()


def select_locale() -> str:
    if not has_request_context():
        return CHINESE
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return ENGLISH if asked == "en" else CHINESE


def english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def page_language() -> str:
    """The value of <html lang>."""
    return "en" if english() else "zh-CN"


def label(text: Any) -> str:
    """A Chinese label or message from another layer (a state, a column header, a validation
    message) in the page's language. Markup is page text already in it, and stays as it is."""
    if not text:
        return ""
    if isinstance(text, Markup):
        return text
    if english() and encode(text):  # composed by the system (evaluators.messages): its messages translated
        return str(_composed(text, encode(text)).striptags())
    text = str(text)
    translated = gettext(text)
    if translated == text and english() and CJK.search(text):
        return _filled_in(text) or _joined(text) or text
    return translated


def N_(message: str) -> str:  # noqa: N802 (the name pybabel looks for)
    """Marks a message for the catalogue without translating it here."""
    return message


# Messages the workflow layer composes itself, as templates `_filled_in` translates (text stored
# before the messages of evaluators.messages: a notice's calendar warning).
COMPOSED = (
    N_("当前状态“{state}”下不能执行“{trigger}”"),
    N_("未知操作“{trigger}”"),
    N_("{years}年节假日安排尚未录入，工作日暂按周一至周五计算，请核对"),
)


def _joined(text: str) -> str | None:
    """Several reasons joined by “；” (the failed conditions of a transition), each translated."""
    parts = text.split("；")
    translated = [gettext(part) for part in parts]
    if len(parts) > 1 and all(t != p for t, p in zip(translated, parts)):
        return "; ".join(translated)
    return None


def _filled_in(text: str) -> str | None:
    """A message the catalogue holds as a template, already filled in (marshmallow's
    “不能超过 {max} 个字” as “不能超过 200 个字”): its translation, filled in the same way."""
    for pattern, template in _templates(get_translations()):
        found = pattern.fullmatch(text)
        if found:
            values = {name: gettext(value) for name, value in found.groupdict().items()}
            return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    return None


def _templates(translations: Any) -> list[tuple[re.Pattern[str], str]]:
    cached = getattr(translations, "_greencert_templates", None)
    if cached is None:
        cached = []
        for msgid, msgstr in getattr(translations, "_catalog", {}).items():
            if isinstance(msgid, str) and PLACEHOLDER.search(msgid):
                parts = PLACEHOLDER.split(msgid)  # text, name, text, name, ..., text
                pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                                  for i, part in enumerate(parts))
                if len(set(parts[1::2])) == len(parts[1::2]):
                    cached.append((len("".join(parts[0::2])), re.compile(pattern), msgstr))
        # The template with the most fixed text first: “不能超过 {max} 个字” before “不能{max_op} {{max}}”.
        cached = [(pattern, msgstr) for _, pattern, msgstr in sorted(cached, key=lambda t: -t[0])]
        translations._greencert_templates = cached
    return cached


def shown_label(text: Any) -> Markup:
    """A label for a template: translated when the catalogue knows it, else shown as data
    (the name of a district next to the translated name of a kind)."""
    if isinstance(text, Markup):  # already page text (a refusal shown by `composed`)
        return text
    return data(label(text))


def data(value: Any) -> Markup:
    """User data (a name, an address) as it was entered, marked Chinese on an English page."""
    text = escape("" if value is None else value)
    if english() and CJK.search(text):
        return Markup('<span class="data" lang="zh-CN">%s</span>') % text
    return text


def data_lang(value: Any) -> Markup:
    """The lang attribute for an element (an <option>) whose text is Chinese user data."""
    return Markup(' lang="zh-CN"') if english() and CJK.search(str(value or "")) else Markup("")


def message(container: Any, key: str) -> Markup:
    """A sentence the system composed (evaluators.messages), stored as ``container[key]`` (the
    Chinese text) next to ``container[key + "_messages"]`` (its messages), in the page's language;
    or the attributes of those names of a row. Text stored without messages is shown as data."""
    if container is None or isinstance(container, Mapping):
        container = container or {}
        return _composed(container.get(key), container.get(f"{key}_messages"))
    return _composed(getattr(container, key, None), getattr(container, f"{key}_messages", None))


def messages(container: Mapping[str, Any] | None, key: str) -> list[Markup]:
    """The sentences of a list of them (``reasons`` next to ``reasons_messages``), each shown as `message`."""
    container = container or {}
    texts = container.get(key) or []
    encoded = container.get(f"{key}_messages") or []
    return [_composed(text, encoded[i] if i < len(encoded) else None) for i, text in enumerate(texts)]


def composed(text: Any) -> Markup:
    """The `|message` filter: text the system composed (an evaluators.messages.Text) in the page's
    language; other text translated when the catalogue knows it, else shown as data."""
    return _composed(text, encode(text)) if encode(text) else shown_label(text)


def sentence(translated: str, **values: Any) -> Markup:
    """A sentence of the page around text from other layers, for a flash:
    ``sentence(gettext("上传失败：%(message)s"), message=error.message)``, the catalogue's sentence
    with each value shown as `composed` (a refusal in the reader's language, its user data marked)."""
    # The catalogue's sentence is ours; the values are escaped or composed as they go in.
    return Markup(translated) % {name: composed(value) for name, value in values.items()}


def _composed(text: Any, encoded: Any) -> Markup:
    if not english() or not encoded:
        return data(text)
    return _in_a_row(encoded)


def _in_a_row(parts: Any) -> Markup:
    """Messages one after the other, a space between them; a separator (“；” of `joined`) joins its
    neighbours as the reader's language writes it (“a; b”)."""
    shown, after_separator = Markup(""), False
    for index, part in enumerate(parts):
        if part.get("id") in SEPARATORS and not part.get("values"):
            shown, after_separator = shown + SEPARATORS[part["id"]], True
            continue
        shown += (Markup(" ") if index and not after_separator else Markup("")) + _message(part)
        after_separator = False
    return shown


def _message(part: Any) -> Markup:
    """One encoded message, translated; its Chinese as data when the catalogue lacks it."""
    values, msgid = part.get("values") or {}, part["id"]
    translated = gettext(msgid)
    if translated == msgid and CJK.search(translated):
        return data(chinese(part))
    if not values:
        return Markup(escape(translated))
    # The catalogue's sentence is ours; the values are escaped as they go in.
    return Markup(translated) % {name: _value(v) for name, v in values.items()}


SEPARATORS = {"、": ", ", "；": "; ", "": " "}


def _value(value: Any) -> Markup | str:
    """A value of a message in the reader's conventions: numbers grouped, units and words translated,
    user data marked Chinese."""
    if isinstance(value, bool) or value is None:
        return str(value or "")
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):  # user data or guideline text; a word the catalogue knows is translated
        translated = gettext(value) if value else value
        return translated if translated != value else data(value)
    if "id" in value:
        return _message(value)
    if "text" in value:
        return _in_a_row(value["text"])
    if "join" in value:
        separator = value.get("separator", "、")
        return Markup(escape(SEPARATORS.get(separator, separator))).join(_value(v) for v in value["join"])
    if "unit" in value:
        unit = unit_label(value["unit"])
        spaced = bool(value["unit"]) and not value["unit"].startswith(("%", "‰", "°"))
        return escape(_number(value["value"])) + Markup(" " if spaced else "") + unit
    if "day" in value:
        day = datetime.date.fromisoformat(value["day"])
        return format_date(day, "d MMM y" if value.get("year", True) else "d MMM")
    return data(value)


def _number(value: float) -> str:
    return format_decimal(value, format="#,##0.##########")


def unit_label(unit: str) -> Markup:
    """A unit in the page's language: “万元” and “/件” translated, CO2 written CO₂."""
    text = (unit or "").replace("CO2", "CO₂")
    for word in ("万元", "/件"):
        text = text.replace(word, gettext(word))
    return data(text)


def remember_language(response: Response, code: str) -> Response:
    response.set_cookie(COOKIE, code, max_age=YEAR, samesite="Lax", httponly=True)
    return response


def same_site_path(target: str) -> str:
    """A path on this site to return to, without its `lang` parameter; the home page otherwise."""
    parts = urlsplit(target)
    elsewhere = parts.scheme or parts.netloc or target.startswith("//")
    if elsewhere or not parts.path.startswith("/") or "\\" in target:  # browsers read /\host as //host
        return "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return urlunsplit(("", "", parts.path, query, ""))


def _remember_asked_language(response: Response) -> Response:
    """`?lang=en` on any page switches for the pages that follow as well."""
    asked = request.args.get("lang")
    if asked in ("zh", "en") and request.cookies.get(COOKIE) != asked:
        remember_language(response, asked)
    return response


def register(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", CHINESE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_asked_language)
    app.add_template_global(page_language)
    app.add_template_global(english)
    app.add_template_global(data_lang)
    app.add_template_global(message)
    app.add_template_global(messages)
    app.add_template_filter(data, "data")
    app.add_template_filter(shown_label, "label")
    app.add_template_filter(composed, "message")
    app.add_template_filter(label, "tr")


def extract_labels(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for the modules whose Chinese labels the pages show (see babel.cfg):
    every Chinese string constant except docstrings, parts of f-strings and, unless the
    section says `raised = true`, the messages of what is raised."""
    tree = ast.parse(fileobj.read())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Raise) and options.get("raised") != "true"):
            skipped.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
                and CJK.search(node.value)):
            yield node.lineno, "", node.value, []
