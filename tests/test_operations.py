"""Operations: probes, request ids, JSON logs, security headers, CORS."""

import io
import json
import logging
import os
import unittest
from unittest import mock

from flask import Response

from app import create_app
from app.security import add_vary
from instance.config import ConfigError
from tests.base import AuthenticatedTestCase, BaseTestCase, free_port
from tests.database import release


class ProbeTestCase(BaseTestCase):
    """GET /health and GET /ready."""

    def test_health_needs_no_database(self):
        app = create_app("testing", overrides={
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg2://x@127.0.0.1:{free_port()}/x"})
        res = app.test_client().get("/health")
        self.assertEqual((res.status_code, res.get_json()), (200, {"status": "ok"}))

    def test_ready_when_the_database_answers(self):
        res = self.client().get("/ready")
        self.assertEqual((res.status_code, res.get_json()),
                         (200, {"status": "ready", "rate_limits": "off"}))

    def test_ready_says_how_rate_limits_are_counted(self):
        # With limits off, the limiter keeps no storage: /ready must not ask it (it was a 500).
        for overrides, state in [
            ({"RATELIMIT_ENABLED": True}, "memory"),
            ({"RATELIMIT_ENABLED": False,
              "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}"}, "off"),
        ]:
            with self.subTest(state=state):
                app = create_app("testing", overrides=overrides)
                self.addCleanup(release, app)
                res = app.test_client().get("/ready")
                self.assertEqual((res.status_code, res.get_json()),
                                 (200, {"status": "ready", "rate_limits": state}))

    def test_not_ready_without_the_database_is_503_json(self):
        app = create_app("testing", overrides={
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg2://x@127.0.0.1:{free_port()}/x"})
        with self.assertLogs(app.logger, level="ERROR"):
            res = app.test_client().get("/ready")
        self.assert_error(res, 503, "The database is unavailable. Please try again shortly.")
        self.assertEqual(res.headers["Retry-After"], "5")


class RequestIdTestCase(BaseTestCase):
    """X-Request-ID: kept when well-formed, made otherwise, and in the logs."""

    def test_a_well_formed_id_is_echoed(self):
        res = self.client().get("/health", headers={"X-Request-ID": "abc-123_x.y:z"})
        self.assertEqual(res.headers["X-Request-ID"], "abc-123_x.y:z")

    def test_a_missing_or_bad_id_is_replaced(self):
        seen = set()
        for value in [None, "", "has space", "x" * 129, "<script>", "é"]:
            with self.subTest(value=value):
                headers = {} if value is None else {"X-Request-ID": value}
                made = self.client().get("/health", headers=headers).headers["X-Request-ID"]
                self.assertRegex(made, r"^[0-9a-f]{32}$")
                seen.add(made)
        self.assertEqual(len(seen), 6)

    def test_errors_carry_the_id_too(self):
        res = self.client().get("/nowhere", headers={"X-Request-ID": "req-404"})
        self.assertEqual((res.status_code, res.headers["X-Request-ID"]), (404, "req-404"))

    def logged(self, app, request_id) -> list[str]:
        """The lines the app writes to the request's error stream while a view logs a warning."""

        @app.get("/log-something")
        def log_something():
            app.logger.warning("something happened")
            return {"ok": True}

        stream = io.StringIO()
        app.test_client().get("/log-something", headers={"X-Request-ID": request_id},
                              errors_stream=stream)
        return stream.getvalue().splitlines()

    def test_log_lines_name_the_request_and_can_be_json(self):
        app = create_app("testing", overrides={"LOG_FORMAT": "json"})
        self.addCleanup(release, app)
        (line,) = self.logged(app, "trace-7")
        entry = json.loads(line)
        self.assertEqual((entry["message"], entry["request_id"], entry["level"]),
                         ("something happened", "trace-7", "WARNING"))

    def test_logging_is_configured_once_however_many_apps_there_are(self):
        apps = [create_app("testing") for _ in range(5)]
        for app in apps:
            self.addCleanup(release, app)
        (line,) = self.logged(apps[-1], "trace-8")
        self.assertIn("something happened", line)
        handlers = logging.getLogger("app").handlers
        self.assertEqual(len(handlers), 1)
        self.assertEqual(len(handlers[0].filters), 1)


class SecurityHeadersTestCase(AuthenticatedTestCase):
    """nosniff, referrer and framing everywhere; no-store where a token is involved."""

    def test_every_response_has_the_headers(self):
        for res in [self.client().get("/health"), self.client().get("/nowhere"),
                    self.api.get("/bucketlists/"),
                    self.client().get("/static/browsable/browsable.css")]:
            with self.subTest(path=res.request.path):
                self.assertEqual(res.headers["X-Content-Type-Options"], "nosniff")
                self.assertEqual(res.headers["Referrer-Policy"], "no-referrer")
                self.assertEqual(res.headers["X-Frame-Options"], "DENY")
                self.assertIn("frame-ancestors 'none'", res.headers["Content-Security-Policy"])

    def test_token_bearing_responses_are_not_stored(self):
        login = self.login_user()
        self.assertEqual(login.headers["Cache-Control"], "no-store")
        self.assertEqual(self.api.get("/auth/me").headers["Cache-Control"], "no-store")
        created = self.api.post("/bucketlists/", json={"name": "x"})
        self.assertEqual(created.headers["Cache-Control"], "no-store")
        renamed = self.api.put("/bucketlists/1", json={"name": "y"})
        self.assertEqual(renamed.headers["Cache-Control"], "no-store")
        self.assertEqual(self.api.get("/bucketlists/9").headers["Cache-Control"], "no-store")
        self.assertNotIn("no-store", self.client().get("/health").headers.get("Cache-Control", ""))

    def test_reads_with_an_etag_are_revalidated_not_forbidden_to_cache(self):
        # no-store would forbid keeping the copy that If-None-Match names.
        self.api.post("/bucketlists/", json={"name": "Cached"})
        for path in ["/bucketlists/", "/bucketlists/1", "/bucketlists/1/items/"]:
            with self.subTest(path=path):
                response = self.api.get(path)
                self.assertIn("ETag", response.headers)
                self.assertEqual(response.headers["Cache-Control"], "private, no-cache")
                self.assertIn("Authorization", response.headers["Vary"])
                again = self.client().get(path, headers={
                    **self.headers, "If-None-Match": response.headers["ETag"]})
                self.assertEqual((again.status_code, again.headers["Cache-Control"]),
                                 (304, "private, no-cache"))

    def test_html_pages_keep_their_strict_policy(self):
        page = self.client().get("/bucketlists/", headers={"Accept": "text/html"})
        self.assertIn("script-src 'self'", page.headers["Content-Security-Policy"])

    def test_cors_is_off_by_default(self):
        res = self.client().options("/bucketlists/", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        self.assertNotIn("Access-Control-Allow-Origin", res.headers)
        res = self.client().get("/bucketlists/", headers={**self.headers,
                                                          "Origin": "https://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", res.headers)


class CorsTestCase(AuthenticatedTestCase):
    """CORS_ORIGINS lists the origins a browser may call the API from."""

    def setUp(self):
        super().setUp()
        self.use_app(CORS_ORIGINS=["https://app.example"])

    def test_listed_origin_is_allowed_with_the_bearer_header(self):
        res = self.client().options("/bucketlists/", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type"})
        self.assertEqual(res.headers["Access-Control-Allow-Origin"], "https://app.example")
        self.assertIn("authorization", res.headers["Access-Control-Allow-Headers"].lower())
        res = self.client().get("/bucketlists/", headers={**self.headers,
                                                          "Origin": "https://app.example"})
        self.assertEqual(res.headers["Access-Control-Allow-Origin"], "https://app.example")
        self.assertIn("X-Total-Count", res.headers["Access-Control-Expose-Headers"])

    def test_a_front_end_may_send_and_read_every_header_the_api_offers(self):
        sent = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key",
                "X-Request-ID"]
        res = self.client().options("/bucketlists/1", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": ", ".join(sent)})
        allowed = {name.strip().lower()
                   for name in res.headers["Access-Control-Allow-Headers"].split(",")}
        self.assertEqual(allowed, {name.lower() for name in sent})
        res = self.api.get("/bucketlists/", headers={"Origin": "https://app.example"})
        exposed = {name.strip() for name in res.headers["Access-Control-Expose-Headers"].split(",")}
        self.assertLessEqual({"ETag", "Location", "Link", "X-Total-Count", "Retry-After",
                              "X-Request-ID", "Idempotent-Replayed"}, exposed)

    def test_vary_is_one_header_naming_every_request_header_the_answer_depends_on(self):
        self.api.post("/bucketlists/", json={"name": "Varied"})
        res = self.api.get("/bucketlists/1", headers={"Origin": "https://app.example"})
        self.assertEqual(len(res.headers.getlist("Vary")), 1)
        named = {name.strip() for name in res.headers["Vary"].split(",")}
        self.assertEqual(named, {"Origin", "Accept", "Authorization"})

    def test_other_origins_are_not(self):
        res = self.client().get("/bucketlists/", headers={**self.headers,
                                                          "Origin": "https://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", res.headers)

    def test_an_origin_that_only_contains_a_listed_one_is_not(self):
        for origin in ("https://app.example.evil.net", "https://xapp.example", "http://app.example"):
            with self.subTest(origin=origin):
                res = self.client().get("/bucketlists/", headers={**self.headers,
                                                                  "Origin": origin})
                self.assertNotIn("Access-Control-Allow-Origin", res.headers)


class CorsSettingTestCase(unittest.TestCase):
    """CORS_ORIGINS takes exact origins or a lone *; anything else stops the start."""

    def test_patterns_and_urls_are_refused_at_start_up(self):
        for entry in ("https://*.example.com", "*.example.com", "https://app.example/",
                      "https://app.example/path", "app.example", "https://user@app.example",
                      "https://app.example:99999", "ftp://app.example", "https://(app).example"):
            with (
                self.subTest(entry=entry),
                mock.patch.dict(os.environ, {"CORS_ORIGINS": f"https://ok.example,{entry}"}),
                self.assertRaisesRegex(ConfigError, "CORS_ORIGINS"),
            ):
                create_app("development")

    def test_exact_origins_and_a_lone_star_start(self):
        for value, origins in [
            ("https://app.example, http://localhost:3000,http://[::1]:8080",
             ["https://app.example", "http://localhost:3000", "http://[::1]:8080"]),
            ("*", ["*"]),
        ]:
            with self.subTest(value=value), mock.patch.dict(os.environ, {"CORS_ORIGINS": value}):
                app = create_app("development")
            self.addCleanup(release, app)
            self.assertEqual(app.config["CORS_ORIGINS"], origins)
            response = app.test_client().options("/bucketlists/", headers={
                "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
            self.assertEqual(response.headers["Access-Control-Allow-Origin"],
                             "http://localhost:3000")

    def test_a_lone_star_allows_every_origin(self):
        app = create_app("testing", overrides={"CORS_ORIGINS": ["*"]})
        self.addCleanup(release, app)
        res = app.test_client().get("/health", headers={"Origin": "https://any.example"})
        self.assertEqual(res.headers["Access-Control-Allow-Origin"], "https://any.example")



class AddVaryTestCase(unittest.TestCase):
    """app/security.py: `add_vary` adds a header name to Vary once, as `response.vary.add`."""

    def test_names_are_added_once_in_any_case(self):
        response = Response()
        for name in ("Accept", "Authorization", "accept", "Origin", "Accept-Encoding"):
            add_vary(response, name)
        self.assertEqual(response.headers.getlist("Vary"),
                         ["Accept, Authorization, Origin, Accept-Encoding"])


if __name__ == "__main__":
    unittest.main()
