"""The application form is built from each guideline's data file: a park, a supply chain and
GB/T 36132-2025 are filled and submitted through the page like the 2018 factory form."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from evaluators.examples import example_document
from models.enums import Kind, Tier
from tests.builders import user
from workflow import applications

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
GUIDELINES = [("factory-gbt36132-2025", Kind.factory), ("park-miit-2016", Kind.park),
              ("supply-chain-miit-2016", Kind.supply_chain)]


def form_fields(document: dict) -> dict[str, str]:
    def text(value: object) -> str:
        return "true" if value is True else "false" if value is False else "" if value is None else str(value)

    fields = {"year": str(document["year"])}
    for section in ("indicators", "basic", "vetoes", "energy", "renewables", "output"):
        for key, value in (document.get(section) or {}).items():
            if not isinstance(value, (list, dict)):
                fields[f"{section}.{key}"] = text(value)
    for index, earlier in enumerate(document.get("years") or []):
        fields[f"years.{index}.year"] = str(earlier["year"])
        for key, value in earlier["indicators"].items():
            fields[f"years.{index}.indicators.{key}"] = text(value)
    return fields


@pytest.mark.parametrize(("key", "kind"), GUIDELINES)
def test_the_form_of_each_guideline_saves_and_submits(client, db, key, kind) -> None:
    today = date.today()
    programme = applications.create_programme(
        db, user(db, "hz_city"), kind=kind, tier=Tier.city, jurisdiction="330100", guideline=key,
        opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=30), pass_mark=60.0)
    app = applications.create_application(db, user(db, "qt_newmat"), programme.id, NOW)
    db.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": "qt_newmat", "password": "greencert-demo", "csrf_token": token})
    form = client.get(f"/portal/applications/{app.id}/form").get_data(as_text=True)
    guideline_fields = form_fields(example_document(key, "pass"))
    for name in list(guideline_fields)[:5]:
        assert f'name="{name}"' in form
    if kind is Kind.park:
        assert "园区须填报连续三年数据" in form
    data = {"csrf_token": token, "action": "save", **guideline_fields}
    assert client.post(f"/portal/applications/{app.id}/form", data=data).status_code == 302
    data["action"] = "submit"
    response = client.post(f"/portal/applications/{app.id}/form", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.expire_all()
    assert app.state.value == "submitted"
    if kind is Kind.park:
        assert len(app.data["years"]) == 2


def test_the_form_names_the_consultants_to_keep_off_the_panel(client, db) -> None:
    from models.enums import ApplicationState as S
    from tests.builders import application_in
    from workflow.demo import with_check

    app = application_in(db, S.draft, NOW)
    db.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": "qt_newmat", "password": "greencert-demo", "csrf_token": token})
    url = f"/portal/applications/{app.id}/form"
    bad = client.post(url, data={"csrf_token": token, "action": "save", "consultants.0.name": "浙江绿评咨询",
                                 "consultants.0.uscc": "91330106"})
    assert bad.status_code == 422 and "应为18位" in bad.get_data(as_text=True)
    assert 'value="浙江绿评咨询"' in bad.get_data(as_text=True)
    code = with_check("91330106MA2C0N7L1")
    good = client.post(url, data={"csrf_token": token, "action": "save", "consultants.0.name": "浙江绿评咨询",
                                  "consultants.0.uscc": code})
    assert good.status_code == 302
    db.expire_all()
    assert app.data["consultants"] == [{"name": "浙江绿评咨询", "uscc": code}]
