"""The OpenAPI description: valid, complete, made from the validating schemas; and /docs."""

import re
import unittest

from openapi_spec_validator import validate

from app.api import Api, Blueprint
from app.auth.schemas import RegisterSchema
from app.bucketlists.schemas import BucketlistInputSchema
from tests.base import BaseTestCase

# Rules that serve files, not API operations.
STATIC_ENDPOINTS = {"static", "docs_assets.asset"}


class OpenAPITestCase(BaseTestCase):
    """GET /openapi.json and GET /docs."""

    def setUp(self):
        super().setUp()
        self.spec = self.client().get("/openapi.json").get_json()

    def schema(self, name):
        return self.spec["components"]["schemas"][name]

    def test_description_is_valid_openapi_3(self):
        self.assertTrue(self.spec["openapi"].startswith("3."))
        validate(self.spec)

    def test_every_rule_and_method_is_described(self):
        for rule in self.app.url_map.iter_rules():
            if rule.endpoint in STATIC_ENDPOINTS:
                continue
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            with self.subTest(rule=rule.rule):
                self.assertIn(path, self.spec["paths"])
                for method in rule.methods - {"HEAD", "OPTIONS"}:
                    self.assertIn(method.lower(), self.spec["paths"][path])

    def test_exactly_the_throttled_routes_document_their_429(self):
        throttled = {("post", "/auth/register"), ("post", "/auth/login"),
                     ("post", "/auth/refresh"), ("put", "/auth/password"),
                     ("delete", "/auth/me"), ("post", "/auth/password-reset"),
                     ("post", "/auth/password-reset/confirm"),
                     ("post", "/bucketlists/{bucketlist_id}/invitations/")}
        documented = {(method, path) for path, operations in self.spec["paths"].items()
                      for method, operation in operations.items()
                      if method != "parameters" and "429" in operation["responses"]}
        self.assertEqual(documented, throttled)
        self.assertIn("Retry-After",
                      self.spec["paths"]["/auth/login"]["post"]["responses"]["429"]["description"])

    def test_bucketlist_routes_need_the_bearer_scheme(self):
        scheme = self.spec["components"]["securitySchemes"]["bearerAuth"]
        self.assertEqual((scheme["type"], scheme["scheme"]), ("http", "bearer"))
        for path, operations in self.spec["paths"].items():
            for method, operation in operations.items():
                if method == "parameters":
                    continue
                with self.subTest(path=path, method=method):
                    secured = operation.get("security") == [{"bearerAuth": []}]
                    needs_token = path.startswith("/bucketlists") or path in (
                        "/auth/logout", "/auth/me", "/auth/password", "/invitations/accept")
                    self.assertEqual(secured, needs_token)
                    if secured:
                        self.assertIn("401", operation["responses"])

    def test_request_bodies_come_from_the_validating_schemas(self):
        name = self.schema("BucketlistInput")["properties"]["name"]
        field = BucketlistInputSchema().fields["name"]
        self.assertEqual(name["maxLength"], 255)
        self.assertEqual(name["pattern"], field.metadata["pattern"])
        self.assertEqual(self.schema("BucketlistInput")["required"], ["name"])
        register = self.schema("Register")
        self.assertEqual(sorted(register["required"]), sorted(RegisterSchema().fields))
        self.assertEqual(register["properties"]["password"]["minLength"], 8)
        self.assertEqual(register["properties"]["password"]["maxLength"], 72)
        self.assertEqual(register["properties"]["email"]["format"], "email")
        post = self.spec["paths"]["/bucketlists/"]["post"]["requestBody"]["content"]
        self.assertEqual(set(post), {"application/json", "application/x-www-form-urlencoded",
                                     "multipart/form-data"})

    def test_errors_are_described_with_the_error_shape(self):
        get_one = self.spec["paths"]["/bucketlists/{bucketlist_id}"]["get"]["responses"]
        self.assertEqual(set(get_one), {"200", "304", "401", "404"})
        self.assertEqual(get_one["404"]["content"]["application/json"]["schema"],
                         {"$ref": "#/components/schemas/Error"})
        self.assertEqual(self.schema("Error")["required"], ["message"])

    def test_flask_smorest_is_extended_through_public_names_only(self):
        for ours in (Api, Blueprint):
            with self.subTest(cls=ours.__name__):
                private = [name for name in vars(ours)
                           if name.startswith("_") and not name.startswith("__")]
                self.assertEqual(private, [])

    def test_operation_ids_are_the_blueprint_and_the_operations_name(self):
        ids = {(path, method): operation.get("operationId")
               for path, item in self.spec["paths"].items()
               for method, operation in item.items() if method != "parameters"}
        self.assertEqual(ids[("/bucketlists/{bucketlist_id}", "put")],
                         "bucketlists_update_bucketlist")
        self.assertEqual(ids[("/bucketlists/{bucketlist_id}/items/{item_id}", "put")],
                         "items_replace_item")
        self.assertEqual(ids[("/auth/login", "post")], "auth_login")
        self.assertEqual(len(set(ids.values())), len(ids))

    def test_every_summary_is_one_line_and_longer_text_a_description(self):
        for path, item in self.spec["paths"].items():
            for method, operation in item.items():
                if method == "parameters":
                    continue
                with self.subTest(path=path, method=method):
                    summary = operation["summary"]
                    self.assertNotIn("\n", summary)
                    self.assertLessEqual(len(summary), 90)
                    self.assertNotIn("\n\n", operation.get("description", ""))

    def test_docs_page_uses_only_the_apps_own_assets(self):
        res = self.client().get("/docs")
        self.assertEqual((res.status_code, res.mimetype), (200, "text/html"))
        page = res.get_data(as_text=True)
        self.assertNotRegex(page, r"(src|href)=\"(https?:)?//")
        assets = re.findall(r'(?:src|href)="(/[^"]+)"', page)
        self.assertEqual(len(assets), 4)
        for asset in assets:
            with self.subTest(asset=asset):
                self.assertEqual(self.client().get(asset).status_code, 200)
        script_policy = res.headers["Content-Security-Policy"].split("style-src")[0]
        self.assertNotIn("unsafe-inline", script_policy)


if __name__ == "__main__":
    unittest.main()
