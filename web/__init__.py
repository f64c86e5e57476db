"""The Flask application: pages for each audience and the JSON API under /api/v1."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from web.config import ROOT, from_environment, storage
from web.jsonprovider import OrjsonProvider

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def create_app(config: dict[str, Any] | None = None, **overrides: Any) -> Flask:
    from web import api, auth, db, errors, feeds, filters, i18n, pages, wellknown
    from web.state import AppState
    from workflow import runtime
    from workflow.db import make_engine, session_factory

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "web" / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(from_environment())
    app.config.update(config or {})
    app.config.update(overrides)
    app.json = OrjsonProvider(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if hops := app.config.get("PROXY_HOPS"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    factory = app.config.get("SESSION_FACTORY")
    engine = factory.kw["bind"] if factory is not None else make_engine(app.config["DATABASE_URL"])
    factory = factory or session_factory(engine)
    app.extensions["greencert"] = AppState(engine, factory, app.config["REDIS_URL"])
    runtime.configure(runtime.Runtime(
        factory=factory, storage=storage(app.config),
        base_url=app.config["BASE_URL"], redis_url=app.config["REDIS_URL"],
        secret_key=app.config["SECRET_KEY"],
    ))

    csrf.init_app(app)
    auth.login_manager.init_app(app)
    app.teardown_appcontext(db.close)
    errors.register(app)
    i18n.register(app)
    filters.register(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(wellknown.bp)
    app.register_blueprint(feeds.bp)
    csrf.exempt(api.bp)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:  # browsers keep to HTTPS for a year once they have seen it
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return app
