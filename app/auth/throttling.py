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

from flask import Flask, current_app, request
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


def caller_key() -> str:
    """`user:` and the id of the authenticated caller (`auth_required` runs first)."""
    return f"user:{current_user().id}"


def handle_throttled(error: RateLimitExceeded):
    """429 in the one JSON shape, with Retry-After: the seconds until the exceeded limit's
    window lets this client (or e-mail) in again."""
    metrics.RATE_LIMITED.inc()
    exceeded = limiter.current_limit
    seconds = max(1, int(exceeded.reset_at - time.time())) if exceeded else 1
    return error_response(429, THROTTLED_MESSAGE, headers=[("Retry-After", str(seconds))])


def unlimited() -> bool:
    """Flask-Limiter's request filter: True (nothing to check) unless the view that answers the
    request (or, for a MethodView, its method) was declared `throttled`. Without it the limiter
    looks for limits on every request, and on a route that has none (GET of a bucketlist) that
    cost 16 % of the request (bench/instructions.py --limits-off: 3.297 M instructions against
    2.776 M)."""
    view = current_app.view_functions.get(request.endpoint)
    view = getattr(getattr(view, "view_class", None), request.method.lower(), view)
    return not getattr(view, "rate_limited", False)


limiter.request_filter(unlimited)  # once: the limiter is one object for every app


def init_app(app: Flask) -> None:
    """Bind the limiter to the app; a Redis storage gets a short timeout and no retries; a
    throttled request is answered by `handle_throttled`; a route without limits is not looked
    at (`unlimited`)."""
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


def throttled(blp, per_client: str | None = None, per_email: str | None = None,
              email=email_key, per_user: str | None = None):
    """Limit a view per client address, per e-mail (the body's, or the caller's with
    `email=caller_email_key`) and per authenticated user, each with the limit its config key
    names (any of them may be left out); its 429 is described on the blueprint `blp`. Views use
    it as `@blp.throttled(...)`.
    """
    whom = " or ".join(name for name, key in (("this client", per_client),
                                              ("this e-mail", per_email),
                                              ("this user", per_user)) if key)
    documented = blp.alt_response(
        429, schema=ErrorSchema, description=f"Too many requests from {whom}; see Retry-After"
    )
    keys = ((per_email, email), (per_user, caller_key), (per_client, get_remote_address))

    def decorator(view):
        for config_key, key_func in keys:
            if config_key:
                view = limiter.limit(_configured(config_key), key_func=key_func,
                                     scope=config_key.lower(),
                                     error_message=THROTTLED_MESSAGE)(view)
        # What `unlimited` looks for; functools.wraps carries it to every outer wrapper.
        view.rate_limited = True
        return documented(view)

    return decorator
