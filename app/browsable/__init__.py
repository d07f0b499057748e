"""The browsable API: a browser asking for an API URL gets an HTML page around the same JSON.

Only a client that prefers `text/html` to `application/json` (a browser) gets the page, and
`?format=json` forces JSON; every other client gets exactly the JSON response. The page's forms
come from the same schemas that validate the requests, and its script keeps a bearer token for the
tab so that it can call every route.
"""

import json

from flask import Flask, current_app, render_template, request
from flask_smorest.utils import load_info_from_docstring
from marshmallow import fields
from werkzeug.exceptions import HTTPException

from app.api import body_schema, operation
from app.security import add_vary

BROWSABLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
FORM_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def wants_html() -> bool:
    """Whether the client prefers an HTML page to JSON (and did not ask for ?format=json)."""
    if "html" not in request.headers.get("Accept", "") or request.args.get("format") == "json":
        return False
    accept = request.accept_mimetypes
    return accept["text/html"] > accept["application/json"]


def _operation_for(adapter, path: str, method: str):
    """What answers `method path` and its name, or None."""
    try:
        endpoint, _ = adapter.match(path, method=method)
    except HTTPException:
        return None
    view = current_app.view_functions.get(endpoint)
    return operation(view, method) if view else None


def _title(found) -> tuple[str, str]:
    """An operation's name, and its summary and description in full (as /openapi.json has
    them)."""
    func, name = found
    info = load_info_from_docstring(func.__doc__ or "")
    text = " ".join(part for part in (info.get("summary"), info.get("description")) if part)
    return name.replace("_", " ").capitalize(), " ".join(text.split())


def _input_kind(name: str, field) -> str:
    """The HTML input type for a body field."""
    if isinstance(field, fields.Boolean):
        return "checkbox"
    return "password" if name.endswith("password") else "text"


def _forms(path: str) -> list[dict]:
    """One form per method this URL allows besides GET, with the fields of its body schema."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = adapter.allowed_methods(path)
    forms = []
    for method in FORM_METHODS:
        if method not in allowed:
            continue
        found = _operation_for(adapter, path, method)
        if found is None:
            continue
        body = body_schema(found[0])
        fields = [
            {"name": name, "kind": _input_kind(name, field)}
            for name, field in (body.fields.items() if body else [])
            if not field.dump_only
        ]
        name, summary = _title(found)
        forms.append({"method": method, "fields": fields, "name": name, "summary": summary})
    return forms


def _form_only_operation(path: str):
    """For a route that takes only forms (register, log in, reset a password…): the operation
    of its first form, which a browser's GET shows as a page; else None."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        allowed = adapter.allowed_methods(path)
    except HTTPException:
        return None
    if "GET" in allowed:
        return None
    for method in FORM_METHODS:
        if method in allowed:
            return _operation_for(adapter, path, method)
    return None


def render_page(response):
    """Wrap a JSON response in the browsable HTML page (same status and headers).

    A browser's GET of a route that takes only forms is that form's page (200): what an API
    client gets there is still its 405 with Allow.
    """
    body = json.loads(response.get_data(as_text=True) or "null")
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    found = operation(view, request.method) if view else None
    form_only = None
    if found is None and response.status_code == 405 and request.method == "GET":
        form_only = _form_only_operation(request.path)
    if form_only is not None:
        found, body = form_only, None
        response.status_code = 200
    name, description = _title(found) if found else (response.status, "")
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
    page = {
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode("latin-1"),
        "status": response.status_code,
        "status_text": response.status,
        "headers": headers,
        "body": body,
        "form_only": form_only is not None,
    }
    html = render_template(
        "browsable.html",
        name=name,
        description=description,
        page=page,
        pretty_body=json.dumps(body, indent=2, ensure_ascii=False),
        forms=_forms(request.path),
    )
    response.set_data(html)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = BROWSABLE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def negotiate(response):
    """After every request: turn JSON into the browsable page for browsers; vary on Accept."""
    if response.mimetype == "application/json":
        add_vary(response, "Accept")
        if wants_html() and not response.direct_passthrough:
            return render_page(response)
    return response


def init_app(app: Flask) -> None:
    """Install content negotiation on the app."""
    app.after_request(negotiate)
