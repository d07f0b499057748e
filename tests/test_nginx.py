"""What nginx answers itself, with the repository's server block (deploy/nginx/bucketlist.conf):
a URL, headers or a body over its limits, or no instance to send to, get JSON, as everything the
API answers does."""

import json
import os
import sys
import unittest
import urllib.request

from tests.base import free_port
from tests.fleet import NGINX, nginx_in_front
from tests.live_server import serving
from tests.test_gunicorn import raw_request

GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


@unittest.skipUnless(NGINX, "nginx not installed (apt-get install nginx; .ci/run does)")
class NginxErrorsTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.app = serving([GUNICORN, "--bind", "127.0.0.1:{port}", "--workers", "1",
                           "tests.fixtures.echo_environ:app"], {})
        app_base = cls.app.__enter__()
        cls.addClassCleanup(cls.app.__exit__, None, None, None)
        cls.nginx = nginx_in_front([int(app_base.rsplit(":", 1)[1])])
        cls.base = cls.nginx.__enter__()
        cls.addClassCleanup(cls.nginx.__exit__, None, None, None)

    def assert_json_error(self, data: bytes, status: int, words: str, base=None):
        got, headers, body = raw_request(base or self.base, data)
        self.assertEqual(got, status, body)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertIn(words, json.loads(body)["message"])
        return headers

    def test_the_app_is_reached(self):
        with urllib.request.urlopen(self.base + "/?x=1", timeout=10) as response:
            self.assertEqual(json.loads(response.read())["query"], "x=1")

    def test_a_url_over_the_limit_is_a_json_414(self):
        self.assert_json_error(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                               "too long")

    def test_a_header_over_the_limit_is_a_json_431(self):
        large = b"X-Large: " + b"a" * 9000 + b"\r\n"
        self.assert_json_error(b"GET / HTTP/1.1\r\nHost: x\r\n" + large + b"\r\n", 431,
                               "headers are too large")

    def test_a_body_over_the_limit_is_a_json_413(self):
        body = b"a" * (1024 * 1024 + 1)
        self.assert_json_error(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                               % len(body) + body, 413, "the limit is 1048576 bytes")

    def test_what_is_not_http_is_a_json_400(self):
        self.assert_json_error(b"GET / HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n", 400,
                               "not valid HTTP")

    def test_no_instance_to_answer_is_a_json_503(self):
        with nginx_in_front([free_port()]) as base:
            headers = self.assert_json_error(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close"
                                             b"\r\n\r\n", 503, "unavailable", base=base)
        self.assertEqual(headers["retry-after"], "5")


if __name__ == "__main__":
    unittest.main()
