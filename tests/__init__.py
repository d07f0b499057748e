"""The test suite: `python manage.py test` (or `python -m pytest`) runs it on a real PostgreSQL."""
