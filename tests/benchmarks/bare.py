"""The bare baseline: Flask and SQLAlchemy doing one primary-key lookup, nothing else.

Served by gunicorn with the same settings and against the same database as GreenCert
(`gunicorn tests.benchmarks.bare:app`), it is what every request figure is divided by.
"""
from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify

from models import Application
from workflow.db import make_engine, session_factory

app = Flask(__name__)
factory = session_factory(make_engine(os.environ["DATABASE_URL"]))


@app.get("/bare/applications/<int:application_id>")
def application(application_id: int) -> Any:
    with factory() as session:
        row = session.get(Application, application_id)
        if row is None:
            return jsonify({"error": "not found"}), 404
        return jsonify({"id": row.id, "state": str(row.state)})
