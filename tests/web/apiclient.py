"""A small API client for tests: token login and JSON calls with the bearer token."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

PASSWORD = "greencert-demo"


class Api:
    def __init__(self, client: FlaskClient, username: str | None = None, password: str = PASSWORD) -> None:
        self.client = client
        self.headers: dict[str, str] = {}
        if username:
            response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
            assert response.status_code == 200, response.json
            self.headers = {"Authorization": f"Bearer {response.json['token']}"}

    def call(self, method: str, path: str, expect: int | None = None, **kwargs: Any) -> Any:
        response = self.client.open(f"/api/v1{path}", method=method, headers=self.headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.json)
        return response

    def get(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.call("GET", path, expect, **kw).json

    def post(self, path: str, json: Any = None, expect: int | None = 200, **kw: Any) -> Any:
        return self.call("POST", path, expect, json=json if json is not None else {}, **kw).json

    def patch(self, path: str, json: Any, expect: int | None = 200) -> Any:
        return self.call("PATCH", path, expect, json=json).json

    def put(self, path: str, json: Any, expect: int | None = 200) -> Any:
        return self.call("PUT", path, expect, json=json).json
