"""What nginx answers itself, with the repository's server block (deploy/nginx/bucketlist.conf):
a URL, headers or a body over its limits, or no instance to send to, get JSON, as everything the
API answers does."""

import contextlib
import json
import unittest
import urllib.request

from tests.base import free_port
from tests.fleet import NGINX, nginx_in_front
from tests.live_server import GUNICORN, serving
from tests.test_gunicorn import ECHO, JsonErrorAssertions


@unittest.skipUnless(NGINX, "nginx not installed (apt-get install nginx; .ci/run does)")
class NginxErrorsTestCase(JsonErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with contextlib.ExitStack() as stack:
            app_base = stack.enter_context(serving(
                [GUNICORN, "--bind", "127.0.0.1:{port}", "--workers", "1", ECHO], {}))
            cls.base = stack.enter_context(nginx_in_front([int(app_base.rsplit(":", 1)[1])]))
            cls.addClassCleanup(stack.pop_all().close)

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
