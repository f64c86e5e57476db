"""Configuration from the environment, with the embedded default (SQLite, in-process jobs)."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflow.storage import Storage, open_storage

ROOT = Path(__file__).resolve().parent.parent


def instance_dir() -> Path:
    path = Path(os.environ.get("GREENCERT_INSTANCE", ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def storage(config: Mapping[str, Any]) -> Storage:
    """The file store the configuration names: the S3 bucket of STORAGE_URL, else STORAGE_DIR."""
    return open_storage(config.get("STORAGE_URL"), config["STORAGE_DIR"],
                        endpoint_url=config.get("S3_ENDPOINT_URL"))


def from_environment() -> dict[str, Any]:
    instance = instance_dir()
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'greencert.db'}",
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "SECRET_KEY": _secret_key(instance),
        "STORAGE_DIR": os.environ.get("STORAGE_DIR") or str(instance / "files"),
        # s3://bucket/prefix keeps the files in an S3-compatible object store instead of
        # STORAGE_DIR; S3_ENDPOINT_URL names a store other than AWS (MinIO, OSS, COS, ...).
        "STORAGE_URL": os.environ.get("STORAGE_URL") or None,
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Behind N reverse proxies (nginx, a load balancer), trust their X-Forwarded-For/-Proto/-Host
        # headers: the throttles and the sign-in lock-out then see each visitor's own address.
        # 0 (the default) ignores those headers, which anyone can forge.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS") or 0),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_AS_ASCII": False,
    }
