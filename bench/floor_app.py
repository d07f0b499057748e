"""The speed floor: GET /bucketlists/<id> as a bare WSGI function with raw psycopg2.

It does the same work as the project's view — verify the HS256 token (algorithm pinned, claims
required), check the user and that the token's login session lives, the caller's bucketlist with
its goals and their counts, JSON, and the strong ETag of that JSON (the sha1 of the body, as the
project's) — in the least way: one SQL round trip, orjson, no framework, no ORM, no
validation layer.
Serve it with the same gunicorn settings: `gunicorn bench.floor_app:app`.
"""

import hashlib
import os
import re
import threading
from datetime import timezone

import jwt
import orjson
import psycopg2

SECRET = os.environ["SECRET"]
DSN = os.environ["BENCH_DSN"]
PATH = re.compile(r"^/bucketlists/(\d+)$")
_local = threading.local()

# Everything the view needs, in one round trip: the user, whether the token's session has ended,
# the bucketlist if the caller owns it or is a member, the caller's role, and its goals (a
# bucketlist without goals is one row of NULL goal columns).
DETAIL_SQL = (
    "SELECT u.id, s.ended_at IS NOT NULL OR s.id IS NULL, b.id, b.name, b.date_created, "
    "b.date_modified, b.created_by, i.id, i.name, i.done, i.date_created, i.date_modified, "
    "i.date_done, CASE WHEN b.created_by = u.id THEN 'owner' ELSE m.role END "
    "FROM users u LEFT JOIN login_sessions s ON s.handle = %(session)s AND s.user_id = u.id "
    "LEFT JOIN bucketlists b ON b.id = %(bucketlist_id)s "
    "LEFT JOIN memberships m ON m.bucketlist_id = b.id AND m.user_id = u.id "
    "LEFT JOIN items i ON i.bucketlist_id = b.id "
    "AND (b.created_by = u.id OR m.user_id IS NOT NULL) "
    "WHERE u.id = %(user_id)s ORDER BY i.id LIMIT 1001")


def _cursor():
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        connection = _local.connection = psycopg2.connect(DSN)
        connection.autocommit = True
    return connection.cursor()


def _iso(value):
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def _answer(status, body, etag=False):
    data = orjson.dumps(body) + b"\n"  # the body as Flask's JSON response ends it
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if etag:
        tag = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        headers.append(("ETag", f'"{tag}"'))
    return status, headers, data


def answer(authorization: str, bucketlist_id: int) -> tuple[str, list, bytes]:
    """Status, headers and body of GET /bucketlists/<bucketlist_id> with this Authorization."""
    scheme, _, token = authorization.partition(" ")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"],
                            options={"require": ["sub", "sid", "iat", "exp"]})
        user_id, session = int(claims["sub"]), str(claims["sid"])
    except (jwt.InvalidTokenError, ValueError):
        return _answer("401 UNAUTHORIZED", {"message": "Invalid token."})
    cursor = _cursor()
    cursor.execute(DETAIL_SQL, {"session": session, "user_id": user_id,
                                "bucketlist_id": bucketlist_id})
    rows = cursor.fetchall()
    if scheme.lower() != "bearer" or not rows or rows[0][1]:
        return _answer("401 UNAUTHORIZED", {"message": "Invalid token."})
    row = rows[0]
    if row[2] is None or row[13] is None:  # no such bucketlist, or not the caller's to read
        return _answer("404 NOT FOUND", {"message": "Bucketlist not found."})
    items = [{"id": i[7], "name": i[8], "done": i[9], "date_created": _iso(i[10]),
              "date_modified": _iso(i[11]), "date_done": _iso(i[12])}
             for i in rows if i[7] is not None]
    return _answer("200 OK", {
        "id": row[2], "name": row[3], "date_created": _iso(row[4]),
        "date_modified": _iso(row[5]), "created_by": row[6], "role": row[13],
        "items_count": len(items),
        "done_count": sum(item["done"] for item in items), "items": items}, etag=True)


def app(environ, start_response):
    match = PATH.match(environ.get("PATH_INFO", ""))
    if environ["REQUEST_METHOD"] != "GET" or not match:
        status, headers, data = _answer("404 NOT FOUND", {"message": "Not found."})
    else:
        status, headers, data = answer(environ.get("HTTP_AUTHORIZATION", ""), int(match[1]))
    start_response(status, headers)
    return [data]
