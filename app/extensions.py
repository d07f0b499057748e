"""Flask extensions, created unbound here and bound to the app in `create_app`."""

import sqlite3

from flask_bcrypt import Bcrypt
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names, so that migrations can name what they alter or drop on both
# PostgreSQL and SQLite (whose batch mode rebuilds tables and needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def include_object(object, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: leave the optional trigram search indexes (`*_trgm`) out of comparisons.

    A migration creates them only where PostgreSQL offers pg_trgm, so the models do not hold them.
    """
    return not (type_ == "index" and name is not None and name.endswith("_trgm"))


class Base(DeclarativeBase):
    """Declarative base for the models, carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit: a view can answer with what it just saved, no refresh query.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
bcrypt = Bcrypt()
# Per client address unless a limit says otherwise (see app/auth/throttling.py).
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _enable_sqlite_foreign_keys(dbapi_connection, _connection_record) -> None:
    """SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked on every connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
