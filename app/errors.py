"""Errors are raised anywhere and rendered here, once, as JSON `{"message": ...}`."""

from flask import Flask, current_app, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app import metrics


class APIError(Exception):
    """An error with an HTTP status and a message meant for the client."""

    def __init__(
        self, status: int, message: str, errors: dict | None = None, headers: dict | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers
        # What the request changed is committed all the same (app/unit_of_work.py).
        self.keep_changes = keep_changes


class LimitReachedError(Exception):
    """Storing one more would take a user or a bucketlist past its limit (the models raise it;
    the client gets a 409)."""


class AccountDeletedError(Exception):
    """The caller's account was deleted while their request ran (the client gets a 401, as
    their token now would)."""


class NotModifiedError(Exception):
    """The client's copy, named by If-None-Match, is current: 304 with no body, and the ETag."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def handle_not_modified(error: NotModifiedError):
    """RFC 9110 §15.4.5: a 304 carries no body, and repeats the ETag."""
    response = current_app.response_class(status=304)
    response.set_etag(error.etag)
    return response


def error_response(status: int, message: str, errors: dict | None = None, headers=None):
    """The one JSON shape of every error."""
    body = {"message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    if headers:
        response.headers.extend(headers)
    return response


def _first_messages(errors: dict, prefix: str = "") -> list[str]:
    """Flatten marshmallow's nested error dict into 'field: message' lines."""
    lines = []
    for field, value in errors.items():
        name = f"{prefix}{field}"
        if isinstance(value, dict):
            lines.extend(_first_messages(value, prefix=f"{name}."))
        else:
            messages = value if isinstance(value, list) else [value]
            lines.append(f"{name}: {' '.join(str(m) for m in messages)}")
    return lines


def handle_api_error(error: APIError):
    """Render an APIError raised by the app."""
    return error_response(error.status, error.message, error.errors, error.headers)


def handle_limit_reached(error: LimitReachedError):
    """Storing one more would pass a limit: 409, the state of the resource forbids it."""
    return error_response(409, str(error))


def handle_account_deleted(error: AccountDeletedError):
    """The caller's account is gone: 401, as for a token of a deleted account."""
    return error_response(401, "This account no longer exists. Please register or login.",
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def handle_validation_error(error: ValidationError):
    """Render a marshmallow validation failure as a 400 naming each field."""
    errors = error.messages if isinstance(error.messages, dict) else {"_body": error.messages}
    message = "Invalid input. " + "; ".join(_first_messages(errors))
    return error_response(400, message, errors)


def handle_http_exception(error: HTTPException):
    """Render Werkzeug's HTTP errors (404, 405, 413, ...) as JSON, keeping headers such as Allow."""
    headers = [
        (key, value)
        for key, value in error.get_response().headers.items()
        if key.lower() not in ("content-type", "content-length")
    ]
    message = error.description or error.name
    if error.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        message = f"The request body is too large: the limit is {limit} bytes."
    elif isinstance(error, MethodNotAllowed) and error.valid_methods:
        allowed = ", ".join(sorted(error.valid_methods))
        message = f"{request.method} is not allowed on {request.path}; it allows {allowed}."
    elif error.code == 404 and request.url_rule is None and (bare := without_trailing_slash()):
        message = f"Not found. Did you mean {bare} (without the trailing slash)?"
    return error_response(error.code or 500, message, headers=headers)


def without_trailing_slash() -> str | None:
    """The request's path without its trailing slash(es), if a route answers that path (for a
    404 of routing: no route answered the path as sent)."""
    bare = request.path.rstrip("/")
    if not bare or bare == request.path:
        return None
    try:
        current_app.url_map.bind_to_environ(request.environ).match(bare, method=request.method)
    except MethodNotAllowed:
        return bare
    except HTTPException:  # NotFound, or a redirect to yet another path
        return None
    return bare


def handle_database_unavailable(error: Exception):
    """The database cannot be reached (or gave up on the statement): 503, try again later."""
    metrics.DATABASE_UNAVAILABLE.inc()
    current_app.logger.error("Database unavailable: %s", error)
    message = "The database is unavailable. Please try again shortly."
    return error_response(503, message, headers=[("Retry-After", "5")])


def handle_unexpected_error(error: Exception):
    """Log anything unexpected and answer 500 without a traceback."""
    current_app.logger.exception("Unhandled error: %s", error)
    return error_response(500, "Internal server error. The error has been logged.")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that give every error the same JSON shape."""
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(NotModifiedError, handle_not_modified)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(LimitReachedError, handle_limit_reached)
    app.register_error_handler(AccountDeletedError, handle_account_deleted)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)
