"""JSON output through orjson: the same JSON as before, keys sorted only when asked."""

import json
import unittest
from datetime import UTC, datetime

from app import create_app
from tests.database import release


class JsonProviderTestCase(unittest.TestCase):
    """app.json.dumps honours what Flask's own provider does."""

    def setUp(self):
        self.app = create_app("testing")
        self.addCleanup(release, self.app)

    def test_keys_keep_their_order_unless_sorting_is_asked(self):
        self.assertEqual(self.app.json.dumps({"b": 1, "a": 2}), '{"b":1,"a":2}')
        self.assertEqual(self.app.json.dumps({"b": 1, "a": 2}, sort_keys=True), '{"a":2,"b":1}')

    def test_text_stays_text_and_odd_values_still_serialize(self):
        value = {"name": "\U0001f600 \u00e9 \"q\"", 1: datetime(2026, 1, 2, tzinfo=UTC)}
        self.assertEqual(json.loads(self.app.json.dumps(value)),
                         {"name": "\U0001f600 \u00e9 \"q\"", "1": "2026-01-02T00:00:00+00:00"})

    def test_responses_are_indented_in_debug(self):
        with self.app.test_request_context():
            body = self.app.json.response({"a": 1}).get_data(as_text=True)
        self.assertEqual(body, '{\n  "a": 1\n}\n')


if __name__ == "__main__":
    unittest.main()
