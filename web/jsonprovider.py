"""Flask's JSON written by orjson: the same documents as Flask's own provider (keys sorted, dates
as HTTP dates, dataclasses as objects), several times faster on long ones such as an application's
form and evaluation trace, which a representation may also pass through as stored
(`orjson.Fragment`) instead of decoding and encoding them again."""
from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

from workflow.db import JSON_OPTIONS, json_loads


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return self._dumps(obj, **kwargs).decode()

    def _dumps(self, obj: Any, *, indent: bool = False, **kwargs: Any) -> bytes:
        if kwargs:  # anything unusual: the standard library's way
            return super().dumps(obj, **kwargs).encode()
        options = JSON_OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0) | (orjson.OPT_INDENT_2 if indent else 0)
        # Flask's own conversions for what orjson leaves to it (dates, Decimal, UUID, dataclasses).
        try:
            return orjson.dumps(obj, default=self.default, option=options)
        except orjson.JSONEncodeError:  # integers beyond 64 bits: the standard library writes them
            return super().dumps(obj, indent=2 if indent else None).encode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return super().loads(s, **kwargs) if kwargs else json_loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        if (self.compact is None and self._app.debug) or self.compact is False:
            body = self._dumps(obj, indent=True)
        else:
            body = self._dumps(obj)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)
