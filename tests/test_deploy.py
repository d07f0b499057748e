"""The deployment files say what the tests run: compose.yaml, the nginx server block, the
Dockerfile. (Compose itself needs a container engine with networking, which these machines lack;
its parts run in tests/test_image.py and tests/test_fleet.py.)"""

import os
import unittest

import yaml

from tests.live_server import ROOT


def read(*path) -> str:
    with open(os.path.join(ROOT, *path)) as file:
        return file.read()


class ComposeTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.compose = yaml.safe_load(read("compose.yaml"))
        cls.services = cls.compose["services"]

    def test_the_database_and_redis_have_health_checks(self):
        self.assertIn("pg_isready", " ".join(self.services["db"]["healthcheck"]["test"]))
        self.assertIn("ping", self.services["redis"]["healthcheck"]["test"])

    def test_a_one_shot_service_migrates_before_the_api_starts(self):
        migrate = self.services["migrate"]
        self.assertEqual(migrate["command"], ["python", "manage.py", "db", "upgrade"])
        self.assertEqual(migrate["depends_on"]["db"]["condition"], "service_healthy")
        waits = self.services["api"]["depends_on"]
        self.assertEqual(waits["migrate"]["condition"], "service_completed_successfully")
        self.assertEqual(waits["db"]["condition"], "service_healthy")
        self.assertEqual(waits["redis"]["condition"], "service_healthy")

    def test_three_api_replicas_share_redis_and_trust_one_proxy(self):
        api = self.services["api"]
        self.assertEqual(api["deploy"]["replicas"], 3)
        self.assertEqual(api["environment"]["RATELIMIT_STORAGE_URI"], "redis://redis:6379/0")
        self.assertEqual(api["environment"]["PROXY_COUNT"], "1")
        self.assertEqual(api["environment"]["APP_SETTINGS"], "production")
        self.assertEqual(api["build"], ".")

    def test_nginx_serves_the_server_block_the_fleet_test_runs(self):
        nginx = self.services["nginx"]
        mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in nginx["volumes"])
        self.assertEqual(mounts["./deploy/nginx/bucketlist.conf"],
                         "/etc/nginx/conf.d/default.conf")
        for source in mounts:
            self.assertTrue(os.path.exists(os.path.join(ROOT, source)), source)
        self.assertEqual(nginx["depends_on"]["api"]["condition"], "service_healthy")
        self.assertIn("api:8000", read("deploy", "nginx", "upstream.compose.conf"))


class NginxConfigTestCase(unittest.TestCase):
    def test_only_failures_before_an_answer_are_retried_and_never_a_post_it_sent(self):
        config = read("deploy", "nginx", "bucketlist.conf")
        directives = [line.split("#")[0].strip() for line in config.splitlines()]
        self.assertIn("proxy_next_upstream error timeout http_502 http_503;", directives)
        self.assertFalse([line for line in directives if "non_idempotent" in line])
        self.assertIn("proxy_request_buffering on;", directives)
        self.assertIn("proxy_buffering on;", directives)
        self.assertIn("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", directives)


class DockerfileTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lines = [line.strip() for line in read("Dockerfile").splitlines()]

    def test_the_base_is_an_argument_defaulting_to_the_official_slim_python(self):
        self.assertIn("ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm", self.lines)
        self.assertIn("FROM ${BASE_IMAGE}", self.lines)

    def test_it_runs_gunicorn_as_a_non_root_user_with_a_health_check(self):
        self.assertIn("USER 10001:10001", self.lines)
        self.assertIn('CMD ["gunicorn", "run:app"]', self.lines)
        self.assertTrue(any(line.startswith("HEALTHCHECK") for line in self.lines))
        self.assertIn("HOST=0.0.0.0 \\", self.lines)

    def test_the_entrypoint_migrates_only_when_asked(self):
        entrypoint = read("docker-entrypoint.sh")
        self.assertIn('if [ "${MIGRATE:-0}" = "1" ]; then', entrypoint)
        self.assertIn('exec "$@"', entrypoint)
        ignored = read(".dockerignore").split()
        for path in (".git", ".venv", ".env", "node_modules"):
            self.assertIn(path, ignored)


if __name__ == "__main__":
    unittest.main()
