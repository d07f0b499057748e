"""Absolute links the service hands out (in mails, in a public link's answer)."""

from flask import current_app, request, url_for


def public_url_for(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint: under PUBLIC_URL when set, else this request's host.

    Production and staging refuse to start with MAIL_SERVER but without PUBLIC_URL, so a mail
    they send never takes its link from a Host header; development, which only logs mail unless
    told otherwise, falls back to the request's host.
    """
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return base + url_for(endpoint, **values)
