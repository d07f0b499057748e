"""What gunicorn does itself, with gunicorn.conf.py, before the app sees a request: its own errors
are JSON, a client's X-Forwarded-Proto is not believed, token parameters stay out of its log."""

import contextlib
import json
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from tests.base import free_port
from tests.live_server import GUNICORN, SECRET, raw_request, serving

ECHO = "tests.fixtures.echo_environ:app"


class JsonErrorAssertions:
    """For a TestCase with `self.base`: the server answers raw bytes with a JSON error."""

    def assert_json_error(self, data: bytes, status: int, words: str, base=None) -> dict:
        """The answer is `status` with a JSON `{"message": ...}` holding `words`; its headers."""
        got, headers, body = raw_request(base or self.base, data)
        self.assertEqual(got, status, body)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertIn(words, json.loads(body)["message"])
        return headers


class GunicornTestCase(JsonErrorAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with contextlib.ExitStack() as stack:
            cls.log = stack.enter_context(tempfile.TemporaryFile("w+"))
            cls.base = stack.enter_context(serving(
                [GUNICORN, "--bind", "127.0.0.1:{port}", "--workers", "1", ECHO],
                {"GUNICORN_ACCESS_LOG": "-"}, stdout=cls.log))
            cls.addClassCleanup(stack.pop_all().close)

    def get(self, path, **headers) -> dict:
        request = urllib.request.Request(self.base + path, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def test_a_url_over_the_limit_is_a_json_414(self):
        self.assert_json_error(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                               "too long: the limit is 4094 bytes")

    def test_too_many_or_too_large_headers_are_a_json_431(self):
        many = b"".join(b"X-Field-%d: 1\r\n" % number for number in range(101))
        self.assert_json_error(b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431,
                               "at most 100 fields")
        large = b"X-Large: " + b"a" * 9000 + b"\r\n"
        self.assert_json_error(b"GET / HTTP/1.1\r\nHost: x\r\n" + large + b"\r\n", 431,
                               "of at most 8190 bytes each")

    def test_what_is_not_http_is_a_json_400(self):
        self.assert_json_error(b"HELLO\r\n\r\n", 400, "not valid HTTP")

    def test_a_clients_forwarded_proto_is_not_believed(self):
        # The request comes from 127.0.0.1, as nginx's would; only the app's ProxyFix decides.
        for header, value in [("X-Forwarded-Proto", "https"), ("X-Forwarded-Ssl", "on"),
                              ("X-Forwarded-Protocol", "ssl")]:
            with self.subTest(header=header):
                self.assertEqual(self.get("/", **{header: value})["scheme"], "http")

    def test_the_access_log_masks_token_parameters(self):
        secret = "Zq0-reset-token-from-an-old-mail"
        path = f"/auth/password-reset/confirm?token={secret}&lang=en&access_token={secret}"
        self.assertEqual(self.get(path)["query"].count(secret), 2)  # the app still gets it
        self.get("/after?marker=1")  # the log is written once the answer went out
        self.log.seek(0)
        entries = [json.loads(line) for line in self.log.read().splitlines()
                   if line.startswith("{")]
        [entry] = [e for e in entries if e["path"] == "/auth/password-reset/confirm"]
        self.assertEqual(entry["query"], "token=[masked]&lang=en&access_token=[masked]")
        self.assertNotIn(secret, json.dumps(entries))


class LibraryLogTestCase(unittest.TestCase):
    def test_losing_the_rate_limits_redis_is_in_the_log(self):
        nowhere = f"127.0.0.1:{free_port()}"
        env = {"APP_SETTINGS": "production", "SECRET": SECRET, "LOG_FORMAT": "json",
               "DATABASE_URL": f"postgresql://x@{nowhere}/x",
               "RATELIMIT_STORAGE_URI": f"redis://{nowhere}"}
        with tempfile.TemporaryFile("w+") as log:
            with serving([GUNICORN, "--bind", "127.0.0.1:{port}", "--workers", "1", "run:app"],
                         env, stdout=log, stderr=subprocess.STDOUT) as base:
                request = urllib.request.Request(
                    base + "/auth/login", data=b'{"email": "a@example.com", "password": "x"}',
                    headers={"Content-Type": "application/json"})
                with self.assertRaises(urllib.error.HTTPError) as raised:
                    urllib.request.urlopen(request, timeout=10)
                self.assertEqual(raised.exception.code, 503)  # no database either, but no 500
            log.seek(0)
            lines = [json.loads(line) for line in log if line.startswith('{"time"')]
        [line] = [line for line in lines if line.get("logger") == "app.auth.throttling"]
        self.assertEqual(line["level"], "WARNING")
        self.assertIn("falling back to in-memory storage", line["message"])


if __name__ == "__main__":
    unittest.main()
