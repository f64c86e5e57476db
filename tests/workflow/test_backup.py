"""`greencert backup` and `greencert restore`: every table's rows and every stored file come
back exactly, from SQLite or PostgreSQL into either; a non-empty target, a damaged archive and an
unmigrated database are refused."""
from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import Base
from models.enums import ApplicationState as S
from models.enums import Role
from tests.builders import after_notice, application_in, user
from tests.conftest import PG_URL, drop_postgres_schema, new_postgres_schema
from web.cli import main
from workflow import accounts, backup
from workflow.db import make_engine
from workflow.demo import PASSWORD

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass
class Place:
    """A database and a storage directory, as the command sees them."""

    url: str
    engine: Engine
    storage: Path
    instance: Path

    def run(self, *args: str) -> Result:
        env = {"DATABASE_URL": self.url, "STORAGE_DIR": str(self.storage), "REDIS_URL": "",
               "GREENCERT_INSTANCE": str(self.instance), "BASE_URL": "http://greencert.test"}
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def place(kind: str, root: Path) -> Iterator[Place]:
    root.mkdir()
    if kind == "sqlite":
        url = f"sqlite:///{root / 'greencert.db'}"
        engine = make_engine(url)
        yield Place(url, engine, root / "files", root / "instance")
        engine.dispose()
        return
    engine, schema = new_postgres_schema()
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield Place(f"{PG_URL}{separator}options=-csearch_path%3D{schema}", engine, root / "files", root / "instance")
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


@pytest.fixture(params=BACKENDS)
def source(request, tmp_path: Path) -> Iterator[Place]:
    yield from place(request.param, tmp_path / "source")


@pytest.fixture(params=BACKENDS)
def target(request, tmp_path: Path) -> Iterator[Place]:
    yield from place(request.param, tmp_path / "target")


def lived_in(source: Place) -> None:
    """The demo world after a designation with its certificate PDF, logins, and an odd file."""
    assert source.run("demo", "--no-serve", "--bare").exit_code == 0
    with Session(source.engine) as session:
        app = application_in(session, S.public_notice, NOW)
        accounts.authenticate(session, "hz_city", "wrong", NOW)
        accounts.authenticate(session, "hz_city", PASSWORD, NOW)
        accounts.issue_token(session, user(session, "hz_city"), NOW, label="数据对接")
        session.commit()
        at = after_notice(app).isoformat()
    assert json.loads(source.run("tick", "--at", at).stdout)["designated"]
    evidence = source.storage / "evidence" / "2026" / "能源审计报告.pdf"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_bytes(bytes(range(256)) * 40)


def table_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {table.name: [dict(row) for row in connection.execute(
            select(table).order_by(*table.primary_key.columns)).mappings()]
            for table in Base.metadata.sorted_tables}


def stored_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_round_trip_brings_back_every_row_and_every_file(source: Place, target: Place, tmp_path: Path) -> None:
    lived_in(source)
    archive = tmp_path / "greencert-backup.tar.gz"

    made = source.run("backup", str(archive))

    assert made.exit_code == 0, made.output
    written = json.loads(made.stdout)
    assert written["files"] == 2 and written["tables"] == len(Base.metadata.sorted_tables)
    assert target.run("db", "upgrade").exit_code == 0
    restored = target.run("restore", str(archive))
    assert restored.exit_code == 0, restored.output

    before, after = table_rows(source.engine), table_rows(target.engine)
    assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}
    for name in before:
        assert after[name] == before[name], name
    assert stored_files(target.storage) == stored_files(source.storage)
    assert min(stored_files(target.storage)).startswith("certificates/")  # the rendered PDF
    # The chains survive the move, and the restored system takes new records.
    verified = target.run("audit", "verify")
    assert verified.exit_code == 0 and verified.stdout.count("OK ") == 2
    with Session(target.engine) as session:
        assert accounts.authenticate(session, "hz_city", PASSWORD, NOW) is not None
        accounts.add_user(session, username="new_staff", password=PASSWORD, role=Role.staff,
                          jurisdiction="330100")
        session.commit()
    assert target.run("audit", "verify").exit_code == 0


def test_restore_refuses_a_database_in_use_unless_forced(source: Place, target: Place, tmp_path: Path) -> None:
    assert source.run("demo", "--no-serve", "--bare").exit_code == 0
    archive = tmp_path / "backup.tar.gz"
    assert source.run("backup", str(archive)).exit_code == 0
    assert target.run("demo", "--no-serve", "--bare").exit_code == 0
    with Session(target.engine) as session:
        accounts.add_user(session, username="only_in_target", password=PASSWORD,
                          role=Role.admin)
        session.commit()

    refused = target.run("restore", str(archive))

    assert refused.exit_code == 2
    assert "the target is not empty (rows in enterprises: 1, targets: 8, users: 16," in refused.stderr
    assert "restore with --force to replace it" in refused.stderr
    forced = target.run("restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert table_rows(target.engine) == table_rows(source.engine)
    assert source.run("backup", str(archive)).exit_code == 2  # an existing file is never overwritten


def test_a_damaged_archive_is_refused_before_anything_changes(source: Place, tmp_path: Path) -> None:
    assert source.run("demo", "--no-serve", "--bare").exit_code == 0
    archive = tmp_path / "backup.tar.gz"
    assert source.run("backup", str(archive)).exit_code == 0
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    users = unpacked / "database" / "users.jsonl"
    users.write_text(users.read_text(encoding="utf-8").replace('"role": "staff"', '"role": "admin"'),
                     encoding="utf-8")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        for path in sorted(unpacked.rglob("*")):
            if path.is_file():
                tar.add(path, path.relative_to(unpacked).as_posix())
    before = table_rows(source.engine)

    refused = source.run("restore", "--force", str(damaged))

    assert refused.exit_code == 2
    assert "damaged: the checksum of database/users.jsonl does not match its manifest" in refused.stderr
    assert table_rows(source.engine) == before


def test_restore_needs_a_migrated_database(source: Place, tmp_path: Path) -> None:
    assert source.run("demo", "--no-serve", "--bare").exit_code == 0
    archive = tmp_path / "backup.tar.gz"
    assert source.run("backup", str(archive)).exit_code == 0
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")

    with pytest.raises(backup.NotPossible) as refused:
        backup.restore(empty, tmp_path / "files", archive)
    empty.dispose()

    assert "run `greencert db upgrade` first" in refused.value.message
