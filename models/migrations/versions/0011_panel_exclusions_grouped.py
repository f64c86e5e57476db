"""a panel report keeps its excluded experts once for each set of reasons

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 10:00:00
"""
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

panels = sa.table("panels", sa.column("id", sa.Integer), sa.column("report", sa.JSON))


def upgrade() -> None:
    # "excluded": a line per expert → "exclusions": the reasons once, with [id, name] of each expert
    rewrite(lambda record: record.pop("excluded", None), "exclusions", grouped)


def downgrade() -> None:
    rewrite(lambda record: record.pop("exclusions", None), "excluded", lines)


def rewrite(take: Any, key: str, convert: Any) -> None:
    connection = op.get_bind()
    for panel_id, report in connection.execute(sa.select(panels.c.id, panels.c.report)).all():
        report = json.loads(report) if isinstance(report, str) else report
        changed = False
        for record in [report, *report.get("vacancies", [])] if report else []:
            found = take(record)
            if found is not None:
                record[key], changed = convert(found), True
        if changed:
            connection.execute(panels.update().where(panels.c.id == panel_id).values(report=report))


def grouped(excluded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept: dict[str, dict[str, Any]] = {}
    for line in excluded:
        entry = {"rules": line.get("rules") or [line["rule"]], "reason": line["reason"],
                 "reason_messages": line.get("reason_messages", [])}
        entry = kept.setdefault(json.dumps(entry, sort_keys=True), {**entry, "experts": []})
        entry["experts"].append([line["expert_id"], line["expert"]])
    return list(kept.values())


def lines(exclusions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        ({"expert_id": expert_id, "expert": name, "rule": entry["rules"][0], "rules": entry["rules"],
          "reason": entry["reason"], "reason_messages": entry.get("reason_messages", [])}
         for entry in exclusions for expert_id, name in entry["experts"]),
        key=lambda line: line["expert_id"],
    )
