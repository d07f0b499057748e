"""The API's HTTP layer: flask-smorest's Api and Blueprint, set up once for every route.

A view's decorators are both its behaviour and its OpenAPI description: `@blp.arguments` loads
and validates a body (`location="json_or_form"`) or a query string (`location="query"`),
`@blp.response` dumps the answer, `@blp.alt_response` documents another one, `@blp.etag` makes the
request conditional, and `@blp.auth_required` authenticates the caller. What every route of this
API shares is added here instead of on each view: the error shape, the 404 of a route with an id
in its path, the 413/415 of a body, the 401 and bearer scheme of an authenticated route, and
writes that are conditional only when the client sends If-Match (unless REQUIRE_IF_MATCH).
"""

import functools
import hashlib

import flask_smorest
from flask import current_app, json, request
from flask_smorest.exceptions import PreconditionFailed
from flask_smorest.utils import resolve_schema_instance
from marshmallow import Schema, fields
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.auth.guard import authenticate_request
from app.auth.throttling import email_key, throttled
from app.errors import APIError, NotModifiedError
from app.idempotency import HEADER as IDEMPOTENCY_HEADER
from app.idempotency import MAX_KEY_LENGTH, REPLAYED_HEADER, idempotent
from app.models import MAX_ID
from app.parser import Parser

BEARER_SCHEME = "bearerAuth"
PRECONDITION_FAILED_MESSAGE = (
    "The resource has changed since the ETag in If-Match: GET it again, then retry."
)
MATCHED_NONE_MATCH_MESSAGE = (
    "If-None-Match names the resource's current version (or is *), so it was not changed."
)
PRECONDITION_REQUIRED_MESSAGE = (
    "Send If-Match with the resource's current ETag (from GET): writes must be conditional."
)
# Rules that serve files, not API operations.
STATIC_ENDPOINTS = {"static", "docs_assets.asset"}
# What app/parser.py reads a body from besides JSON: form data of either kind.
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ErrorSchema(Schema):
    """Every error: a message, and per-field messages when the input was invalid."""

    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id, 1 to 2**31 - 1; any other number names nothing (404)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not 0 < number <= MAX_ID:
            # Not a ValidationError: Werkzeug would then answer 405 to the methods of the rules
            # whose path matched, rather than 404.
            raise NotFound()
        return number


class Api(flask_smorest.Api):
    """flask-smorest's Api with the app's own error shape and handlers, and its bearer scheme."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists the errors it can answer

    def init_app(self, app, *, spec_kwargs=None) -> None:
        app.url_map.converters["id"] = IdConverter
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.register_converter(
            IdConverter, lambda converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        )
        self.spec.components.security_scheme(
            BEARER_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        )

    def _register_etag_headers(self) -> None:
        """The conditional-request headers as this API takes them: If-Match is optional unless
        REQUIRE_IF_MATCH (the tutorial's clients send none)."""
        components = self.spec.components
        components.parameter("IF_NONE_MATCH", "header", {
            "name": "If-None-Match",
            "description": "The ETag of the copy you hold: 304, with no body, if it is current",
            "schema": {"type": "string"},
        }, lazy=True)
        components.parameter("IF_MATCH", "header", {
            "name": "If-Match",
            "description": "Write only if the resource still has this ETag (else 412); "
                           "required when the server sets REQUIRE_IF_MATCH (else 428)",
            "schema": {"type": "string"},
        }, lazy=True)
        components.header("ETAG", {
            "description": "The version of what was answered, for If-None-Match and If-Match",
            "schema": {"type": "string"},
        }, lazy=True)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the app's parser, ids, errors, authentication and ETags."""

    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/json",
    }
    # A list page's ETag covers its paging headers as well as its rows.
    ETAG_INCLUDE_HEADERS = ["X-Total-Count", "Link"]

    def route(self, rule, *, parameters=None, tags=None, **options):
        """`@blp.route` (and `@blp.get`, `@blp.post`, …); the operationId is
        `<blueprint>_<endpoint>`, and a route with an id in its path can answer 404."""
        register = super().route(rule, parameters=parameters, tags=tags, **options)

        def decorator(func):
            endpoint = options.get("endpoint") or func.__name__
            view = self.doc(operationId=f"{self.name}_{endpoint}")(func)
            if "<" in rule:
                view = self.alt_response(404, schema=ErrorSchema,
                                         description="Not found, or not yours")(view)
            register(view)
            return func

        return decorator

    def arguments(self, schema, *, location, **kwargs):
        """`@blp.arguments`; a body (`json_or_form`) is described as JSON and as form data, and
        may also be too large (413) or of another type (415)."""
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "json_or_form":
            return decorator
        as_form = self.doc(requestBody={"content": {
            content_type: {"schema": schema} for content_type in FORM_CONTENT_TYPES
        }})
        too_large = self.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
        unsupported = self.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")

        def with_body_docs(func):
            view = unsupported(too_large(as_form(decorator(func))))
            # For the browsable page's forms; functools.wraps carries it to every outer wrapper.
            view.body_schema = resolve_schema_instance(schema)
            return view

        return with_body_docs

    def auth_required(self, view):
        """Let the view run only for a caller with a valid bearer token (else 401).

        The view reads the caller with `current_user()` (app/auth/guard.py).
        """

        @functools.wraps(view)
        def authenticated_view(*args, **kwargs):
            authenticate_request()
            return view(*args, **kwargs)

        documented = self.alt_response(
            401, schema=ErrorSchema, description="Missing, invalid or expired bearer token"
        )(authenticated_view)
        return self.doc(security=[{BEARER_SCHEME: []}])(documented)

    def throttled(self, per_client: str, per_email: str | None = None, email=email_key):
        """Throttle a view per client and per e-mail (app/auth/throttling.py), and document its
        429."""
        whom = "this client or for this e-mail" if per_email else "this client"
        documented = self.alt_response(
            429, schema=ErrorSchema, description=f"Too many requests from {whom}; see Retry-After"
        )
        limited = throttled(per_client, per_email, email)
        return lambda view: documented(limited(view))

    def idempotent(self, view):
        """Honour `Idempotency-Key` on a creating view (app/idempotency.py), and say so."""
        wrapped = idempotent(view)
        for status, description in [
            (409, "A request with this Idempotency-Key is still being processed"),
            (422, "This Idempotency-Key was used with a different request"),
        ]:
            wrapped = self.alt_response(status, schema=ErrorSchema,
                                        description=description)(wrapped)
        return self.doc(parameters=[{
            "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
                       "pattern": "^[ -~]*$"},
            "description": "A key you choose per create: a retry with the same key and body "
                           "gets the first answer again (with `" + REPLAYED_HEADER + ": true`) "
                           "and creates nothing; kept IDEMPOTENCY_KEY_LIFETIME_SECONDS (24 h)",
        }])(wrapped)

    def _check_precondition(self) -> None:
        """A write without If-Match is a 428 only when REQUIRE_IF_MATCH is on."""
        if (request.method in self.METHODS_NEEDING_CHECK_ETAG
                and current_app.config["REQUIRE_IF_MATCH"] and not request.if_match):
            raise APIError(428, PRECONDITION_REQUIRED_MESSAGE)

    def check_etag(self, etag_data, etag_schema=None) -> None:
        """412 unless If-Match names the resource's current ETag, and 412 when If-None-Match
        does (or is `*`, which any existing resource matches: RFC 9110 §13.1.2); neither header,
        no check."""
        if request.if_none_match and (
            request.if_none_match.star_tag
            or request.if_none_match.contains_weak(etag_of(etag_data, etag_schema))
        ):
            raise APIError(412, MATCHED_NONE_MATCH_MESSAGE)
        if not request.if_match:
            return
        try:
            super().check_etag(etag_data, etag_schema)
        except PreconditionFailed:
            raise APIError(412, PRECONDITION_FAILED_MESSAGE) from None

    def _verify_check_etag(self) -> None:
        if request.method in self.METHODS_NEEDING_CHECK_ETAG and request.if_match:
            super()._verify_check_etag()

    def _check_not_modified(self, etag: str) -> None:
        """304 when If-None-Match names this ETag (weak comparison, as RFC 9110 says)."""
        if (request.method in self.METHODS_CHECKING_NOT_MODIFIED
                and request.if_none_match.contains_weak(etag)):
            raise NotModifiedError(etag)


def etag_of(etag_data, etag_schema=None) -> str:
    """The ETag flask-smorest gives this data: the SHA-1 of its JSON with sorted keys, dumped
    through the schema first if one is given."""
    if etag_schema is not None:
        etag_data = resolve_schema_instance(etag_schema).dump(etag_data)
    data = json.dumps(etag_data, sort_keys=True).encode()
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()  # a version, not a secret


def body_schema(view) -> Schema | None:
    """The schema of the body a view takes (its `json_or_form` arguments), if it takes one."""
    return getattr(view, "body_schema", None)
