"""Ed25519 signatures on certificates (ARCHITECTURE §8).

Each bureau (jurisdiction) has a key pair; the private half is kept encrypted with the
application's SECRET_KEY, the public halves are published at /.well-known/greencert-keys.json.
A certificate's signed payload names the holder, the designation and the SHA-256 of the PDF,
so a changed PDF or a number that was never issued fails verification.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluators.messages import message
from models import SigningKey

ALGORITHM = "Ed25519"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _secret() -> bytes:
    from workflow import runtime

    return runtime.current().secret_key.encode()


def key_for(session: Session, jurisdiction_code: str, now: datetime) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The jurisdiction's current key, created on first use."""
    row = session.scalar(
        select(SigningKey).where(SigningKey.jurisdiction_code == jurisdiction_code,
                                 SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc())
    )
    if row is None:
        private = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        row = SigningKey(
            key_id=f"{jurisdiction_code}-{_b64(hashlib.sha256(public).digest()[:9])}",
            jurisdiction_code=jurisdiction_code,
            public_key=_b64(public),
            private_key=private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(_secret()),
            ).decode(),
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row, private
    private = serialization.load_pem_private_key(row.private_key.encode(), password=_secret())
    assert isinstance(private, Ed25519PrivateKey)
    return row, private


def sign(session: Session, jurisdiction_code: str, payload: dict[str, Any], now: datetime) -> tuple[str, str]:
    """(key id, signature) over the canonical JSON of the payload."""
    row, private = key_for(session, jurisdiction_code, now)
    return row.key_id, _b64(private.sign(canonical(payload)))


def published_keys(session: Session) -> list[dict[str, Any]]:
    return [
        {"kid": k.key_id, "alg": ALGORITHM, "kty": "OKP", "crv": "Ed25519", "x": k.public_key,
         "jurisdiction": k.jurisdiction_code, "created_at": k.created_at.isoformat(),
         "retired_at": k.retired_at.isoformat() if k.retired_at else None}
        for k in session.scalars(select(SigningKey).order_by(SigningKey.created_at))
    ]


@dataclass(frozen=True)
class Verdict:
    valid: bool
    problem: str = ""


def verify(payload: dict[str, Any], key_id: str, signature: str, keys: list[dict[str, Any]]) -> Verdict:
    key = next((k for k in keys if k["kid"] == key_id), None)
    if key is None:
        return Verdict(False, message("签名密钥“%(key_id)s”不在发证机关公布的公钥中", key_id=key_id))
    public = Ed25519PublicKey.from_public_bytes(_unb64(key["x"]))
    try:
        public.verify(_unb64(signature), canonical(payload))
    except (InvalidSignature, ValueError):
        return Verdict(False, message("签名无效：证书信息被篡改或不是发证机关签发的"))
    return Verdict(True)


def pdf_digest(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


