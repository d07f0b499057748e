"""Read a request body sent as JSON or as form data (what Flask-API's `request.data` gave)."""

import functools
import json

from flask import g, request

from app.errors import APIError

FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class FormText(str):
    """A value from form data or a query string: always text, so "true" may stand for True."""


def query_args() -> dict:
    """The query string's parameters (first value of each), marked as form text."""
    return {key: FormText(value) for key, value in request.args.items()}


def request_data() -> dict:
    """The body as a dict: a JSON object, or form fields (first value of each); {} when empty.

    Malformed JSON, JSON that is not an object, and any other media type are client errors. The
    body is read once per request (the login throttle's e-mail key and the view both need it).
    """
    if "request_data" not in g:
        g.request_data = _read_body()
    return g.request_data


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
    if request.mimetype in FORM_MIMETYPES:
        return {key: FormText(value) for key, value in request.form.items()}
    if not request.get_data(cache=True):
        return {}
    raise APIError(
        415,
        f"Unsupported media type {request.mimetype or '(none)'!r}: send application/json or "
        "form data (application/x-www-form-urlencoded or multipart/form-data).",
    )


def use_body(schema_class):
    """Load the body with this marshmallow schema before the view runs; the view gets the result
    as its first argument. An invalid body is a 400 before anything under this decorator (a rate
    limit's counter, say) sees the request.
    """
    schema = schema_class()

    def decorator(view):
        @functools.wraps(view)
        def wrapped_view(*args, **kwargs):
            return view(schema.load(request_data()), *args, **kwargs)

        return wrapped_view

    return decorator
