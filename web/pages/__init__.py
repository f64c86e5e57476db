"""Server-rendered pages for each audience: public, applicant, bureau staff, experts."""
from flask import Blueprint

bp = Blueprint("pages", __name__)

from web.pages import account, applicant, expert, experts, mail, notices_admin, public, staff  # noqa: E402,F401
from web.pages import inbox  # noqa: E402,F401
