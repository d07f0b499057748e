"""Flask extensions, created unbound here and bound to the app in `create_app`.

The database's own (SQLAlchemy, Flask-Migrate) live with its setup in app/database.py.
"""

from flask_bcrypt import Bcrypt
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

bcrypt = Bcrypt()
# Per client address unless a limit says otherwise (see app/auth/throttling.py).
limiter = Limiter(key_func=get_remote_address)
