"""What the system writes itself (the evaluation trace, the notes of the history, the verdict on a
certificate PDF, the inbox) reads in English on the English pages, with its numbers, and exactly as
before on the Chinese pages; text stored before it kept its messages is shown as Chinese data."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta

import pytest

from evaluators import evaluate
from evaluators.examples import example_document
from evaluators.guidelines import available
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import application_in, designation_in
from tests.web.test_i18n import Untranslated, untranslated
from tests.web.test_pages import log_in, post_form
from workflow import reports
from web.i18n import message, messages
from workflow.certificate_pdf import CertificateView, render_certificate_pdf

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
DATA = '<span class="data" lang="zh-CN">'
# perf_energy_per_output of the example document (GB/T 36132-2018): left blank, so calculated from
# the energy data as 29.8155 kgce/万元; lower is better between the baseline 100 and the leading
# value 20: (100 − 29.8155) ÷ (100 − 20) = 0.8773 of its 1 point, shown as 0.88.
ENERGY_ZH = ("计算值 29.8155 kgce/万元 介于基准值 100 kgce/万元 与引领值 20 kgce/万元 之间，"
             "按线性插值得 0.88 分（满分 1 分）。")
ENERGY_EN = ("Calculated value 29.8155 kgce/10k yuan lies between the baseline 100 kgce/10k yuan and the "
             "leading value 20 kgce/10k yuan: 0.88 points by linear interpolation (full marks 1).")


def page(client, path: str, lang: str = "zh") -> str:  # type: ignore[no-untyped-def]
    response = client.get(path, query_string={"lang": lang})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def evaluation(html: str) -> str:
    return re.search(r'<section class="card trace" id="evaluation">.*?</section>', html, re.S).group(0)


def test_the_evaluation_explains_itself_in_english_with_its_numbers(client, db) -> None:
    app = application_in(db, S.under_review, NOW)
    db.commit()
    log_in(client, "hz_city")
    english = page(client, f"/applications/{app.id}", "en")
    assert untranslated(english) == ("en", [])
    assert ENERGY_EN in english
    # a rule with the guideline's own word as data, and the files uploaded as data
    assert ("Required: 2.4 points when met; when not met the applicant cannot be designated "
            f"{DATA}绿色工厂</span>.") in english
    assert "This guideline was superseded by a new version on 2025-12-31;" in english
    chinese = page(client, f"/applications/{app.id}")
    assert ENERGY_ZH in chinese and ENERGY_EN not in chinese


def test_a_trace_stored_before_its_messages_reads_as_before(client, db) -> None:
    app = application_in(db, S.under_review, NOW)
    db.commit()
    log_in(client, "hz_city")
    chinese = evaluation(page(client, f"/applications/{app.id}"))
    trace = dict(app.evaluation)
    trace = {k: v for k, v in trace.items() if not k.endswith("_messages")}
    trace["indicators"] = [{k: v for k, v in i.items() if not k.endswith("_messages")} for i in trace["indicators"]]
    app.evaluation = trace
    db.commit()
    assert evaluation(page(client, f"/applications/{app.id}")) == chinese
    english = page(client, f"/applications/{app.id}", "en")
    assert untranslated(english) == ("en", [])
    assert f"<td>{DATA}申报时未填写，按能源数据计算（见计算过程）。{ENERGY_ZH}" in english


def test_the_history_reads_in_english(client, db) -> None:
    app = application_in(db, S.under_review, NOW)
    db.commit()
    log_in(client, "hz_city")
    english = page(client, f"/applications/{app.id}", "en")
    assert re.search(rf"<td>Recommended by {DATA}[^<]+局</span> to {DATA}[^<]+局</span></td>", english)
    assert re.search(r"<td>[^<]+局推荐至[^<]+局</td>", page(client, f"/applications/{app.id}"))


def test_a_suspension_by_the_system_reads_in_english(client, db) -> None:
    designation = designation_in(db, D.rectifying, NOW)
    deadline = designation.rectify_by
    reports.escalate(db, deadline + timedelta(days=1), NOW + timedelta(days=400))
    db.commit()
    log_in(client, "hz_city")
    english = page(client, f"/designations/{designation.id}", "en")
    assert untranslated(english) == ("en", [])
    assert (f"<td>system</td><td>The rectification deadline ({deadline.isoformat()}) has passed without the "
            "rectification being confirmed</td>") in english
    assert (f"<dd>The rectification deadline ({deadline.isoformat()}) has passed without the rectification being "
            "confirmed</dd>") in english
    chinese = page(client, f"/designations/{designation.id}")
    assert f"<td>系统</td><td>整改期限（{deadline.isoformat()}）届满，整改未经确认</td>" in chinese
    number = designation.certificate.number
    public = client.get(f"/verify/{number}", query_string={"lang": "en"}).get_data(as_text=True)
    assert untranslated(public) == ("en", [])
    assert (f'<dd id="reason">The rectification deadline ({deadline.isoformat()}) has passed without the '
            "rectification being confirmed</dd>") in public
    public = client.get(f"/verify/{number}", query_string={"lang": "zh"}).get_data(as_text=True)
    assert f'<dd id="reason">整改期限（{deadline.isoformat()}）届满，整改未经确认</dd>' in public


def test_a_forged_certificate_is_called_out_in_english(client, db) -> None:
    forged = render_certificate_pdf(CertificateView(
        number="330100-GF-2026-0999", holder="杭州假冒科技有限公司", uscc="91330100MA27XXXX0X",
        kind_label="绿色低碳工厂", tier_label="市级", issuer="杭州市经济和信息化局",
        valid_from=date(2026, 1, 1), valid_until=date(2028, 12, 31), verify_url="http://greencert.test/verify/x"))
    answers = {}
    for lang in ("en", "zh"):
        response = post_form(client, "/verify", {"file": (io.BytesIO(forged), "证书.pdf")},
                             target=f"/verify?lang={lang}", content_type="multipart/form-data")
        assert response.status_code == 422
        answers[lang] = response.get_data(as_text=True)
    assert untranslated(answers["en"]) == ("en", [])
    assert "Certificate number “330100-GF-2026-0999” does not exist: the certificate is forged" in answers["en"]
    assert "证书编号“330100-GF-2026-0999”不存在：伪造的证书" in answers["zh"]


def test_the_inbox_reads_in_the_readers_language(client, db) -> None:
    app = application_in(db, S.ineligible, NOW)
    db.commit()
    log_in(client, "qt_newmat")
    english = page(client, "/inbox", "en")
    assert untranslated(english) == ("en", [])
    assert f"Application did not pass the automatic evaluation (application #{app.id})" in english
    assert "Why it is not eligible: Veto: " in english and "; basis: the applicant&#39;s declaration" in english
    chinese = page(client, "/inbox")
    assert f"申报未通过自动评价（申报 #{app.id}）" in chinese
    assert "不符合条件的原因：否决项：" in chinese and "，依据：申报单位声明" in chinese


def test_a_message_stored_before_its_messages_reads_as_data(client, db) -> None:
    from models import Notification
    from tests.builders import user

    db.add(Notification(user_id=user(db, "qt_newmat").id, key="old", subject="旧消息：请补充材料", body="", link=""))
    db.commit()
    log_in(client, "qt_newmat")
    english = page(client, "/inbox", "en")
    assert untranslated(english) == ("en", [])
    assert f'<span class="subject">{DATA}旧消息：请补充材料</span></span>' in english


@pytest.mark.parametrize("key", [g.key for g in available()])
@pytest.mark.parametrize("quality", ["pass", "fail", "blank"])
def test_every_explanation_of_the_examples_has_its_english(app, key: str, quality: str) -> None:
    document = example_document(key, quality) if quality != "blank" else {"vetoes": {"x": "也许"}, "years": [1]}
    trace = json.loads(json.dumps(evaluate(key, document, None, 80, as_of="2026-11-23").to_dict()))
    with app.test_request_context("/", query_string={"lang": "en"}):
        shown = messages(trace, "reasons") + messages(trace, "notes")
        for item in trace["indicators"] + trace["basic_requirements"] + trace["vetoes"]:
            shown += [message(item, "why")] + ([message(item, "rule")] if "rule" in item else [])
        shown += [message(step, "name") for step in trace["calculations"] if step["name_messages"]]
    parser = Untranslated()
    parser.feed("".join(f"<p>{markup}</p>" for markup in shown))
    assert parser.found == []


def test_the_draw_report_reads_in_english(client, db) -> None:
    from tests.builders import user
    from tests.workflow.test_panels import larger_pool
    from workflow import panels, reviews

    employed, formerly, *_ = larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    employed.employer_uscc = app.enterprise.uscc
    formerly.former_employers = [{"name": app.enterprise.name, "uscc": app.enterprise.uscc, "since": "2015-01-01",
                                  "until": "2025-06-30"}]
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="english")
    first = panel.reviews[0]
    reviews.respond(db, first.expert.user, first, False, NOW, declaration="本人为申报单位的能源审计负责人",
                    conflict=True)
    db.commit()
    log_in(client, "hz_city")
    english = page(client, f"/applications/{app.id}", "en")
    assert untranslated(english) == ("en", [])
    assert f"{first.label} Declined: conflict of interest" in english
    excluded = panels.excluded_experts(panel.report)
    assert {x["expert_id"] for x in excluded} >= {employed.id, formerly.id}
    assert "Works for the applicant" in english
    # the former employment ended 2025-06-30, within 3 years of the draw
    assert "Worked for the applicant within the last 3 years (until 2025-06-30)" in english
    assert "At least one energy or carbon specialist" in english
    chinese = page(client, f"/applications/{app.id}")
    assert f"{first.label}谢绝：存在利益冲突" in chinese
    for x in excluded:
        assert x["reason"] in chinese


def test_a_pool_too_small_is_explained_in_english(client, db) -> None:
    from sqlalchemy import update

    from models import Expert

    app = application_in(db, S.under_review, NOW)
    keep = db.scalars(select_two_experts()).all()
    db.execute(update(Expert).where(Expert.id.not_in(keep)).values(active=False, deactivated_at=NOW))
    db.commit()
    log_in(client, "hz_city")
    client.get("/language/en")
    shown = post_form(client, f"/applications/{app.id}", {}, target=f"/applications/{app.id}/panel",
                      follow_redirects=True).get_data(as_text=True)
    assert re.search(r"Only [0-2] experts pass the conflict rules, fewer than the 3 needed\. "
                     r"No panel was created; please enlarge the expert pool", shown), shown
    client.get("/language/zh")
    shown = post_form(client, f"/applications/{app.id}", {}, target=f"/applications/{app.id}/panel",
                      follow_redirects=True).get_data(as_text=True)
    assert re.search(r"符合回避规则的专家只有[0-2]人，不足3人，未创建专家组；请扩充专家库", shown)


def select_two_experts():  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from models import Expert

    return select(Expert.id).order_by(Expert.id).limit(2)
