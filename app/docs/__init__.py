"""The API's description: /openapi.json, and interactive documentation at /docs, offline."""

import os

import flask_swagger_ui
from flask import Blueprint, current_app, jsonify, render_template, send_from_directory

from app.openapi import build_spec, documented

docs_blueprint = Blueprint("docs", __name__)
SWAGGER_UI_ASSETS = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def openapi_spec() -> dict:
    """The app's OpenAPI description, built once per app."""
    spec = current_app.extensions.get("bucketlist_openapi")
    if spec is None:
        spec = current_app.extensions["bucketlist_openapi"] = build_spec(current_app)
    return spec


@docs_blueprint.get("/openapi.json")
@documented(responses={200: ("The OpenAPI 3 description", {"type": "object"})}, tags=["docs"])
def openapi_json():
    """This API's OpenAPI 3 description."""
    return jsonify(openapi_spec())


@docs_blueprint.get("/docs")
@documented(
    responses={200: ("Swagger UI", {"type": "string"})}, tags=["docs"], content_type="text/html"
)
def docs_page():
    """Interactive documentation (Swagger UI), served with its assets by this app."""
    response = current_app.make_response(render_template("docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@docs_blueprint.get("/docs/assets/<path:filename>")
def asset(filename):
    """Swagger UI's files, from the flask-swagger-ui package."""
    return send_from_directory(SWAGGER_UI_ASSETS, filename)
