"""Who may reach what: every page and API endpoint × every actor, with the expected answer.

ok     the request passes access control (any answer but 401, 403 and 404: the action
       itself may still be refused with 409 or 422 for its state or input)
401    API: not signed in
login  page: not signed in, sent to the login page
403    signed in, but not allowed
404    the record's existence is private to this actor

Actors: anon; owner (applicant of the owning enterprise); other_applicant; panel_expert (on
the application's panel); other_expert; holding_staff (杭州市, where the application is held
and decided); parent_staff (浙江省); sibling_staff (宁波市); admin. A route missing from this
table fails the suite.
"""
from __future__ import annotations

ACTORS = ("anon", "owner", "other_applicant", "panel_expert", "other_expert", "holding_staff",
          "parent_staff", "sibling_staff", "admin")


def row(default: str, **overrides: str) -> dict[str, str]:
    unknown = set(overrides) - set(ACTORS)
    assert not unknown, unknown
    return {actor: overrides.get(actor, default) for actor in ACTORS}


PUBLIC = row("ok")
SIGNED_IN = row("ok", anon="401")
SIGNED_IN_PAGE = row("ok", anon="login")
STAFF_API = row("403", anon="401", holding_staff="ok", parent_staff="ok", sibling_staff="ok")
# An application of 杭州钱塘新材料: visible to its owner, its panel, and staff over its county.
SEES_APPLICATION = row("ok", other_applicant="404", other_expert="404", sibling_staff="404")
STAFF_OR_ADMIN = {**STAFF_API, "admin": "ok"}
STAFF_OR_ADMIN_PAGE = {**STAFF_OR_ADMIN, "anon": "login"}
SEES_DESIGNATION = row("ok", other_applicant="404", panel_expert="404", other_expert="404", sibling_staff="404")

MATRIX: dict[tuple[str, str], dict[str, str]] = {
    # Public pages and documents
    ("GET", "/"): PUBLIC,
    ("GET", "/.well-known/greencert-keys.json"): PUBLIC,
    ("GET", "/directory"): PUBLIC,
    ("GET", "/feed.atom"): PUBLIC,
    ("GET", "/notices"): PUBLIC,
    ("GET", "/notices/<int:notice_id>"): PUBLIC,
    ("POST", "/notices/<int:notice_id>"): PUBLIC,
    ("GET", "/verify"): PUBLIC,
    ("POST", "/verify"): PUBLIC,
    ("GET", "/verify/<number>"): PUBLIC,
    ("GET", "/language/zh"): PUBLIC,
    ("GET", "/language/en"): PUBLIC,
    ("GET", "/certificates/<number>.pdf"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/register"): PUBLIC,
    ("POST", "/register"): PUBLIC,
    ("GET", "/password-reset"): PUBLIC,
    ("POST", "/password-reset"): PUBLIC,
    ("GET", "/password-reset/<token>"): row("404"),  # an unknown or used link
    ("POST", "/password-reset/<token>"): row("404"),
    # The inbox (站内消息): everyone signed in; someone else's message is not found
    ("GET", "/inbox"): SIGNED_IN_PAGE,
    ("POST", "/inbox/<int:notification_id>/read"): row("404", anon="login", owner="ok"),
    ("POST", "/inbox/read"): SIGNED_IN_PAGE,
    # Applicant portal
    ("GET", "/portal"): row("403", anon="login", owner="ok", other_applicant="ok"),
    ("POST", "/portal/applications"): row("403", anon="login", owner="ok", other_applicant="ok"),
    ("GET", "/portal/applications/<int:application_id>/form"): row("403", anon="login", owner="ok", other_applicant="404"),
    ("POST", "/portal/applications/<int:application_id>/form"): row("403", anon="login", owner="ok", other_applicant="404"),
    ("POST", "/portal/applications/<int:application_id>/evidence"): row("403", anon="login", owner="ok",
                                                                       other_applicant="404"),
    # The application page and its actions (trigger: request_clarification)
    ("GET", "/applications/<int:application_id>"): {**SEES_APPLICATION, "anon": "login"},
    ("POST", "/applications/<int:application_id>/actions"): {
        **SEES_APPLICATION, "anon": "login", "owner": "403", "parent_staff": "403", "admin": "403"},
    ("POST", "/applications/<int:application_id>/panel"): row(
        "403", anon="login", holding_staff="ok", sibling_staff="404"),
    # Bureau console
    ("GET", "/console"): row("403", anon="login", holding_staff="ok", parent_staff="ok", sibling_staff="ok",
                             admin="ok"),
    ("GET", "/console/programmes/new"): row("403", anon="login", holding_staff="ok", parent_staff="ok",
                                            sibling_staff="ok"),
    ("POST", "/console/programmes/new"): row("403", anon="login", holding_staff="ok", parent_staff="ok",
                                             sibling_staff="ok"),
    ("GET", "/designations/<int:designation_id>"): {**SEES_DESIGNATION, "anon": "login"},
    ("POST", "/designations/<int:designation_id>/actions"): {
        **SEES_DESIGNATION, "anon": "login", "owner": "403", "parent_staff": "403", "admin": "403"},
    ("GET", "/console/notices"): row("403", anon="login", holding_staff="ok", parent_staff="ok", sibling_staff="ok"),
    ("POST", "/console/notices"): row("403", anon="login", holding_staff="ok", parent_staff="ok", sibling_staff="404"),
    ("POST", "/console/notices/<int:notice_id>/close"): row("403", anon="login", holding_staff="ok",
                                                            parent_staff="403", sibling_staff="404"),
    ("POST", "/objections/<int:objection_id>/dismiss"): row("403", anon="login", holding_staff="ok",
                                                            sibling_staff="404"),
    # Expert desk
    ("GET", "/desk"): row("403", anon="login", panel_expert="ok", other_expert="ok"),
    ("GET", "/desk/reviews/<int:review_id>"): row("403", anon="login", panel_expert="ok", other_expert="404"),
    ("POST", "/desk/reviews/<int:review_id>"): row("403", anon="login", panel_expert="ok", other_expert="404"),
    # API: accounts
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/confirm"): PUBLIC,
    ("POST", "/api/v1/registrations"): PUBLIC,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/tokens"): SIGNED_IN,
    ("POST", "/api/v1/tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/tokens/<int:token_id>"): row("404", anon="401", owner="ok"),
    ("GET", "/api/v1/notifications"): SIGNED_IN,
    ("POST", "/api/v1/notifications/<int:notification_id>/read"): row("404", anon="401", owner="ok"),
    ("POST", "/api/v1/notifications/read"): SIGNED_IN,
    # API: reference and public record
    ("GET", "/api/v1/guidelines"): PUBLIC,
    ("GET", "/api/v1/guidelines/<key>"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/docs"): PUBLIC,
    ("GET", "/api/v1/certificates/<number>/pdf"): PUBLIC,
    ("GET", "/api/v1/me/applications"): row("403", anon="401", owner="ok", other_applicant="ok"),
    ("GET", "/api/v1/me/designations"): row("403", anon="401", owner="ok", other_applicant="ok"),
    ("GET", "/api/v1/notices/managed"): row("403", anon="401", holding_staff="ok", parent_staff="ok",
                                            sibling_staff="ok"),
    ("GET", "/api/v1/programmes"): PUBLIC,
    ("POST", "/api/v1/programmes"): STAFF_API,
    ("PUT", "/api/v1/calendar/<day>"): row("403", anon="401", admin="ok"),
    ("GET", "/api/v1/directory"): PUBLIC,
    ("GET", "/api/v1/feed"): PUBLIC,
    ("GET", "/api/v1/certificates/<number>"): PUBLIC,
    ("POST", "/api/v1/certificates/verify"): PUBLIC,
    ("POST", "/api/v1/experts"): {**STAFF_API, "admin": "ok"},
    # API: applications
    ("POST", "/api/v1/applications"): row("403", anon="401", owner="ok", other_applicant="ok"),
    ("GET", "/api/v1/applications/<int:application_id>"): {**SEES_APPLICATION, "anon": "401"},
    ("PATCH", "/api/v1/applications/<int:application_id>"): {
        **SEES_APPLICATION, "anon": "401", "panel_expert": "403", "holding_staff": "403", "parent_staff": "403",
        "admin": "403"},
    ("POST", "/api/v1/applications/<int:application_id>/evidence"): {
        **SEES_APPLICATION, "anon": "401", "panel_expert": "403", "holding_staff": "403", "parent_staff": "403",
        "admin": "403"},
    ("GET", "/api/v1/evidence/<int:evidence_id>"): {**SEES_APPLICATION, "anon": "401"},
    ("POST", "/api/v1/applications/<int:application_id>/actions/<trigger>"): {
        **SEES_APPLICATION, "anon": "401", "owner": "403", "parent_staff": "403", "admin": "403"},
    ("POST", "/api/v1/applications/<int:application_id>/panel"): row(
        "403", anon="401", holding_staff="ok", sibling_staff="404"),
    # API: reviews
    ("GET", "/api/v1/reviews"): row("403", anon="401", panel_expert="ok", other_expert="ok"),
    ("PUT", "/api/v1/reviews/<int:review_id>"): row("403", anon="401", panel_expert="ok", other_expert="404"),
    ("POST", "/api/v1/reviews/<int:review_id>/actions/<action>"): row("403", anon="401", panel_expert="ok",
                                                                       other_expert="404"),
    # API: notices and objections
    ("GET", "/api/v1/notices"): PUBLIC,
    ("GET", "/api/v1/notices/<int:notice_id>"): PUBLIC,
    ("POST", "/api/v1/notices"): row("403", anon="401", holding_staff="ok", parent_staff="ok", sibling_staff="404"),
    ("POST", "/api/v1/notices/<int:notice_id>/objections"): PUBLIC,
    ("GET", "/api/v1/notices/<int:notice_id>/progress"): row("403", anon="401", holding_staff="ok", parent_staff="ok",
                                                              sibling_staff="404"),
    ("POST", "/api/v1/notices/<int:notice_id>/actions/close"): row("403", anon="401", holding_staff="ok"),
    ("POST", "/api/v1/objections/<int:objection_id>/actions/dismiss"): row(
        "403", anon="401", holding_staff="ok", sibling_staff="404"),
    ("GET", "/api/v1/objections/<int:objection_id>/evidence/<int:index>"): row(
        "403", anon="401", holding_staff="ok", parent_staff="ok", sibling_staff="404"),
    # API: designations and dynamic management
    ("GET", "/api/v1/designations/<int:designation_id>"): PUBLIC,
    ("POST", "/api/v1/designations/<int:designation_id>/actions/<trigger>"): row(
        "403", anon="401", holding_staff="ok"),
    ("GET", "/api/v1/designations/<int:designation_id>/reports"): {**SEES_DESIGNATION, "anon": "401"},
    ("POST", "/api/v1/designations/<int:designation_id>/reports"): row(
        "403", anon="401", owner="ok", other_applicant="404"),
    ("GET", "/api/v1/designations/<int:designation_id>/changes"): {**SEES_DESIGNATION, "anon": "401"},
    ("POST", "/api/v1/designations/<int:designation_id>/changes"): row(
        "403", anon="401", owner="ok", other_applicant="404"),
    ("POST", "/api/v1/changes/<int:change_id>/actions/<action>"): row(
        "403", anon="401", holding_staff="ok", sibling_staff="404"),
    # Lists, statistics and exports for the bureau (each filtered to the user's own area)
    ("GET", "/api/v1/applications"): STAFF_OR_ADMIN,
    ("GET", "/api/v1/designations"): STAFF_OR_ADMIN,
    ("GET", "/api/v1/designations/yearly"): STAFF_OR_ADMIN,
    ("GET", "/api/v1/enterprises"): STAFF_OR_ADMIN,
    ("GET", "/api/v1/stats/dashboard"): STAFF_OR_ADMIN,
    ("GET", "/api/v1/stats/targets"): STAFF_OR_ADMIN,
    ("GET", "/console/dashboard"): STAFF_OR_ADMIN_PAGE,
    ("GET", "/console/<any(applications, designations, enterprises, experts):name>"): STAFF_OR_ADMIN_PAGE,
    ("GET", "/console/designations/yearly.xlsx"): STAFF_OR_ADMIN_PAGE,
    ("GET", "/console/mail"): row("403", anon="login", admin="ok"),  # the e-mails kept without SMTP
    # The expert pool: read by every bureau, changed within one's own area (王建国, 西湖区)
    ("GET", "/api/v1/experts"): STAFF_OR_ADMIN,
    ("GET", "/api/v1/experts.xlsx"): STAFF_OR_ADMIN,
    ("GET", "/api/v1/experts/<int:expert_id>"): STAFF_OR_ADMIN,
    ("PATCH", "/api/v1/experts/<int:expert_id>"): {**STAFF_OR_ADMIN, "sibling_staff": "403"},
    ("POST", "/api/v1/experts/<int:expert_id>/actions/<action>"): {**STAFF_OR_ADMIN, "sibling_staff": "403"},
    ("POST", "/api/v1/experts/import"): STAFF_OR_ADMIN,
    ("GET", "/experts"): STAFF_OR_ADMIN_PAGE,
    ("POST", "/experts/import"): STAFF_OR_ADMIN_PAGE,
    ("GET", "/experts/<int:expert_id>"): STAFF_OR_ADMIN_PAGE,
    ("POST", "/experts/<int:expert_id>"): {**STAFF_OR_ADMIN_PAGE, "sibling_staff": "403"},
    ("POST", "/experts/<int:expert_id>/<action>"): {**STAFF_OR_ADMIN_PAGE, "sibling_staff": "403"},
    # Panels, conflicts and the discussion of divergent scores
    ("GET", "/api/v1/applications/<int:application_id>/panel"): {**SEES_APPLICATION, "anon": "401"},
    ("GET", "/api/v1/applications/<int:application_id>/conflicts"): {
        **SEES_APPLICATION, "anon": "401", "panel_expert": "403", "other_expert": "403"},
    ("POST", "/api/v1/applications/<int:application_id>/conflicts"): row(
        "403", anon="401", owner="ok", other_applicant="404"),
    ("POST", "/applications/<int:application_id>/conflicts"): row("403", anon="login", owner="ok", other_applicant="404"),
    # No discussion is open: like a transition, "nothing to close" (409) comes before "who may".
    ("POST", "/api/v1/applications/<int:application_id>/panel/discussion"): row(
        "403", anon="401", holding_staff="ok", parent_staff="ok", sibling_staff="404"),
    ("POST", "/applications/<int:application_id>/panel/discussion"): row(
        "403", anon="login", holding_staff="ok", parent_staff="ok", sibling_staff="404"),
    ("GET", "/api/v1/reviews/<int:review_id>"): row("403", anon="401", panel_expert="ok", other_expert="404"),
}
