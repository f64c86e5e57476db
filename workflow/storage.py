"""File storage for evidence, objection evidence and certificates.

Files are addressed by keys such as `evidence/<uuid>.pdf` or `certificates/<number>.pdf`. Two
stores hold them behind one interface: a directory on the local filesystem (the default) and
a bucket of an S3-compatible object store (AWS S3, MinIO, Aliyun OSS, Tencent COS, ...), so that
web and worker processes on several machines share the same files.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlsplit


@dataclass
class StoredFile:
    """An open stored file: read `stream` (and close it) to get `size` bytes."""

    stream: BinaryIO
    size: int
    modified: datetime
    etag: str


class StorageError(OSError):
    """The file store cannot be reached or refuses the request (not: the file is not there)."""


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def read(self, key: str) -> bytes: ...
    def open(self, key: str) -> StoredFile: ...
    def exists(self, key: str) -> bool: ...
    def keys(self) -> list[str]: ...
    def delete(self, keys: Iterable[str]) -> None: ...
    def describe(self) -> str: ...


def checked(key: str) -> str:
    """A key is a relative path of plain names: no empty, `.` or `..` parts, no leading slash."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\\" in key:
        raise ValueError(f"storage key escapes the storage root: {key!r}")
    return key


class LocalStorage:
    """A directory; writes are atomic renames, so a reader never sees half a file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def describe(self) -> str:
        return str(self.root)

    def path(self, key: str) -> Path:
        path = (self.root / checked(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    def save(self, key: str, data: bytes) -> None:
        """Write atomically: a reader sees the old file or the whole new one, never a part."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def open(self, key: str) -> StoredFile:
        stream = self.path(key).open("rb")
        stat = os.fstat(stream.fileno())
        return StoredFile(stream, stat.st_size, datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                          f"{stat.st_mtime_ns:x}-{stat.st_size:x}")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                      if p.is_file() and not p.name.startswith(".tmp-"))

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.path(key).unlink(missing_ok=True)


class S3Storage:
    """A bucket (under an optional key prefix) of an S3-compatible object store.

    A PUT is atomic on S3: a reader sees the old object or the whole new one, as with
    LocalStorage. The bucket stays private; the web app streams files to users after its own
    access check. Credentials and region come from boto3's usual chain (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, an instance role, ...).
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.client = client if client is not None else _s3_client(endpoint_url)

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def _object(self, key: str) -> str:
        return f"{self.prefix}/{checked(key)}" if self.prefix else checked(key)

    @contextmanager
    def _request(self, key: str = "") -> Iterator[None]:
        """Say which store failed and how; a missing object is FileNotFoundError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if key and code in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(f"{key} is not in {self.describe()}") from None
            raise StorageError(f"the file store {self.describe()} refused the request: {code} "
                               f"{error.response.get('Error', {}).get('Message', '')}".rstrip()) from error
        except BotoCoreError as error:
            raise StorageError(f"the file store {self.describe()} cannot be reached: {error}") from error

    def save(self, key: str, data: bytes) -> None:
        with self._request():
            self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)

    def read(self, key: str) -> bytes:
        stored = self.open(key)
        with stored.stream, self._request(key):
            return stored.stream.read()

    def open(self, key: str) -> StoredFile:
        with self._request(key):
            found = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        return StoredFile(found["Body"], found["ContentLength"], found["LastModified"],
                          found["ETag"].strip('"'))

    def exists(self, key: str) -> bool:
        try:
            with self._request(key):
                self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except FileNotFoundError:
            return False
        return True

    def keys(self) -> list[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        found: list[str] = []
        with self._request():
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                found.extend(item["Key"][len(start):] for item in page.get("Contents", []))
        return sorted(found)

    def delete(self, keys: Iterable[str]) -> None:
        names = [self._object(key) for key in keys]
        for first in range(0, len(names), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = [{"Key": name} for name in names[first:first + 1000]]
            with self._request():
                answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                failed = answer["Errors"][0]
                raise StorageError(f"could not delete {failed['Key']} from {self.describe()}: "
                                   f"{failed.get('Message', failed.get('Code'))}")


def _s3_client(endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5, read_timeout=60, retries={"mode": "standard", "max_attempts": 5},
        # Many S3-compatible stores reject the CRC checksums boto3 adds by default since 1.36;
        # send and check them only where the S3 API requires them.
        request_checksum_calculation="when_required", response_checksum_validation="when_required",
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url or None, config=config)


def open_storage(url: str | None, directory: str | os.PathLike[str], *,
                 endpoint_url: str | None = None) -> LocalStorage | S3Storage:
    """The configured store: `s3://bucket[/prefix]` in `url`, else the local `directory`."""
    if not url:
        return LocalStorage(directory)
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"STORAGE_URL must look like s3://bucket/prefix, not {url!r}; "
                         "leave it unset to keep files under STORAGE_DIR")
    return S3Storage(parts.netloc, parts.path, endpoint_url=endpoint_url)

