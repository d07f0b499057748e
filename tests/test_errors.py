"""Every error, from every layer, is JSON `{"message": ...}`: never HTML, never a traceback."""

import unittest

import jwt

from app import create_app
from app.models import Bucketlist, User
from tests.base import AuthenticatedTestCase, free_port


class ErrorsSayWhatToDoTestCase(AuthenticatedTestCase):
    """The commonest mistakes get a message that names the fix."""

    def test_json_sent_as_form_data_says_to_send_its_content_type(self):
        body = '{"email": "curl@example.com", "password": "curl password"}'
        for path in ("/auth/register", "/auth/login"):
            with self.subTest(path=path):
                res = self.client().post(path, data=body,
                                         content_type="application/x-www-form-urlencoded")
                message = self.assert_error(res, 400)["message"]
                self.assertIn("Content-Type: application/json", message)
        self.assertEqual(self.count(User), 1)
        form = self.client().post("/auth/register", data={"email": "form@example.com",
                                                          "password": "form password"})
        self.assertEqual(form.status_code, 201)

    def test_an_expired_token_names_the_refresh_route(self):
        with self.app.app_context():
            token = jwt.encode({"sub": "1", "sid": "a" * 24, "iat": 1, "exp": 2},
                               self.app.config["SECRET"], algorithm="HS256")
        message = self.assert_error(self.client_for(token).get("/bucketlists/"), 401)["message"]
        self.assertIn("POST /auth/refresh", message)

    def test_a_refresh_token_as_bearer_token_says_so(self):
        refresh = self.login_user().get_json()["refresh_token"]
        message = self.assert_error(self.client_for(refresh).get("/bucketlists/"), 401)["message"]
        self.assertIn("refresh token", message)
        self.assertIn("POST /auth/refresh", message)

    def test_a_trailing_slash_too_many_names_the_path_without_it(self):
        self.create_bucketlist(self.token)
        for method, path, bare in [("get", "/bucketlists/1/", "/bucketlists/1"),
                                   ("post", "/auth/login/", "/auth/login"),
                                   ("get", "/bucketlists/1/items/1/", "/bucketlists/1/items/1")]:
            with self.subTest(path=path):
                message = self.assert_error(getattr(self.api, method)(path), 404)["message"]
                self.assertIn(f"Did you mean {bare} ", message)
        missing = self.assert_error(self.api.get("/bucketlists/9/items/"), 404)
        self.assertEqual(missing["message"], "Bucketlist not found.")
        self.assertNotIn("Did you mean", self.assert_error(self.api.get("/nope/"), 404)["message"])

    def test_a_405_names_the_methods_to_use(self):
        message = self.assert_error(self.client().delete("/auth/login"), 405)["message"]
        self.assertEqual(message, "DELETE is not allowed on /auth/login; it allows OPTIONS, POST.")


class ErrorShapeTestCase(AuthenticatedTestCase):
    """404, 405, 413, 415, 400 for malformed bodies, and 500."""


    def test_unknown_url_is_json_404(self):
        for path in ["/nope", "/bucketlists/1/", "/auth/", "/auth/register/"]:
            with self.subTest(path=path):
                self.assert_error(self.client().get(path), 404)

    def test_wrong_method_is_json_405_with_allow(self):
        res = self.client().delete("/auth/login")
        self.assert_error(res, 405)
        self.assertEqual(set(res.headers["Allow"].split(", ")), {"POST", "OPTIONS"})

    def test_collection_answers_without_its_trailing_slash_too(self):
        res = self.api.post("/bucketlists", json={"name": "no slash"})
        self.assertEqual(res.status_code, 201)
        res = self.api.get("/bucketlists")
        self.assertEqual((res.status_code, len(res.get_json())), (200, 1))

    def test_body_over_one_mebibyte_is_413_and_nothing_is_stored(self):
        for path, headers in [("/auth/register", {}), ("/bucketlists/", self.headers)]:
            with self.subTest(path=path):
                res = self.client().post(
                    path, headers=headers, data=b"{" + b" " * (1024 * 1024) + b"}",
                    content_type="application/json",
                )
                body = self.assert_error(res, 413)
                self.assertIn("1048576 bytes", body["message"])
        self.assertEqual((self.count(User), self.count(Bucketlist)), (1, 0))

    def test_other_media_types_are_415(self):
        for content_type in ["text/plain", "application/xml", "application/octet-stream"]:
            with self.subTest(content_type=content_type):
                res = self.client().post(
                    "/auth/register", data="email=a@example.com", content_type=content_type
                )
                body = self.assert_error(res, 415)
                self.assertIn("application/json", body["message"])

    def test_json_with_charset_and_suffix_types_are_accepted(self):
        for content_type in ["application/json; charset=utf-8", "application/vnd.api+json"]:
            with self.subTest(content_type=content_type):
                res = self.api.post(
                    "/bucketlists/", data='{"name": "typed"}',
                    content_type=content_type,
                )
                self.assertEqual(res.status_code, 201)

    def test_multipart_form_is_accepted(self):
        res = self.api.post(
            "/bucketlists/", data={"name": "multi"},
            content_type="multipart/form-data",
        )
        self.assertEqual((res.status_code, res.get_json()["name"]), (201, "multi"))

    def test_absurdly_nested_json_is_400(self):
        for body in ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000]:
            res = self.api.post("/bucketlists/", data=body, content_type="application/json")
            self.assert_error(res, 400)

    def test_invalid_utf8_is_400(self):
        res = self.api.post(
            "/bucketlists/", data=b'{"name": "\xff\xfe"}',
            content_type="application/json",
        )
        self.assert_error(res, 400, "Malformed JSON in the request body.")

    def test_huge_numbers_are_400_not_500(self):
        res = self.api.post(
            "/bucketlists/", data='{"name": ' + "9" * 5000 + "}",
            content_type="application/json",
        )
        self.assert_error(res, 400)

    def test_validation_errors_name_each_field(self):
        res = self.client().post("/auth/register", json={"email": "bad", "password": "short"})
        body = self.assert_error(res, 400)
        self.assertEqual(set(body["errors"]), {"email", "password"})
        self.assertIn("email", body["message"])
        self.assertIn("password", body["message"])

    def test_unexpected_exception_is_json_500_without_traceback(self):
        def explode():
            raise RuntimeError("secret internals")

        app = create_app(config_name="testing")
        app.add_url_rule("/explode", "explode", explode)
        with self.assertLogs(app.logger, level="ERROR"):
            res = app.test_client().get("/explode")
        body = self.assert_error(res, 500)
        self.assertNotIn("secret internals", res.get_data(as_text=True))
        self.assertNotIn("Traceback", body["message"])

    def test_unreachable_database_is_json_503(self):
        port = free_port()  # nothing listens there
        app = create_app("testing", overrides={
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg2://nobody@127.0.0.1:{port}/none"
        })
        with self.assertLogs(app.logger, level="ERROR"):
            res = app.test_client().post(
                "/auth/login", json={"email": "a@example.com", "password": "whatever"}
            )
        self.assert_error(res, 503, "The database is unavailable. Please try again shortly.")
        self.assertEqual(res.headers["Retry-After"], "5")


if __name__ == "__main__":
    unittest.main()
