"""Property-based tests with Schemathesis against /openapi.json, in-process and authenticated.

For every operation, positive and negative cases: no 5xx, every response conforms to the
description (status, content type, headers, body), data that breaks the description is rejected,
and an operation that needs a token refuses to work without one. SCHEMATHESIS_MAX_EXAMPLES sets the
number of cases per operation and mode (25 here; `make fuzz` runs many more).
"""

import os
import unittest

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.base import BaseTestCase

MAX_EXAMPLES = int(os.getenv("SCHEMATHESIS_MAX_EXAMPLES", "25"))
# The same cases on every run of `make test`; `make fuzz` explores new ones each time.
DERANDOMIZE = "SCHEMATHESIS_MAX_EXAMPLES" not in os.environ
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection,
          ignored_auth]


class SchemathesisTestCase(BaseTestCase):
    """Every operation of the description, fuzzed against the app itself."""

    def setUp(self):
        super().setUp()
        self.token = self.get_token("fuzz@example.com", "fuzz password")
        self.create_bucketlist(self.token, "Fuzzed")
        self.schema = schemathesis.openapi.from_wsgi("/openapi.json", self.app)
        # Through Schemathesis's own auth hook, so that a negative case that leaves the token
        # out on purpose is sent without it.
        schemathesis.auth(refresh_interval=None)(self.token_auth())
        self.addCleanup(schemathesis.auths.unregister)
        self.statuses = {}

    def token_auth(self):
        test = self

        class TokenAuth:
            """The shared token, except for logout, which gets a fresh token for every case."""

            def get(self, case, context):
                if case.operation.label == "POST /auth/logout":
                    return test.get_token("fuzz@example.com", "fuzz password")
                return test.token

            def set(self, case, data, context):
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

        return TokenAuth

    def run_operation(self, operation, mode):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), derandomize=DERANDOMIZE)
        def check(case):
            response = case.call_and_validate(checks=CHECKS)
            self.statuses.setdefault((operation.label, mode), set()).add(response.status_code)

        try:
            check()
        except Unsatisfiable:
            # An operation that takes no input at all has no negative cases to send.
            if mode is not GenerationMode.NEGATIVE or operation.label not in self.inputless:
                raise

    def test_every_operation_holds_to_its_description(self):
        operations = [result.ok() for result in self.schema.get_all_operations()]
        spec = self.client().get("/openapi.json").get_json()
        described = {f"{method.upper()} {path}" for path, methods in spec["paths"].items()
                     for method in methods if method != "parameters"}
        self.inputless = {
            f"{method.upper()} {path}" for path, methods in spec["paths"].items()
            for method, described_operation in methods.items() if method != "parameters"
            and not ({"parameters", "requestBody", "security"} & set(described_operation))
            and not methods.get("parameters")
        }
        # Schemathesis leaves out the description's own URL, /openapi.json.
        self.assertEqual({o.label for o in operations}, described - {"GET /openapi.json"})
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                with self.subTest(operation=operation.label, mode=mode.value):
                    self.run_operation(operation, mode)
        # The token really was sent: authenticated operations succeeded with generated data.
        for label in ["GET /bucketlists/", "POST /bucketlists/", "POST /auth/logout"]:
            statuses = self.statuses[(label, GenerationMode.POSITIVE)]
            self.assertTrue(any(200 <= status < 300 for status in statuses), (label, statuses))


if __name__ == "__main__":
    unittest.main()
