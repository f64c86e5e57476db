"""Administrative commands of `greencert`: audit, backup and restore."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from web.cli import _database, _say, main
from web.config import from_environment, storage
from workflow.storage import Storage


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


def _file_store() -> Storage:
    try:
        return storage(from_environment())
    except ValueError as error:
        _say(f"refused: {error}")
        sys.exit(2)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Write the database and every stored file (STORAGE_DIR or STORAGE_URL) to one archive FILE."""
    from workflow import backup as archive
    from workflow.clock import now
    from workflow.errors import WorkflowError

    if file.exists():
        _say(f"refused: {file} exists; choose a new file name")
        sys.exit(2)
    try:
        with _database() as factory:
            result = archive.backup(factory.kw["bind"], _file_store(), file, now())
    except WorkflowError as error:
        _say(f"refused: {error.message}")
        sys.exit(2)
    click.echo(json.dumps({"file": str(file), **result}, ensure_ascii=False))
    _say(f"backup written to {file}: {result['rows']} rows in {result['tables']} tables, {result['files']} files")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace the data and files already there")
def restore(file: Path, force: bool) -> None:
    """Load a backup FILE into a migrated, empty database and file store (or replace, with --force)."""
    from workflow import backup as archive
    from workflow.errors import WorkflowError

    try:
        with _database() as factory:
            result = archive.restore(factory.kw["bind"], _file_store(), file, force=force)
    except WorkflowError as error:
        _say(f"refused: {error.message}")
        sys.exit(2)
    click.echo(json.dumps({"file": str(file), **result}, ensure_ascii=False))
    _say(f"restored {result['rows']} rows in {result['tables']} tables and {result['files']} files from {file}")
