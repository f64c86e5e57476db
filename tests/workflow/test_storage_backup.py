"""`greencert backup` and `greencert restore` with the files in an S3 bucket: the archive holds
the bucket's files (the rendered certificate among them), and restores into a directory or into
another bucket, which must be empty unless forced."""
from __future__ import annotations

import json
import tarfile
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import Base
from models.enums import ApplicationState as S
from tests.builders import after_notice, application_in
from tests.s3server import S3Server, s3_bucket, s3_credentials, s3_server  # noqa: F401
from web.cli import main
from workflow.db import make_engine
from workflow.storage import LocalStorage, S3Storage

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
EVIDENCE = "evidence/2026/能源审计报告.pdf"


class Place:
    """A SQLite database and a file store (a bucket, or a directory), as the command sees them."""

    def __init__(self, root: Path, *, bucket: str | None = None, server: S3Server | None = None) -> None:
        root.mkdir()
        self.url = f"sqlite:///{root / 'greencert.db'}"
        self.engine = make_engine(self.url)
        self.directory = root / "files"
        self.env = {"DATABASE_URL": self.url, "STORAGE_DIR": str(self.directory), "REDIS_URL": "",
                    "GREENCERT_INSTANCE": str(root / "instance"), "BASE_URL": "http://greencert.test",
                    "STORAGE_URL": "", "S3_ENDPOINT_URL": ""}
        if bucket is not None and server is not None:
            self.env.update(STORAGE_URL=f"s3://{bucket}/greencert", S3_ENDPOINT_URL=server.endpoint_url)
            self.store: S3Storage | LocalStorage = S3Storage(bucket, "greencert", endpoint_url=server.endpoint_url)
        else:
            self.store = LocalStorage(self.directory)

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env, catch_exceptions=False)

    def files(self) -> dict[str, bytes]:
        return {key: self.store.read(key) for key in self.store.keys()}


def rows(engine: Engine) -> dict[str, list[dict]]:
    with engine.connect() as connection:
        return {table.name: [dict(row) for row in connection.execute(
            select(table).order_by(*table.primary_key.columns)).mappings()]
            for table in Base.metadata.sorted_tables}


def designated_with_files(place: Place) -> None:
    """The demo accounts, a designation whose certificate the tick renders into the store, and
    an evidence file with a Chinese name."""
    assert place.run("demo", "--no-serve", "--bare").exit_code == 0
    with Session(place.engine) as session:
        app = application_in(session, S.public_notice, NOW)
        session.commit()
        at = after_notice(app).isoformat()
    assert json.loads(place.run("tick", "--at", at).stdout)["designated"]
    place.store.save(EVIDENCE, bytes(range(256)) * 40)


def test_a_backup_of_a_bucket_restores_into_a_directory_and_into_another_bucket(
        tmp_path: Path, s3_server: S3Server, s3_credentials: None) -> None:  # noqa: F811
    source = Place(tmp_path / "source", bucket=s3_server.new_bucket(), server=s3_server)
    designated_with_files(source)
    certificate = next(key for key in source.store.keys() if key.startswith("certificates/"))
    assert source.store.read(certificate).startswith(b"%PDF")
    assert not source.directory.exists()  # nothing went to the local directory
    archive = tmp_path / "greencert-backup.tar.gz"

    made = source.run("backup", str(archive))

    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["files"] == 2
    with tarfile.open(archive) as tar:
        assert {f"files/{certificate}", f"files/{EVIDENCE}"} <= set(tar.getnames())

    into_directory = Place(tmp_path / "directory")
    assert into_directory.run("db", "upgrade").exit_code == 0
    restored = into_directory.run("restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert into_directory.files() == source.files()
    assert rows(into_directory.engine) == rows(source.engine)

    other = s3_server.new_bucket()
    into_bucket = Place(tmp_path / "bucket", bucket=other, server=s3_server)
    assert into_bucket.run("db", "upgrade").exit_code == 0
    into_bucket.store.save("evidence/left-over.pdf", b"from before")
    refused = into_bucket.run("restore", str(archive))
    assert refused.exit_code == 2
    assert f"the target is not empty (files in s3://{other}/greencert at {s3_server.endpoint_url})" in refused.stderr
    forced = into_bucket.run("restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert into_bucket.files() == source.files()
    assert set(s3_server.objects(other)) == {f"greencert/{certificate}", f"greencert/{EVIDENCE}"}
    assert rows(into_bucket.engine) == rows(source.engine)


def test_a_backup_of_a_directory_restores_into_a_bucket(
        tmp_path: Path, s3_server: S3Server, s3_credentials: None) -> None:  # noqa: F811
    """The way from one machine's directory to a shared bucket when scaling out."""
    source = Place(tmp_path / "source")
    designated_with_files(source)
    archive = tmp_path / "greencert-backup.tar.gz"
    assert source.run("backup", str(archive)).exit_code == 0

    target = Place(tmp_path / "target", bucket=s3_server.new_bucket(), server=s3_server)
    assert target.run("db", "upgrade").exit_code == 0
    restored = target.run("restore", str(archive))

    assert restored.exit_code == 0, restored.output
    assert target.files() == source.files() and len(target.files()) == 2


def test_a_bad_storage_url_is_refused_with_its_reason(tmp_path: Path) -> None:
    place = Place(tmp_path / "place")
    place.env["STORAGE_URL"] = "/srv/greencert/files"

    refused = place.run("backup", str(tmp_path / "backup.tar.gz"))

    assert refused.exit_code == 2
    assert "refused: STORAGE_URL must look like s3://bucket/prefix, not '/srv/greencert/files'" in refused.stderr
    assert not (tmp_path / "backup.tar.gz").exists()
