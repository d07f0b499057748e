"""The container image (Dockerfile), built and run with podman against a real PostgreSQL.

There is no Docker daemon on these machines and no registry to pull from, so the base image is
made from Debian's packages with mmdebstrap (../shared/containers.md's recipe) and passed as
BASE_IMAGE. Needs podman, runc and mmdebstrap (`.ci/run` installs them); skipped without them.
"""

import json
import os
import shutil
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url, text

from tests.base import free_port
from tests.database import scratch_database
from tests.live_server import ROOT, SECRET, redis_server
from tests.mail import SMTPServer, delivered

PODMAN = ["podman", "--storage-driver", "vfs", "--runtime", "runc",
          "--cgroup-manager", "cgroupfs"]
RUN_OPTIONS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "host"]
BASE_IMAGE = "localhost/bookworm-python:latest"
IMAGE = "localhost/bucketlist-api:test"
TOOLS = ("podman", "runc", "mmdebstrap")
SOURCES = "/etc/apt/sources.list.d/debian.sources"


def podman(*args, timeout=600, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout,
                          check=check, cwd=ROOT)


def ensure_base_image() -> None:
    """A Debian bookworm image with Python 3.11 and venv, made once per machine."""
    if podman("image", "exists", BASE_IMAGE, check=False).returncode == 0:
        return
    tarball = os.path.join(ROOT, "test-output", "bookworm-python.tar")
    os.makedirs(os.path.dirname(tarball), exist_ok=True)
    subprocess.run(["mmdebstrap", "--variant=minbase",
                    "--include=python3,python3-venv,ca-certificates", "bookworm", tarball,
                    SOURCES], check=True, capture_output=True, timeout=900)
    try:
        podman("import", tarball, BASE_IMAGE)
    finally:
        os.remove(tarball)


def call(base, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@unittest.skipUnless(all(shutil.which(tool) for tool in TOOLS) and os.path.exists(SOURCES),
                     "podman, runc or mmdebstrap not installed (apt-get install podman runc "
                     "mmdebstrap; .ci/run does): the container image test is skipped")
class ContainerImageTestCase(unittest.TestCase):
    """Build the image, run it with MIGRATE=1, and use the API through it."""

    @classmethod
    def setUpClass(cls):
        ensure_base_image()
        build = podman("build", "--format", "docker", "--isolation", "chroot", "--network",
                       "host", "-v", "/etc/ssl/certs:/etc/ssl/certs:ro", "--build-arg",
                       f"BASE_IMAGE={BASE_IMAGE}", "-t", IMAGE, ".", timeout=1200, check=False)
        if build.returncode != 0:
            raise RuntimeError(build.stdout[-3000:] + build.stderr[-3000:])

    def run_container(self, database_url: str, port: int, *command: str,
                      **env: str) -> str:
        """Start the image (with this command instead of its own, and these settings more) in
        the background on the host network; its container id."""
        url = make_url(database_url)
        volumes = []
        socket_dir = url.query.get("host")
        if socket_dir:  # the throwaway server listens on a Unix socket in a private directory
            os.chmod(socket_dir, 0o711)  # noqa: S103  (the container's user must reach it)
            volumes = ["-v", f"{socket_dir}:{socket_dir}"]
        started = podman("run", "-d", "--rm", *RUN_OPTIONS, *volumes,
                         "-e", f"DATABASE_URL={database_url}", "-e", f"SECRET={SECRET}",
                         "-e", "MIGRATE=1", "-e", f"PORT={port}", "-e", "GUNICORN_WORKERS=2",
                         "-e", "BCRYPT_LOG_ROUNDS=4",
                         *[f"-e{name}={value}" for name, value in env.items()], IMAGE, *command)
        container = started.stdout.strip()
        self.addCleanup(podman, "rm", "-f", container, check=False)
        return container

    def wait_for_health(self, base: str, container: str) -> dict:
        deadline = time.monotonic() + 60
        while True:
            try:
                return call(base, "/health")[1]
            except OSError:
                if time.monotonic() > deadline:
                    logs = podman("logs", container, check=False)
                    self.fail(f"no /health within 60 s:\n{logs.stdout}{logs.stderr}")
                time.sleep(0.3)

    def test_the_image_migrates_and_serves_the_api_as_a_non_root_user(self):
        with scratch_database() as database_url:
            port = free_port()
            container = self.run_container(database_url, port)
            base = f"http://127.0.0.1:{port}"
            self.assertEqual(self.wait_for_health(base, container), {"status": "ok"})

            engine = create_engine(database_url)
            try:
                with engine.connect() as connection:
                    version = connection.execute(
                        text("SELECT version_num FROM alembic_version")).scalar_one()
            finally:
                engine.dispose()
            head = ScriptDirectory(os.path.join(ROOT, "migrations")).get_current_head()
            self.assertEqual(version, head)

            user = {"email": "image@example.com", "password": "image password"}
            self.assertEqual(call(base, "/auth/register", user)[0], 201)
            status, tokens = call(base, "/auth/login", user)
            self.assertEqual(status, 200)
            status, created = call(base, "/bucketlists/", {"name": "Shipped"},
                                   tokens["access_token"])
            self.assertEqual((status, created["name"]), (201, "Shipped"))

            self.assertEqual(podman("exec", container, "id", "-u").stdout.strip(), "10001")
            image = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
            self.assertIn("/health", " ".join(image["Healthcheck"]["Test"]))
            self.assertEqual(image["Config"]["Cmd"], ["gunicorn", "run:app"])
            health = podman("healthcheck", "run", container, check=False)
            self.assertEqual(health.returncode, 0, health.stdout + health.stderr)
            # Only what the service runs on: no tests, benchmarks, docs or npm files.
            shipped = podman("exec", container, "ls", "-A", "/app").stdout.split()
            self.assertIn("app", shipped)
            self.assertEqual([name for name in ("tests", "bench", "docs", "package.json",
                                                "package-lock.json", "node_modules")
                              if name in shipped], [])

    def test_the_same_image_runs_the_job_worker_that_sends_the_mail(self):
        smtp = SMTPServer()
        smtp.start()
        self.addCleanup(smtp.stop)
        with scratch_database() as database_url, redis_server() as queue_url:
            api_port, metrics_port = free_port(), free_port()
            settings = {"JOB_QUEUE_URL": queue_url, "MAIL_SERVER": "127.0.0.1",
                        "MAIL_PORT": str(smtp.port), "PUBLIC_URL": f"http://127.0.0.1:{api_port}"}
            api = self.run_container(database_url, api_port, **settings)
            base = f"http://127.0.0.1:{api_port}"
            self.wait_for_health(base, api)  # migrated by then (MIGRATE=1)
            worker = self.run_container(database_url, api_port, "python", "manage.py", "worker",
                                        "--beat", METRICS_PORT=str(metrics_port), **settings)
            user = {"email": "mail@example.com", "password": "image password"}
            self.assertEqual(call(base, "/auth/register", user)[0], 201)
            self.assertEqual(call(base, "/auth/password-reset", {"email": user["email"]})[0], 202)

            messages = delivered(smtp.inbox, timeout=90)
            if not messages:
                logs = podman("logs", worker, check=False)
                self.fail(f"no mail within 90 s:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
            self.assertIn("token=", messages[0].get_content())
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                        timeout=10) as response:
                self.assertIn("bucketlist_job_queue_depth 0.0", response.read().decode())
            # The scheduler (--beat) runs as the image's user, its schedule file in /tmp.
            self.assertEqual(podman("exec", worker, "id", "-u").stdout.strip(), "10001")
            self.assertIn("beat: Starting", podman("logs", worker).stderr)
            self.assertEqual(podman("inspect", "-f", "{{.State.Running}}",
                                    worker).stdout.strip(), "true")


if __name__ == "__main__":
    unittest.main()
