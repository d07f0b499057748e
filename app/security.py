"""Security headers on every response, and CORS only for the origins the config lists."""

import re
from urllib.parse import urlsplit

from flask import Flask, request
from flask_cors import CORS

from instance.config import ConfigError

# JSON needs no resources at all; HTML pages set their own, stricter-than-default policies.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# What the host and port of an origin are made of (an IPv6 address comes in brackets).
ORIGIN_NETLOC = re.compile(r"[A-Za-z0-9.:\[\]-]+")
REVALIDATED_METHODS = frozenset({"GET", "HEAD"})
# What a browser front-end on an allowed origin may send beyond the CORS-safelisted headers, and
# read of an answer: everything the API offers (conditional and idempotent requests, paging, ids).
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key",
                   "X-Request-ID"]
EXPOSED_HEADERS = ["ETag", "Location", "Link", "X-Total-Count", "Retry-After", "X-Request-ID",
                   "Idempotent-Replayed"]


def add_vary(response, header: str) -> None:
    """Add a request header to the response's Vary (as `response.vary.add` does, without parsing
    the list and writing it back: this runs on every answer)."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = header
    elif header.lower() not in (name.strip().lower() for name in current.split(",")):
        response.headers["Vary"] = f"{current}, {header}"


def add_security_headers(response):
    """nosniff, no referrer, no framing everywhere; nothing tied to a token is stored by a shared
    cache.

    A read that answers an ETag may be kept by the caller's own cache, which must ask again each
    time (`private, no-cache`: If-None-Match then costs a 304, the ETag's purpose); every other
    answer to a token, and every /auth answer, is `no-store`.
    """
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if "Content-Security-Policy" not in response.headers:  # an HTML page sets its own
        response.headers["Content-Security-Policy"] = API_CSP
    if request.blueprint == "auth":
        response.headers["Cache-Control"] = "no-store"
    elif request.authorization is not None:
        if request.method in REVALIDATED_METHODS and "ETag" in response.headers:
            response.headers["Cache-Control"] = "private, no-cache"
            add_vary(response, "Authorization")
        else:
            response.headers["Cache-Control"] = "no-store"
    return response


def relative_redirect(response):
    """A redirect to this host names the path only: the host in an absolute URL would be the one
    the client's Host header chose (Werkzeug builds routing redirects from it)."""
    if not 300 <= response.status_code < 400:
        return response
    location = response.headers.get("Location")
    if location and location.startswith(request.host_url):
        response.headers["Location"] = "/" + location[len(request.host_url):]
    return response


def is_exact_origin(entry: str) -> bool:
    """Whether the text is an origin and nothing more: `scheme://host[:port]`, http or https."""
    try:
        parts = urlsplit(entry)
        parts.port  # noqa: B018  (a port that is not a number or out of range raises ValueError)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and entry == f"{parts.scheme}://{parts.netloc}"
        and ORIGIN_NETLOC.fullmatch(parts.netloc) is not None
    )


def cors_origins(entries: list[str]) -> list:
    """What flask-cors is given for CORS_ORIGINS: a lone `*`, or exact origins matched exactly.

    flask-cors reads an entry with a regular-expression character as an unanchored pattern
    (`https://*.example.com` allowed `https://xexample.com.evil.net`), so anything that is not an
    origin such as `https://app.example` or `http://localhost:3000` is refused at start-up.
    """
    if entries == ["*"]:
        return entries
    patterns = []
    for entry in entries:
        if not is_exact_origin(entry):
            raise ConfigError(
                f"CORS_ORIGINS entry {entry!r} is not an exact origin (scheme://host[:port], no "
                "path or wildcard) nor a lone '*'."
            )
        patterns.append(re.compile(re.escape(entry) + r"\Z", re.IGNORECASE))
    return patterns


def init_app(app: Flask) -> None:
    """Install the headers; enable CORS when CORS_ORIGINS names origins."""
    app.after_request(add_security_headers)
    app.after_request(relative_redirect)
    origins = app.config["CORS_ORIGINS"]
    if origins:
        CORS(
            app,
            origins=cors_origins(origins),
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
