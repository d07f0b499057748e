"""WSGI entry point: `gunicorn "run:app"` or `python run.py`; APP_SETTINGS picks the config."""

import os

from dotenv import load_dotenv

load_dotenv()

from app import create_app  # noqa: E402  (after .env is loaded)

config_name = os.getenv("APP_SETTINGS", "development")
app = create_app(config_name)

if __name__ == "__main__":
    app.run()
