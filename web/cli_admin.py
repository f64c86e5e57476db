"""Administrative commands of `greencert`: audit, backup and restore."""
from __future__ import annotations

import sys

import click

from web.cli import _database, _say, main

@main.group()
def audit() -> None:
    """The hash-chained transition log and audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check both chains; name the first changed, inserted or deleted row (exit 1 if any)."""
    from workflow import audit as audit_log

    with _database() as factory, factory() as session:
        reports = audit_log.verify(session)
    for report in reports:
        if report.intact:
            click.echo(f"OK {report.table}: {report.rows} rows, chain intact, head {report.head}")
        else:
            broken = report.broken
            click.echo(f"BROKEN {report.table}: row {broken.row_id} {broken.problem}: {broken.message}")
    if not all(report.intact for report in reports):
        _say("the logs have been tampered with: restore them from a backup and investigate")
        sys.exit(1)
