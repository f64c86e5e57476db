"""Well-known documents: the bureaus' certificate-signing public keys."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from web import db
from workflow import signing

bp = Blueprint("wellknown", __name__)


@bp.route("/.well-known/greencert-keys.json")
def keys() -> Any:
    response = jsonify({"keys": signing.published_keys(db.session())})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
