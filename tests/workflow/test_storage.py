"""The file store's contract, held by the local directory and by an S3 bucket alike (the bucket
served by a real S3-speaking server over HTTP), and how the configuration picks one."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.s3server import S3Server, s3_bucket, s3_credentials, s3_server, s3_storage  # noqa: F401
from workflow.storage import LocalStorage, S3Storage, Storage, StorageError, open_storage

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 300 + b"\n%%EOF\n"  # binary, larger than one read chunk


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return request.getfixturevalue("s3_storage")


def test_a_saved_file_reads_back_byte_for_byte(store: Storage) -> None:
    store.save("evidence/3f2a.pdf", PDF)

    assert store.read("evidence/3f2a.pdf") == PDF
    opened = store.open("evidence/3f2a.pdf")
    with opened.stream:
        assert opened.stream.read() == PDF
    assert opened.size == len(PDF)
    assert store.exists("evidence/3f2a.pdf")
    assert not store.exists("evidence/other.pdf")


def test_saving_again_replaces_the_whole_file_and_changes_its_etag(store: Storage) -> None:
    store.save("certificates/330100-GF-2026-0001.pdf", PDF)
    first = store.open("certificates/330100-GF-2026-0001.pdf")
    first.stream.close()

    store.save("certificates/330100-GF-2026-0001.pdf", b"%PDF-1.7 re-issued")

    second = store.open("certificates/330100-GF-2026-0001.pdf")
    with second.stream:
        assert second.stream.read() == b"%PDF-1.7 re-issued"
    assert second.size == len(b"%PDF-1.7 re-issued") and second.etag != first.etag


def test_keys_list_every_file_in_order_and_delete_removes_only_those_named(store: Storage) -> None:
    assert store.keys() == []
    for key in ("objections/b.png", "evidence/2026/能源审计报告.pdf", "certificates/x.pdf", "evidence/a.pdf"):
        store.save(key, key.encode())

    assert store.keys() == ["certificates/x.pdf", "evidence/2026/能源审计报告.pdf", "evidence/a.pdf",
                            "objections/b.png"]
    assert store.read("evidence/2026/能源审计报告.pdf") == "evidence/2026/能源审计报告.pdf".encode()
    store.delete(["evidence/a.pdf", "objections/b.png", "evidence/never-saved.pdf"])
    assert store.keys() == ["certificates/x.pdf", "evidence/2026/能源审计报告.pdf"]


def test_a_missing_file_is_file_not_found(store: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        store.read("evidence/missing.pdf")
    with pytest.raises(FileNotFoundError):
        store.open("evidence/missing.pdf")


@pytest.mark.parametrize("key", ["../secret_key", "evidence/../../x", "/etc/passwd", "evidence//a.pdf",
                                 "evidence/./a.pdf", "", "evidence\\a.pdf"])
def test_a_key_that_leaves_the_store_is_refused(store: Storage, key: str) -> None:
    with pytest.raises(ValueError, match="escapes the storage root"):
        store.save(key, b"x")
    with pytest.raises(ValueError, match="escapes the storage root"):
        store.read(key)
    assert store.keys() == []


def test_a_local_store_lists_no_half_written_temporary_file(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "files")
    store.save("evidence/a.pdf", PDF)
    (tmp_path / "files" / "evidence" / ".tmp-abc123").write_bytes(b"half")

    assert store.keys() == ["evidence/a.pdf"]


def test_stores_under_two_prefixes_of_one_bucket_do_not_see_each_other(
        s3_server: S3Server, s3_bucket: str, s3_credentials: None) -> None:  # noqa: F811
    city = S3Storage(s3_bucket, "hangzhou", endpoint_url=s3_server.endpoint_url)
    province = S3Storage(s3_bucket, "/zhejiang/", endpoint_url=s3_server.endpoint_url)
    city.save("evidence/a.pdf", b"city")
    province.save("evidence/a.pdf", b"province")

    assert city.keys() == province.keys() == ["evidence/a.pdf"]
    assert (city.read("evidence/a.pdf"), province.read("evidence/a.pdf")) == (b"city", b"province")
    assert s3_server.objects(s3_bucket) == {"hangzhou/evidence/a.pdf": b"city", "zhejiang/evidence/a.pdf": b"province"}


def test_a_bucket_that_does_not_exist_is_named_in_the_error(
        s3_server: S3Server, s3_credentials: None) -> None:  # noqa: F811
    store = S3Storage("greencert-no-such-bucket", "files", endpoint_url=s3_server.endpoint_url)

    with pytest.raises(StorageError, match=r"s3://greencert-no-such-bucket/files .* refused the request: NoSuchBucket"):
        store.save("evidence/a.pdf", b"x")


def test_the_configuration_picks_the_bucket_or_the_directory(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str, s3_credentials: None) -> None:  # noqa: F811
    local = open_storage(None, tmp_path / "files")
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "files").resolve()
    assert isinstance(open_storage("", tmp_path / "files"), LocalStorage)

    bucket = open_storage(f"s3://{s3_bucket}/greencert/files/", tmp_path / "files",
                          endpoint_url=s3_server.endpoint_url)
    assert isinstance(bucket, S3Storage) and (bucket.bucket, bucket.prefix) == (s3_bucket, "greencert/files")
    bucket.save("evidence/a.pdf", b"x")
    assert s3_server.objects(s3_bucket) == {"greencert/files/evidence/a.pdf": b"x"}
    assert not (tmp_path / "files").exists()

    whole = open_storage(f"s3://{s3_bucket}", tmp_path / "files", endpoint_url=s3_server.endpoint_url)
    assert whole.keys() == ["greencert/files/evidence/a.pdf"]


@pytest.mark.parametrize("url", ["/srv/greencert/files", "s3:/bucket", "gs://bucket/files", "s3://bucket/files?x=1"])
def test_a_storage_url_that_is_not_an_s3_bucket_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="STORAGE_URL must look like s3://bucket/prefix"):
        open_storage(url, tmp_path)
