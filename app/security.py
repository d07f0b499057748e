"""Security headers on every response, and CORS only for the origins the config lists."""

from flask import Flask, request
from flask_cors import CORS

# JSON needs no resources at all; HTML pages set their own, stricter-than-default policies.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
EXPOSED_HEADERS = ["X-Total-Count", "Link", "Location", "X-Request-ID", "Retry-After"]


def add_security_headers(response):
    """nosniff, no referrer, no framing everywhere; no caching of anything tied to a token."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Content-Security-Policy", API_CSP)
    if request.authorization is not None or request.blueprint == "auth":
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Install the headers; enable CORS when CORS_ORIGINS names origins."""
    app.after_request(add_security_headers)
    origins = app.config["CORS_ORIGINS"]
    if origins:
        CORS(
            app,
            origins=origins,
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
