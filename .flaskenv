# Non-secret settings for the flask command; secrets go in .env (see .env.example).
FLASK_APP=run.py
