#!/bin/sh
# The image's entrypoint: with MIGRATE=1, bring the database to the newest migration first (the
# migrations hold a PostgreSQL advisory lock, so instances starting together migrate exactly
# once); then become the command, gunicorn by default, so that it gets the container's signals.
set -eu
if [ "${MIGRATE:-0}" = "1" ]; then
    python manage.py db upgrade
fi
exec "$@"
