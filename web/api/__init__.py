"""The JSON API under /api/v1."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import accounts, console, endpoints, experts, homes, management, reference, reviews  # noqa: E402,F401  (register their routes on bp)
