"""What the home pages show, through the API: the applicant's own applications and
designations, the bureau's notices in every state with their progress, a certificate's PDF."""
from __future__ import annotations

from datetime import datetime

from models.enums import ApplicationState as S
from models.enums import CertificateStatus
from models.enums import DesignationState as D
from tests.builders import application_in, designation_in, new_enterprise
from tests.web.apiclient import Api
from workflow import runtime

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def test_an_applicant_lists_only_its_own_applications_page_by_page(client, db) -> None:
    withdrawn = [application_in(db, S.withdrawn, NOW) for _ in range(3)]  # one open application a programme
    submitted = application_in(db, S.submitted, NOW)
    other = application_in(db, S.draft, NOW, applicant=new_enterprise(db, 5))
    db.commit()
    mine = Api(client, "qt_newmat")

    listed = mine.get("/me/applications")
    ids = [a["id"] for a in listed["items"]]
    assert ids == sorted([a.id for a in withdrawn] + [submitted.id], reverse=True)
    assert other.id not in ids
    assert listed["total"] == 4 and listed["pages"] == 1

    first = mine.get("/me/applications?per_page=3&sort=id")
    second = mine.get("/me/applications?per_page=3&sort=id&page=2")
    assert [a["id"] for a in first["items"] + second["items"]] == sorted(ids)
    assert (first["pages"], second["page"]) == (2, 2)

    only = mine.get("/me/applications?state=submitted")["items"]
    assert [(a["id"], a["state"], a["holding_jurisdiction"]) for a in only] == [(submitted.id, "submitted", "330114")]
    assert only[0]["programme"]

    refused = mine.get("/me/applications?state=approved", expect=422)
    assert "state" in refused["error"]["details"]["fields"]
    Api(client, "hz_city").get("/me/applications", expect=403)


def test_an_applicant_lists_its_designations_with_their_certificates(client, db) -> None:
    designation = designation_in(db, D.suspended, NOW)
    db.commit()
    mine = Api(client, "qt_newmat")
    (item,) = mine.get("/me/designations")["items"]
    assert (item["id"], item["state"]) == (designation.id, "suspended")
    assert item["certificate"]["number"] == designation.certificate.number
    assert mine.get("/me/designations?state=active")["items"] == []
    assert Api(client).call("GET", "/me/designations").status_code == 401


def test_staff_list_their_notices_in_every_state_with_progress(client, db) -> None:
    listed = application_in(db, S.public_notice, NOW)
    db.commit()
    city = Api(client, "hz_city")
    (notice,) = city.get("/notices/managed")["items"]
    assert notice["id"] == listed.notice_id
    assert notice["progress"]["listed"] == 1 and notice["state"] == "open"
    assert [a["id"] for a in notice["applications"]] == [listed.id]
    assert city.get("/notices/managed?state=closed")["items"] == []
    assert Api(client, "zj_province").get("/notices/managed")["total"] == 1  # the province above the city
    assert Api(client, "qt_county").get("/notices/managed")["total"] == 0  # the city's programme, not the county's
    Api(client, "qt_newmat").get("/notices/managed", expect=403)


def test_anyone_downloads_an_issued_certificate_and_nothing_else(client, db) -> None:
    designation = designation_in(db, D.active, NOW)
    certificate = designation.certificate
    public = Api(client)
    error = public.get(f"/certificates/{certificate.number}/pdf", expect=404)  # still being rendered
    assert "没有可下载的证书" in error["error"]["message"]

    pdf = b"%PDF-1.7\n% certificate\n%%EOF\n"
    runtime.current().storage.save("certificates/home-test.pdf", pdf)
    certificate.status, certificate.pdf_path, certificate.issued_at = CertificateStatus.issued, \
        "certificates/home-test.pdf", NOW
    db.commit()
    response = public.call("GET", f"/certificates/{certificate.number}/pdf", 200)
    assert response.mimetype == "application/pdf" and response.data == pdf
    response.close()
    public.get("/certificates/330100-GF-2026-9999/pdf", expect=404)
