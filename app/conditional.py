"""Conditional requests (RFC 9110 §13): ETags on reads, If-None-Match and If-Match.

A URL's reads answer an ETag, the SHA-1 of the JSON body (and of the paging headers of a list):
If-None-Match naming it answers 304. Its writes are conditional when the client sends If-Match
(412 unless it names the current ETag), and must be when the server sets REQUIRE_IF_MATCH (428
without it); a write whose If-None-Match names the current version (or is `*`) is a 412 too.

`@blp.etag` (app/api.py) applies `conditional` to each method of a MethodView; a write calls
`check_etag` before it changes anything. `ConditionalRequestsPlugin` describes the headers in
/openapi.json for every operation that can answer 304 or 412.
"""

import functools
import hashlib

from apispec import BasePlugin
from flask import current_app, request
from flask_smorest.utils import resolve_schema_instance

from app.errors import APIError, NotModifiedError

READS = frozenset({"GET", "HEAD"})
WRITES = frozenset({"PUT", "PATCH", "DELETE"})
# What answers a representation of the URL it was sent to, and so its ETag.
TAGGED = frozenset({"GET", "HEAD", "PUT", "PATCH"})
# A list page's ETag covers its paging headers as well as its rows.
TAGGED_HEADERS = ("X-Total-Count", "Link")

PRECONDITION_FAILED_MESSAGE = (
    "The resource has changed since the ETag in If-Match: GET it again, then retry."
)
MATCHED_NONE_MATCH_MESSAGE = (
    "If-None-Match names the resource's current version (or is *), so it was not changed."
)
PRECONDITION_REQUIRED_MESSAGE = (
    "Send If-Match with the resource's current ETag (from GET): writes must be conditional."
)

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "description": "The ETag of the copy you hold: 304, with no body, if it is current",
    "schema": {"type": "string"},
}
IF_MATCH = {
    "name": "If-Match",
    "description": "Write only if the resource still has this ETag (else 412); "
                   "required when the server sets REQUIRE_IF_MATCH (else 428)",
    "schema": {"type": "string"},
}
ETAG = {
    "description": "The version of what was answered, for If-None-Match and If-Match",
    "schema": {"type": "string"},
}


def body_etag(body: bytes, headers=()) -> str:
    """The ETag of a JSON body and of the (name, value) headers it comes with."""
    digest = hashlib.sha1(body, usedforsecurity=False)  # a version, not a secret
    for name, value in headers:
        digest.update(f"\n{name}: {value}".encode())
    return digest.hexdigest()


def etag_of(data, schema) -> str:
    """The ETag of `data` as a read answers it through `schema`."""
    dumped = resolve_schema_instance(schema).dump(data)
    return body_etag(current_app.json.response(dumped).get_data())


def etag_header(data, schema) -> dict:
    """The ETag header a write answers when its body is not what a read of its URL shows."""
    return {"ETag": f'"{etag_of(data, schema)}"'}


def check_etag(data, schema) -> None:
    """Before a write: 412 unless If-Match names the ETag of `data` (as read through `schema`),
    and 412 when If-None-Match does (or is `*`, which any existing resource matches: RFC 9110
    §13.1.2); neither header, no check (and `data` need not be read for it)."""
    if not (request.if_match or request.if_none_match):
        return
    etag = etag_of(data, schema)
    if request.if_none_match.star_tag or request.if_none_match.contains_weak(etag):
        raise APIError(412, MATCHED_NONE_MATCH_MESSAGE)
    if request.if_match and not request.if_match.contains(etag):
        raise APIError(412, PRECONDITION_FAILED_MESSAGE)


def conditional(view):
    """A view whose reads answer an ETag (304 when If-None-Match names it, by weak comparison as
    RFC 9110 §13.1.2 says) and whose writes need If-Match when REQUIRE_IF_MATCH is on."""

    @functools.wraps(view)
    def conditional_view(*args, **kwargs):
        if (request.method in WRITES and not request.if_match
                and current_app.config["REQUIRE_IF_MATCH"]):
            raise APIError(428, PRECONDITION_REQUIRED_MESSAGE)
        response = view(*args, **kwargs)
        if request.method not in TAGGED:
            return response
        etag, _ = response.get_etag()
        if etag is None:
            paging = [(name, response.headers[name]) for name in TAGGED_HEADERS
                      if name in response.headers]
            etag = body_etag(response.get_data(), paging)
            response.set_etag(etag)
        if request.method in READS and request.if_none_match.contains_weak(etag):
            raise NotModifiedError(etag)
        return response

    return conditional_view


class ConditionalRequestsPlugin(BasePlugin):
    """An operation that can answer 304 takes If-None-Match, one that can answer 412 takes
    If-Match, and a read or write of either kind answers an ETag with its success."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.get("responses", {})
            codes = {str(code) for code in responses}
            if "304" in codes:
                operation.setdefault("parameters", []).append("IF_NONE_MATCH")
            if "412" in codes:
                operation.setdefault("parameters", []).append("IF_MATCH")
            if codes & {"304", "412"} and method.upper() in TAGGED:
                for code, response in responses.items():
                    if str(code).startswith("2") and isinstance(response, dict):
                        response.setdefault("headers", {})["ETag"] = "ETAG"


def describe(spec) -> None:
    """Register the headers of conditional requests as this API takes them: If-Match is
    optional unless REQUIRE_IF_MATCH. flask-smorest registers its own under these names, only
    to be used when referenced (lazily), and apispec keeps the last registration of a name."""
    spec.components.parameter("IF_NONE_MATCH", "header", IF_NONE_MATCH, lazy=True)
    spec.components.parameter("IF_MATCH", "header", IF_MATCH, lazy=True)
    spec.components.header("ETAG", ETAG, lazy=True)
