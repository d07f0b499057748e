"""How request bodies and query strings are read (webargs' parser, as flask-smorest uses it).

A body may be JSON or form data, as with the tutorial's Flask-API (`location="json_or_form"`);
malformed JSON, JSON that is not an object, and other media types are client errors with their own
messages. Text from form data or a query string is marked `FormText`, so that a field may read
"true" as true there while a JSON string stays a string. A schema's own `unknown` setting decides
what happens to fields it does not know, and a validation failure is the app's 400 naming each
field (not webargs' 422 nested under the location).
"""

import json

from flask import g, request
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

from app.errors import APIError

FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_AS_FORM_MESSAGE = (
    "The body is JSON but was sent as form data: send it with "
    "'Content-Type: application/json' (curl: -H 'Content-Type: application/json', or --json)."
)


class FormText(str):
    """A value from form data or a query string: always text, so "true" may stand for True."""


def read_body() -> dict:
    """The body as a dict: a JSON object, or form fields (first value of each); {} when empty.

    Read once per request: the login throttle's e-mail key needs it as well as the view.
    """
    if "body" not in g:
        g.body = _read_body()
    return g.body


def _read_body() -> dict:
    if request.is_json:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise APIError(400, "Malformed JSON in the request body.") from None
        if not isinstance(data, dict):
            raise APIError(400, "The request body must be a JSON object.")
        return data
    if request.mimetype == "application/x-www-form-urlencoded" and _looks_like_json():
        raise APIError(400, JSON_AS_FORM_MESSAGE)
    if request.mimetype in FORM_MIMETYPES:
        # A multipart part without a name (Werkzeug gives it the key None) names no field.
        return {key: FormText(value) for key, value in request.form.items() if key is not None}
    if not request.get_data(cache=True):
        return {}
    raise APIError(
        415,
        f"Unsupported media type {request.mimetype or '(none)'!r}: send application/json or "
        "form data (application/x-www-form-urlencoded or multipart/form-data).",
    )


def _looks_like_json() -> bool:
    """Whether a form body is a JSON object instead: what `curl -d '{...}'` sends without
    `-H 'Content-Type: application/json'` (its form would be one field named by the JSON)."""
    raw = request.get_data(cache=True).strip()
    if not raw.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


class Parser(FlaskParser):
    """webargs' Flask parser, reading bodies and query strings the app's way."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}  # each schema's Meta.unknown decides

    def load_json_or_form(self, req, schema) -> dict:
        return read_body()

    def load_querystring(self, req, schema) -> dict:
        return {key: FormText(value) for key, value in req.args.items()}

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        """Let the app's handler answer: 400, errors by field name (webargs nests them under
        the location they came from, which the client did not name)."""
        (messages,) = error.messages.values()
        raise ValidationError(messages)
