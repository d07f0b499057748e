"""Which Host a request may name, and which forwarded headers of a proxy are believed."""

import os
import unittest
from unittest import mock

from app import create_app
from instance.config import ConfigError
from tests.base import AuthenticatedTestCase


class TrustedHostsTestCase(AuthenticatedTestCase):
    """TRUSTED_HOSTS: any other Host header is a 400, before any view runs."""

    def setUp(self):
        super().setUp()
        self.use_app(TRUSTED_HOSTS=["api.example", ".example.org"])

    def get(self, path, host):
        return self.client().get(path, headers={**self.headers, "Host": host})

    def test_a_listed_host_is_served(self):
        for host in ("api.example", "api.example:8443", "eu.example.org"):
            with self.subTest(host=host):
                self.assertEqual(self.get("/bucketlists/", host).status_code, 200)

    def test_any_other_host_is_a_400_in_json(self):
        for path in ("/bucketlists/", "/bucketlists//1", "/health"):
            with self.subTest(path=path):
                body = self.assert_error(self.get(path, "evil.example"), 400)
                self.assertIn("evil.example", body["message"])

    def test_the_environment_lists_them(self):
        with mock.patch.dict(os.environ, {"TRUSTED_HOSTS": "api.example, .example.org"}):
            config = create_app("development").config
        self.assertEqual(config["TRUSTED_HOSTS"], ["api.example", ".example.org"])
        with mock.patch.dict(os.environ, {"TRUSTED_HOSTS": ""}):
            self.assertIsNone(create_app("development").config["TRUSTED_HOSTS"])


class RedirectTestCase(AuthenticatedTestCase):
    """A routing redirect names a path, never a host the client chose."""

    def test_merged_slashes_redirect_to_a_path(self):
        res = self.client().get("/bucketlists//1", headers={"Host": "evil.example"})
        self.assertEqual(res.status_code, 308)
        self.assertEqual(res.headers["Location"], "/bucketlists/1")

    def test_the_query_string_is_kept(self):
        res = self.client().get("/bucketlists//1/items//?page=2", headers={"Host": "evil.example"})
        self.assertEqual(res.status_code, 308)
        self.assertEqual(res.headers["Location"], "/bucketlists/1/items/?page=2")


class ForwardedHeadersTestCase(AuthenticatedTestCase):
    """PROXY_COUNT trusts X-Forwarded-For; -Proto and -Host only when configured."""

    FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "evil.example"}

    def first_link(self, **overrides):
        self.use_app(PROXY_COUNT=1, **overrides)
        res = self.client().get("/bucketlists/", headers={**self.headers, **self.FORWARDED})
        self.assertEqual(res.status_code, 200)
        return res.headers["Link"].split(";")[0]

    def test_a_clients_forwarded_host_and_proto_are_ignored_by_default(self):
        self.assertEqual(self.first_link(), "<http://localhost/bucketlists/?page=1>")

    def test_they_are_believed_when_the_proxy_is_said_to_set_them(self):
        self.assertEqual(self.first_link(PROXY_TRUST_PROTO=True, PROXY_TRUST_HOST=True),
                         "<https://evil.example/bucketlists/?page=1>")

    def test_a_forwarded_host_is_still_held_to_trusted_hosts(self):
        self.use_app(PROXY_COUNT=1, PROXY_TRUST_HOST=True, TRUSTED_HOSTS=["api.example"])
        res = self.client().get("/bucketlists/", headers={**self.headers, **self.FORWARDED})
        self.assert_error(res, 400)

    def test_trusting_them_without_a_proxy_is_refused(self):
        for name in ("PROXY_TRUST_PROTO", "PROXY_TRUST_HOST"):
            with (
                self.subTest(name=name),
                mock.patch.dict(os.environ, {name: "true", "PROXY_COUNT": "0"}),
                self.assertRaisesRegex(ConfigError, "PROXY_COUNT"),
            ):
                create_app("development")


if __name__ == "__main__":
    unittest.main()
