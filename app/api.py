"""The API's HTTP layer: flask-smorest's Api and Blueprint, set up once for every route.

A view's decorators are both its behaviour and its OpenAPI description: `@blp.arguments` loads
and validates a body (`location="json_or_form"`) or a query string (`location="query"`),
`@blp.response` dumps the answer, `@blp.alt_response` documents another one. A URL with several
methods is one MethodView, and what they share is declared once on the class. The app's own
decorators live with what they do and describe themselves: `@blp.auth_required`
(app/auth/guard.py), `@blp.throttled` (app/auth/throttling.py), `@blp.idempotent`
(app/idempotency.py), `@blp.etag` (app/conditional.py). What every route of this API shares is
added here instead of on each view: the error shape, the operationId and the 404 of a route with
an id in its path, the 413/415 of a body.
"""

import flask_smorest
from flask_smorest.utils import resolve_schema_instance
from marshmallow import Schema
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter, IntegerConverter

from app import conditional, idempotency
from app.auth import guard, throttling
from app.auth.throttling import email_key
from app.bucketlists import access
from app.method_views import is_method_view
from app.models import MAX_ID
from app.parser import Parser
from app.schemas import ErrorSchema

# What app/parser.py reads a body from besides JSON: form data of either kind.
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id, 1 to 2**31 - 1; any other number names nothing (404)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not 0 < number <= MAX_ID:
            # Not a ValidationError: Werkzeug would then answer 405 to the methods of the rules
            # whose path matched, rather than 404.
            raise NotFound()
        return number


class TokenConverter(BaseConverter):
    """`<token:name>`: a token this service issued, URL-safe, 1 to 256 characters; any other
    text names nothing (404)."""

    regex = "[A-Za-z0-9_-]{1,256}"


class Api(flask_smorest.Api):
    """flask-smorest's Api with the app's own error shape and handlers, and its bearer scheme."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists the errors it can answer

    def init_app(self, app, *, spec_kwargs=None) -> None:
        app.url_map.converters["id"] = IdConverter
        app.url_map.converters["token"] = TokenConverter
        plugins = [conditional.ConditionalRequestsPlugin()]
        super().init_app(app, spec_kwargs={**(spec_kwargs or {}), "extra_plugins": plugins})
        conditional.describe(self.spec)
        self.register_converter(
            IdConverter, lambda converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        )
        self.register_converter(TokenConverter, lambda converter: {
            "type": "string", "pattern": f"^{TokenConverter.regex}$", "maxLength": 256})
        self.spec.components.security_scheme(
            guard.BEARER_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        )


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the app's parser, ids, errors, authentication and ETags."""

    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/json",
    }

    def route(self, rule, *, parameters=None, tags=None, **options):
        """`@blp.route` (and `@blp.get`, `@blp.post`, …) of a view function or a MethodView. The
        operationId is `<blueprint>_<name>`: a function's name, or the name a MethodView gives
        each of its methods in `operations`; a route with an id in its path can answer 404."""
        register = super().route(rule, parameters=parameters, tags=tags, **options)

        def document(func, name):
            func = self.doc(operationId=f"{self.name}_{name}")(func)
            if "<" in rule:
                func = self.alt_response(404, schema=ErrorSchema,
                                         description="Not found, or not yours")(func)
            return func

        def decorator(view):
            if is_method_view(view):
                for method, name in view.operations.items():
                    setattr(view, method, document(getattr(view, method), name))
                register(view)
            else:
                register(document(view, options.get("endpoint") or view.__name__))
            return view

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
        """`@blp.auth_required`: the view runs only for an authenticated caller (else 401);
        see app/auth/guard.py."""
        return guard.auth_required(self, view)

    def bucketlist_access(self, **rights: str):
        """`@blp.bucketlist_access(get=READ, ...)` on a MethodView: each method gets the
        bucketlist its caller may use the right on; one a member may be refused documents its
        403. See app/bucketlists/access.py."""

        def decorator(view):
            for method, right in rights.items():
                if access.can_forbid(right):
                    forbidden = self.alt_response(
                        403, schema=ErrorSchema, description=f"The caller's role may not {right}")
                    setattr(view, method, forbidden(getattr(view, method)))
            return access.bucketlist_access(**rights)(view)

        return decorator

    def throttled(self, per_client: str | None = None, per_email: str | None = None,
                  email=email_key, per_user: str | None = None):
        """`@blp.throttled`: limits per client, per e-mail and per user, and their 429; see
        app/auth/throttling.py."""
        return throttling.throttled(self, per_client, per_email, email, per_user)

    def idempotent(self, view):
        """`@blp.idempotent`: a create honours `Idempotency-Key`; see app/idempotency.py."""
        return idempotency.idempotent(self, view)

    def etag(self, view):
        """Make the requests of a MethodView conditional (app/conditional.py): its reads answer
        an ETag and 304, its writes take If-Match (412, and 428 under REQUIRE_IF_MATCH); each
        write calls `blp.check_etag` before it changes anything."""
        if not is_method_view(view):
            raise TypeError("@blp.etag decorates a MethodView")
        for method in view.methods:
            func = conditional.conditional(getattr(view, method.lower()))
            if method in conditional.READS:
                func = self.alt_response(304, response="NOT_MODIFIED")(func)
            if method in conditional.WRITES:
                func = self.alt_response(412, response="PRECONDITION_FAILED")(func)
                func = self.alt_response(428, response="PRECONDITION_REQUIRED")(func)
            setattr(view, method.lower(), func)
        return view

    @staticmethod
    def check_etag(etag_data, etag_schema) -> None:
        """412 unless If-Match names the current ETag of `etag_data` (as read through
        `etag_schema`), or when If-None-Match does; see app/conditional.py."""
        conditional.check_etag(etag_data, etag_schema)


def operation(view, method: str) -> tuple:
    """What answers `method` on a registered view (Flask's view function, or the one a
    MethodView made), and the name of that operation."""
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view, view.__name__
    method = method.lower()
    if method == "head" and not hasattr(view_class, "head"):
        method = "get"  # as MethodView answers HEAD
    return getattr(view_class, method), view_class.operations[method]


def body_schema(func) -> Schema | None:
    """The schema of the body an operation takes (its `json_or_form` arguments), if any."""
    return getattr(func, "body_schema", None)
