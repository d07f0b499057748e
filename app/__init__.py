"""The bucketlist API: `create_app` builds the Flask app; `db` is the SQLAlchemy extension."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import (
    auth,
    browsable,
    commands,
    database,
    docs,
    health,
    home,
    jobs,
    metrics,
    observability,
    security,
    tracing,
)
from app.api import Api
from app.auth import throttling
from app.bucketlists import bucketlist_views, item_views
from app.database import db
from app.errors import register_error_handlers
from app.extensions import bcrypt
from app.json_provider import OrjsonProvider
from app.sharing import invitation_views, member_views, public_link_views
from app.unit_of_work import App
from instance.config import ConfigError, app_config

__all__ = ["create_app", "db"]


def _load_config(app: Flask, config_name: str | None, overrides: dict | None) -> None:
    """Fill app.config from the named config class (which reads and checks the environment),
    then the overrides (tests use them)."""
    config_name = config_name or "development"
    if config_name not in app_config:
        raise ConfigError(
            f"Unknown configuration {config_name!r}; APP_SETTINGS must be one of: "
            + ", ".join(app_config)
        )
    config = app_config[config_name]()
    config.validate()
    app.config.from_object(config)
    app.config.update(overrides or {})


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app for a configuration name (development, testing, staging, production).

    `overrides` replaces config values after the config class is loaded (tests use it).
    """
    app = App(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
    app.json.sort_keys = False  # fields in the order the tutorial shows them
    _load_config(app, config_name, overrides)

    database.init_app(app)
    bcrypt.init_app(app)
    throttling.init_app(app)

    api = Api(app)
    for blueprint in (home.blp, auth.blp, bucketlist_views.blp, item_views.blp,
                      member_views.blp, invitation_views.blp, public_link_views.blp, docs.blp,
                      health.blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.assets)
    commands.init_app(app)
    jobs.init_app(app)
    register_error_handlers(app)  # after Api(app): these replace flask-smorest's own handler
    browsable.init_app(app)
    security.init_app(app)
    observability.init_app(app)
    metrics.init_app(app)
    tracing.init_app(app)
    if app.config["PROXY_COUNT"]:
        # X-Forwarded-For is appended to, so its last PROXY_COUNT entries are the proxies' own;
        # X-Forwarded-Proto and -Host are a client's own unless the proxies are said to set them.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=count,
            x_proto=count if app.config["PROXY_TRUST_PROTO"] else 0,
            x_host=count if app.config["PROXY_TRUST_HOST"] else 0,
        )
    return app
