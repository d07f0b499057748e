"""Prometheus metrics: named by OpenTelemetry's HTTP conventions, summed over gunicorn's workers,
served on METRICS_PORT only, and nothing recorded without it."""

import unittest
import urllib.error
import urllib.request

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.base import AuthenticatedTestCase, free_port
from tests.live_server import live_api

DURATION_COUNT = "http_server_request_duration_seconds_count"


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests_of(route: str, status: str, method: str = "GET") -> float:
    return sample(DURATION_COUNT, http_request_method=method, http_route=route,
                  http_response_status_code=status)


class MetricsTestCase(AuthenticatedTestCase):
    """What a request records when METRICS_PORT is set (this process's registry)."""

    def setUp(self):
        super().setUp()
        self.use_app(METRICS_PORT=9100)
        self.bucketlist = self.create_bucketlist(self.token)

    def test_requests_are_counted_by_route_template_method_and_status(self):
        route = "/bucketlists/<id:bucketlist_id>"
        before = requests_of(route, "200"), requests_of(route, "404"), requests_of("", "404")
        self.api.get(f"/bucketlists/{self.bucketlist['id']}")
        self.api.get(f"/bucketlists/{self.bucketlist['id']}")
        self.api.get("/bucketlists/999")
        self.api.get("/no/such/path")
        after = requests_of(route, "200"), requests_of(route, "404"), requests_of("", "404")
        self.assertEqual([a - b for a, b in zip(after, before, strict=True)], [2, 1, 1])
        self.assertEqual(sample("http_server_active_requests", http_request_method="GET"), 0)
        self.assertEqual(sample("db_client_connections_in_use"), 0)

    def test_an_unknown_method_is_one_label(self):
        before = sample(DURATION_COUNT, http_request_method="_OTHER", http_route="",
                        http_response_status_code="405")
        self.client().open("/health", method="BREW")
        self.client().open("/health", method="FROB")
        after = sample(DURATION_COUNT, http_request_method="_OTHER", http_route="",
                       http_response_status_code="405")
        self.assertEqual(after - before, 2)

    def test_the_apps_own_counters(self):
        failures = sample("bucketlist_login_failures_total")
        replays = sample("bucketlist_idempotent_replays_total")
        self.login_user(password="wrong password")
        headers = {"Idempotency-Key": "metrics-1"}
        for _ in range(2):
            self.api.post("/bucketlists/", json={"name": "Once"}, headers=headers)
        self.assertEqual(sample("bucketlist_login_failures_total") - failures, 1)
        self.assertEqual(sample("bucketlist_idempotent_replays_total") - replays, 1)

    def test_without_metrics_port_nothing_is_recorded(self):
        self.use_app()
        route = "/bucketlists/<id:bucketlist_id>"
        before = requests_of(route, "200")
        self.api.get(f"/bucketlists/{self.bucketlist['id']}")
        self.assertEqual(requests_of(route, "200"), before)


def scrape(url: str) -> dict:
    """The samples at a /metrics URL: {(name, labels as a sorted tuple): value}."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


class GunicornMetricsTestCase(unittest.TestCase):
    """Under gunicorn with two workers, the master serves the sum of both on METRICS_PORT."""

    def test_n_requests_through_two_workers_show_n_on_the_metrics_port_only(self):
        metrics_port = free_port()
        with live_api(extra_env={"METRICS_PORT": str(metrics_port)}) as base:
            for _ in range(40):
                with urllib.request.urlopen(base + "/health", timeout=10) as response:
                    self.assertEqual(response.status, 200)
            samples = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
            labels = (("http_request_method", "GET"), ("http_response_status_code", "200"),
                      ("http_route", "/health"))
            self.assertEqual(samples[(DURATION_COUNT, labels)], 40)
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + "/metrics", timeout=10)
            self.assertEqual(refused.exception.code, 404)
