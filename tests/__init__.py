"""The test suite: `python manage.py test` runs it on a real PostgreSQL."""
