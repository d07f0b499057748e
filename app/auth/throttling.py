"""Throttling, per client, per e-mail and per user, counted by `limits` (the library that
Flask-Limiter is built on), and looked at only by the views declared `@blp.throttled`.

The limits come from the config (LOGIN_LIMIT_PER_CLIENT and friends, in `limits`' notation:
"10 per minute;100 per hour") when a request is checked. They are fixed windows counted in
RATELIMIT_STORAGE_URI: memory:// counts per process; a redis:// URI shares them between every
process and machine. RATELIMIT_ENABLED=false turns them all off.

Redis may be lost. A request waits for it at most RATELIMIT_STORAGE_TIMEOUT_MS (no retry); then
"Rate limit storage unreachable - falling back to in-memory storage" is logged and the same limits
are counted per process, in memory, while Redis is asked again after 1, 2, 4 … 32 seconds until it
answers ("Rate limit storage recovered"). /ready says which (`rate_limits`).

A throttled view's body is validated before its limits are counted (`@blp.arguments` above
`@blp.throttled`), and the per-e-mail key is a fixed-size digest of the e-mail's canonical form:
nothing a client sends decides how much is stored.

Why not Flask-Limiter: once enabled, it runs a check before, a step after and a teardown on
every request of the app, routes without any limit included (its `request_filter` still runs
all three), and its 4.x has no way to leave them out; on a GET of a bucketlist they were 10 % of
the request (bench/instructions.py: 2.944 M instructions against 2.650 M with limits off).
"""

import functools
import hashlib
import logging
import threading
import time

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from app import metrics
from app.auth.guard import current_user
from app.email_addresses import comparable_email
from app.errors import APIError
from app.parser import read_body
from app.schemas import ErrorSchema

THROTTLED_MESSAGE = "Too many attempts. Please wait before trying again (see Retry-After)."
# Every key starts with it, in a Redis shared with others.
KEY_PREFIX = "bucketlist"
# After a failed check of a lost Redis, the next is 1, 2, 4 … 32 seconds later.
LONGEST_RECHECK_SECONDS = 32
log = logging.getLogger(__name__)


class RateLimits:
    """An app's counters: fixed windows in `storage`, or in this process's memory while that
    storage does not answer."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._in_storage = FixedWindowRateLimiter(storage)
        self._fallback = None  # counters in memory, made when the storage is first lost
        self._recheck_at = 0.0
        self._recheck_after = 1
        self._lock = threading.Lock()

    def hit(self, limit: RateLimitItem, *identifiers: str) -> float | None:
        """Count one request against `limit` for `identifiers`: None if it is within the limit,
        else the time (as `time.time()`) at which its window ends."""
        counter = self._counter()
        try:
            if counter.hit(limit, *identifiers):
                return None
            return counter.get_window_stats(limit, *identifiers).reset_time
        except StorageError:
            if counter is not self._in_storage:
                raise
            self._fall_back()
            return self.hit(limit, *identifiers)

    def _counter(self) -> FixedWindowRateLimiter:
        """The storage's counters, or the fallback's while it is lost (asking it again when the
        wait is over)."""
        with self._lock:
            fallback = self._fallback
            if fallback is None or time.monotonic() < self._recheck_at:
                return fallback or self._in_storage
            self._recheck_after = min(self._recheck_after * 2, LONGEST_RECHECK_SECONDS)
            self._recheck_at = time.monotonic() + self._recheck_after
        if not self.storage.check():
            return fallback
        with self._lock:
            self._fallback = None
        log.info("Rate limit storage recovered")
        return self._in_storage

    def _fall_back(self) -> None:
        with self._lock:
            if self._fallback is None:
                log.warning("Rate limit storage unreachable - falling back to in-memory storage")
                self._fallback = FixedWindowRateLimiter(MemoryStorage())
                self._recheck_after = 1
                self._recheck_at = time.monotonic() + self._recheck_after


def _storage(app: Flask) -> Storage:
    """RATELIMIT_STORAGE_URI's storage; a Redis gets a short timeout and no retries, and its
    failures come as `StorageError`."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = {}
    if uri.startswith(("redis://", "rediss://", "redis+")):
        seconds = app.config["RATELIMIT_STORAGE_TIMEOUT_MS"] / 1000
        options = {"socket_timeout": seconds, "socket_connect_timeout": seconds,
                   "retry": Retry(NoBackoff(), 0)}
    return storage_from_string(uri, wrap_exceptions=True, **options)


def init_app(app: Flask) -> None:
    """Give the app its counters, unless RATELIMIT_ENABLED is false (then it keeps none)."""
    if app.config["RATELIMIT_ENABLED"]:
        app.extensions["rate_limits"] = RateLimits(_storage(app))


def rate_limits() -> RateLimits:
    """The current app's counters (RATELIMIT_ENABLED must be on)."""
    return current_app.extensions["rate_limits"]


def storage_state() -> str:
    """How the limits are counted now: `off` (RATELIMIT_ENABLED is false), `memory` (per
    process, as configured), `shared` (in the configured Redis, which answers), or `degraded`
    (Redis does not answer: per process)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return "off"
    counters = rate_limits()
    if isinstance(counters.storage, MemoryStorage):
        return "memory"
    return "shared" if counters.storage.check() else "degraded"


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


def client_key() -> str:
    """The client's address (as ProxyFix gives it behind PROXY_COUNT proxies)."""
    return request.remote_addr or "-"


def check(config_key: str, key: str) -> None:
    """Count this request against each limit of `config_key` for `key`: a 429 with Retry-After
    (the seconds until the exceeded limit's window lets it in again) at the first one exceeded."""
    counters = rate_limits()
    # The counter's name as Flask-Limiter named it, so counts in a shared Redis carry over an
    # upgrade from a version that used it: prefix, key, then endpoint and scope.
    scope = f"{request.endpoint}:{config_key.lower()}"
    for limit in parse_many(current_app.config[config_key]):
        reset_at = counters.hit(limit, KEY_PREFIX, key, scope)
        if reset_at is not None:
            metrics.RATE_LIMITED.inc()
            seconds = max(1, int(reset_at - time.time()))
            raise APIError(429, THROTTLED_MESSAGE, headers={"Retry-After": str(seconds)})


def throttled(blp, per_client: str | None = None, per_email: str | None = None,
              email=email_key, per_user: str | None = None):
    """Limit a view per client address, per e-mail (the body's, or the caller's with
    `email=caller_email_key`) and per authenticated user, each with the limit its config key
    names (any of them may be left out), checked in that order; its 429 is described on the
    blueprint `blp`. Views use it as `@blp.throttled(...)`.
    """
    whom = " or ".join(name for name, key in (("this client", per_client),
                                              ("this e-mail", per_email),
                                              ("this user", per_user)) if key)
    documented = blp.alt_response(
        429, schema=ErrorSchema, description=f"Too many requests from {whom}; see Retry-After"
    )
    limits = [(config_key, key_func) for config_key, key_func in (
        (per_client, client_key), (per_user, caller_key), (per_email, email)) if config_key]

    def decorator(view):
        @functools.wraps(view)
        def throttled_view(*args, **kwargs):
            if current_app.config["RATELIMIT_ENABLED"]:
                for config_key, key_func in limits:
                    check(config_key, key_func())
            return view(*args, **kwargs)

        return documented(throttled_view)

    return decorator
