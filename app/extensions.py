"""Flask extensions, created unbound here and bound to the app in `create_app`.

The database's own (SQLAlchemy, Flask-Migrate) live with its setup in app/database.py; the rate
limits' counters with the throttling that uses them (app/auth/throttling.py).
"""

from flask_bcrypt import Bcrypt

bcrypt = Bcrypt()
