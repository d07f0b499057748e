"""The speed floor: GET /bucketlists/<id> as a bare WSGI function with raw psycopg2.

It does the same work as the project's view — verify the HS256 token (algorithm pinned, claims
required), check the user and the revocation list, one indexed select of the caller's bucketlist
with its counts, its items, JSON — and nothing else: no framework, no ORM, no validation layer.
Serve it with the same gunicorn settings: `gunicorn bench.floor_app:app`.
"""

import json
import os
import re
import threading
from datetime import timezone

import jwt
import psycopg2

SECRET = os.environ["SECRET"]
DSN = os.environ["BENCH_DSN"]
PATH = re.compile(r"^/bucketlists/(\d+)$")
_local = threading.local()

USER_SQL = ("SELECT users.id, revoked_tokens.jti FROM users LEFT JOIN revoked_tokens "
            "ON revoked_tokens.jti = %s WHERE users.id = %s")
BUCKETLIST_SQL = (
    "SELECT b.id, b.name, b.date_created, b.date_modified, b.created_by, "
    "(SELECT count(*) FROM items WHERE items.bucketlist_id = b.id), "
    "(SELECT count(*) FROM items WHERE items.bucketlist_id = b.id AND items.done) "
    "FROM bucketlists b WHERE b.id = %s AND b.created_by = %s")
ITEMS_SQL = ("SELECT id, name, done, date_created, date_modified, date_done FROM items "
             "WHERE bucketlist_id = %s ORDER BY id")


def _cursor():
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        connection = _local.connection = psycopg2.connect(DSN)
        connection.autocommit = True
    return connection.cursor()


def _iso(value):
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def _answer(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    match = PATH.match(environ.get("PATH_INFO", ""))
    if environ["REQUEST_METHOD"] != "GET" or not match:
        return _answer(start_response, "404 NOT FOUND", {"message": "Not found."})
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"],
                            options={"require": ["sub", "iat", "exp", "jti"]})
        user_id = int(claims["sub"])
    except (jwt.InvalidTokenError, ValueError):
        return _answer(start_response, "401 UNAUTHORIZED", {"message": "Invalid token."})
    cursor = _cursor()
    cursor.execute(USER_SQL, (claims["jti"], user_id))
    user = cursor.fetchone()
    if scheme.lower() != "bearer" or user is None or user[1] is not None:
        return _answer(start_response, "401 UNAUTHORIZED", {"message": "Invalid token."})
    cursor.execute(BUCKETLIST_SQL, (int(match[1]), user_id))
    row = cursor.fetchone()
    if row is None:
        return _answer(start_response, "404 NOT FOUND", {"message": "Bucketlist not found."})
    cursor.execute(ITEMS_SQL, (row[0],))
    items = [{"id": i[0], "name": i[1], "done": i[2], "date_created": _iso(i[3]),
              "date_modified": _iso(i[4]), "date_done": _iso(i[5])} for i in cursor.fetchall()]
    return _answer(start_response, "200 OK", {
        "id": row[0], "name": row[1], "date_created": _iso(row[2]),
        "date_modified": _iso(row[3]), "created_by": row[4], "items_count": row[5],
        "done_count": row[6], "items": items})
