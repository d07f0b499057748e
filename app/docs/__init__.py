"""The API's description: /openapi.json, and interactive documentation at /docs, offline.

Swagger UI's files come from the flask-swagger-ui package (smorest's own UI settings point at a
CDN), served by a plain blueprint, since they are files and not API operations.
"""

import os

import flask_swagger_ui
from flask import Blueprint as FlaskBlueprint
from flask import current_app, jsonify, render_template, send_from_directory
from flask_smorest import current_api

from app.api import Blueprint

blp = Blueprint("docs", __name__, description="This API's description")
assets = FlaskBlueprint("docs_assets", __name__)
SWAGGER_UI_ASSETS = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@blp.get("/openapi.json")
@blp.response(200, {"type": "object"}, description="The OpenAPI 3 description")
def openapi_json():
    """This API's OpenAPI 3 description."""
    return jsonify(current_api.spec.to_dict())


@blp.get("/docs")
@blp.response(200, {"type": "string"}, content_type="text/html", description="Swagger UI")
def docs_page():
    """Interactive documentation (Swagger UI), served with its assets by this app."""
    response = current_app.make_response(render_template("docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@assets.get("/docs/assets/<path:filename>")
def asset(filename):
    """Swagger UI's files, from the flask-swagger-ui package."""
    return send_from_directory(SWAGGER_UI_ASSETS, filename)
