"""The floor's work inside a bare Flask app: what the framework alone costs.

The same work as bench/floor_app.py (its `answer`: one SQL round trip with raw psycopg2, orjson,
the same ETag), but routed and answered by Flask: a request context, URL routing with an int
converter, a Response object. No extension, no hook, no ORM, no schema. bench/speed.py
--flask-floor serves it beside the project and the floor: the project cannot beat it without
leaving Flask.
"""

from flask import Flask, Response, request

from bench import floor_app

app = Flask(__name__)


@app.get("/bucketlists/<int:bucketlist_id>")
def get_bucketlist(bucketlist_id: int):
    status, headers, data = floor_app.answer(request.headers.get("Authorization", ""),
                                             bucketlist_id)
    return Response(data, status=status, headers=headers)
