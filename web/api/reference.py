"""The browsable API reference: Swagger UI, served from the project itself, over the OpenAPI
document at /api/v1/openapi.json. A page, not an operation, so it is not in the document."""
from __future__ import annotations

from typing import Any

from flask import render_template

from web.api import bp


@bp.get("/docs")
def reference() -> Any:
    return render_template("api_docs.html")
