"""Flask's JSON output through orjson: the same JSON, made several times faster.

Reading JSON stays with the standard library (`app/parser.py`), which keeps a lone surrogate
escape in a string for the field to refuse by name, where orjson refuses the whole body.
"""

import orjson
from flask.json.provider import DefaultJSONProvider


class OrjsonProvider(DefaultJSONProvider):
    """`dumps` by orjson, honouring `sort_keys` (ETags hash sorted JSON) and `indent` (debug)."""

    def dumps(self, obj, **kwargs) -> str:
        option = orjson.OPT_NON_STR_KEYS
        if kwargs.get("sort_keys", self.sort_keys):
            option |= orjson.OPT_SORT_KEYS
        if kwargs.get("indent"):
            option |= orjson.OPT_INDENT_2
        return orjson.dumps(obj, default=self.default, option=option).decode()
