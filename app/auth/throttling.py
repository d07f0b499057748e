"""Throttling of the auth endpoints, per client and per e-mail (Flask-Limiter).

The limits come from the config (LOGIN_LIMIT_PER_CLIENT and friends) when a request is checked, so
they can be set from the environment. The counters live in RATELIMIT_STORAGE_URI: memory:// counts
per process; a redis:// URI shares them between every process and machine.

Redis may be lost. A request waits for it at most RATELIMIT_STORAGE_TIMEOUT_MS (no retry); then
Flask-Limiter logs "Rate limit storage unreachable - falling back to in-memory storage" and counts
the same limits per process, in memory, trying Redis again after 1, 2, 4 … 32 seconds until it
answers ("Rate limit storage recovered"). /ready says which (`rate_limits`).

A throttled view's body is validated before its limits are counted (`@blp.arguments` above
`@blp.throttled`), and the per-e-mail key is a fixed-size digest of the e-mail's canonical form:
nothing a client sends decides how much the limiter stores.
"""

import hashlib
import time

from flask import Flask, current_app
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from redis.backoff import NoBackoff
from redis.retry import Retry

from app import metrics
from app.auth.guard import current_user
from app.email_addresses import comparable_email
from app.errors import APIError, error_response
from app.extensions import limiter
from app.parser import read_body
from app.schemas import ErrorSchema

THROTTLED_MESSAGE = "Too many attempts. Please wait before trying again (see Retry-After)."


def _digest_key(email: str) -> str:
    digest = hashlib.sha256(comparable_email(email).encode("utf-8", "surrogatepass")).hexdigest()
    return f"email:{digest}"


def email_key() -> str:
    """`email:` and the SHA-256 of the e-mail the request's body names, in its canonical form.

    The form is the one login compares (`comparable_email`), so every spelling of one address
    counts against one limit.
    """
    try:
        email = read_body().get("email")
    except APIError:
        email = None  # the view answers the bad body with its 400
    if not isinstance(email, str):
        return "email:-"
    return _digest_key(email)


def caller_email_key() -> str:
    """The same key for the e-mail of the authenticated caller (`auth_required` runs first)."""
    return _digest_key(current_user().email)


def handle_throttled(error: RateLimitExceeded):
    """429 in the one JSON shape, with Retry-After: the seconds until the exceeded limit's
    window lets this client (or e-mail) in again."""
    metrics.RATE_LIMITED.inc()
    exceeded = limiter.current_limit
    seconds = max(1, int(exceeded.reset_at - time.time())) if exceeded else 1
    return error_response(429, THROTTLED_MESSAGE, headers=[("Retry-After", str(seconds))])


def init_app(app: Flask) -> None:
    """Bind the limiter to the app; a Redis storage gets a short timeout and no retries; a
    throttled request is answered by `handle_throttled`."""
    app.register_error_handler(RateLimitExceeded, handle_throttled)
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith(("redis://", "rediss://", "redis+")):
        seconds = app.config["RATELIMIT_STORAGE_TIMEOUT_MS"] / 1000
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "socket_timeout": seconds, "socket_connect_timeout": seconds,
            "retry": Retry(NoBackoff(), 0),
        })
    limiter.init_app(app)


def storage_state() -> str:
    """How the limits are counted now: `off` (RATELIMIT_ENABLED is false), `memory` (per
    process, as configured), `shared` (in the configured Redis, which answers), or `degraded`
    (Redis does not answer: per process)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return "off"  # the limiter then keeps no storage to ask
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        return "memory"
    return "shared" if limiter.storage.check() else "degraded"


def _configured(key: str):
    return lambda: current_app.config[key]


def throttled(blp, per_client: str, per_email: str | None = None, email=email_key):
    """Limit a view per client address and, if `per_email` names a limit, per e-mail (the body's,
    or the caller's with `email=caller_email_key`), with the limits the config keys name; its 429
    is described on the blueprint `blp`. Views use it as `@blp.throttled(...)`.
    """
    whom = "this client or for this e-mail" if per_email else "this client"
    documented = blp.alt_response(
        429, schema=ErrorSchema, description=f"Too many requests from {whom}; see Retry-After"
    )

    def decorator(view):
        if per_email:
            view = limiter.limit(_configured(per_email), key_func=email,
                                 scope=per_email.lower(), error_message=THROTTLED_MESSAGE)(view)
        return documented(limiter.limit(_configured(per_client), key_func=get_remote_address,
                                        scope=per_client.lower(),
                                        error_message=THROTTLED_MESSAGE)(view))

    return decorator
