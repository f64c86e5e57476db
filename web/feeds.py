"""The public Atom feed of designation changes (认定、整改、暂停、撤销、到期), for other systems."""
from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, url_for
from sqlalchemy import select

from models import Designation, TransitionLog
from models.enums import KIND_LABELS, TIER_LABELS
from web import db
from workflow.machines import state_label, trigger_label

bp = Blueprint("feeds", __name__)
ATOM = "http://www.w3.org/2005/Atom"
PUBLIC_REASONS = {"revoked", "suspended", "rectifying", "withdrawn"}


@bp.route("/feed.atom")
def atom() -> Any:
    rows = list(db.session().scalars(select(TransitionLog).where(TransitionLog.entity == "designation")
                                     .order_by(TransitionLog.id.desc()).limit(200)))
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "绿色低碳认定名录变动"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = request.url_root.rstrip("/") + "/feed.atom"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = (rows[0].at if rows else _epoch()).isoformat()
    ET.SubElement(feed, f"{{{ATOM}}}link", href=request.url, rel="self")
    for row in rows:
        designation = db.session().get(Designation, row.entity_id)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        event = "认定" if row.trigger == "grant" else trigger_label(row.trigger)
        holder = designation.enterprise.name
        ET.SubElement(entry, f"{{{ATOM}}}title").text = (
            f"{holder}：{TIER_LABELS[designation.tier]}{KIND_LABELS[designation.kind]}{event}")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"{request.url_root.rstrip('/')}/feed/{row.id}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = row.at.isoformat()
        certificate = designation.certificate
        if certificate is not None:
            ET.SubElement(entry, f"{{{ATOM}}}link",
                          href=url_for("pages.verify", number=certificate.number, _external=True))
        summary = f"状态：{state_label(row.to_state)}；统一社会信用代码：{designation.enterprise.uscc}"
        if row.to_state in PUBLIC_REASONS and row.reason:
            summary += f"；原因：{row.reason}"
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype="application/atom+xml")


def _epoch() -> Any:
    from datetime import datetime, timezone

    return datetime(2020, 1, 1, tzinfo=timezone.utc)
