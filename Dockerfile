# The bucketlist API as a container image (Docker or podman):
#   podman build -t bucketlist-api .        (or: docker build -t bucketlist-api .)
#   podman run -p 8000:8000 -e DATABASE_URL=postgresql://... -e SECRET=... -e MIGRATE=1 bucketlist-api
# BASE_IMAGE: any image with Python 3.11 and its venv module (README: "Containers").
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    APP_SETTINGS=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    METRICS_BIND=0.0.0.0

# Dependencies first, from the pinned requirements into a venv: this layer is reused until
# requirements.txt changes.
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
    && pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

WORKDIR /app
COPY . /app

# Not root: a numeric user needs no account in the image, and owns nothing in it.
USER 10001:10001
EXPOSE 8000 9100
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=2)"]
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["gunicorn", "run:app"]
