"""A real Prometheus (Debian's package) scrapes a two-instance fleet; promtool checks and tests
the alert rules in deploy/prometheus/. Skipped, saying why, without the `prometheus` package
(`.ci/run` installs it)."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
from contextlib import ExitStack

from tests.base import free_port
from tests.live_server import ROOT, live_api, wait_for_port

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
RULES = os.path.join(ROOT, "deploy", "prometheus")
NEEDS_PROMETHEUS = unittest.skipUnless(
    PROMETHEUS and PROMTOOL, "prometheus and promtool not found: apt-get install prometheus")


@NEEDS_PROMETHEUS
class AlertRulesTestCase(unittest.TestCase):
    """The shipped configuration and rules are valid, and each alert fires when it should."""

    def promtool(self, *args) -> str:
        result = subprocess.run([PROMTOOL, *args], cwd=RULES, capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def test_the_rules_and_the_config_check(self):
        self.assertIn("SUCCESS: 7 rules found", self.promtool("check", "rules", "alerts.yml"))
        self.promtool("check", "config", "prometheus.yml")

    def test_alerts_fire_on_synthetic_series_and_stay_quiet_otherwise(self):
        self.assertIn("SUCCESS", self.promtool("test", "rules", "alerts_test.yml"))


@NEEDS_PROMETHEUS
class FleetScrapeTestCase(unittest.TestCase):
    """Requests sent to two instances are read back through Prometheus's query API."""

    def query(self, base: str, promql: str) -> float | None:
        url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as response:
            result = json.loads(response.read())["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, base: str, promql: str, expected: float, timeout: float = 90) -> None:
        deadline, seen = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            seen = self.query(base, promql)
            if seen == expected:
                return
            time.sleep(0.5)
        self.fail(f"{promql} is {seen}, not {expected}, after {timeout:.0f} s")

    def test_prometheus_reads_back_the_requests_of_both_instances(self):
        with ExitStack() as stack:
            metrics_ports = [free_port(), free_port()]
            bases = [stack.enter_context(live_api(extra_env={"METRICS_PORT": str(port)}))
                     for port in metrics_ports]
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="bucketlist-prom-"))
            shutil.copy(os.path.join(RULES, "alerts.yml"), workdir)
            targets = ", ".join(f'"127.0.0.1:{port}"' for port in metrics_ports)
            config = os.path.join(workdir, "prometheus.yml")
            with open(config, "w") as file:
                file.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                           "rule_files: [alerts.yml]\n"
                           "scrape_configs:\n"
                           "  - job_name: bucketlist-api\n"
                           f"    static_configs: [{{targets: [{targets}]}}]\n")
            port = free_port()
            prometheus = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
                 f"--web.listen-address=127.0.0.1:{port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            stack.callback(prometheus.wait, 10)
            stack.callback(prometheus.terminate)
            wait_for_port(port, prometheus)
            prom = f"http://127.0.0.1:{port}"

            sent = {bases[0]: 17, bases[1]: 13}
            for base, count in sent.items():
                for _ in range(count):
                    with urllib.request.urlopen(base + "/health", timeout=10) as response:
                        self.assertEqual(response.status, 200)
            self.wait_for(prom, 'count(up{job="bucketlist-api"} == 1)', 2)
            self.wait_for(prom, 'sum(http_server_request_duration_seconds_count'
                                '{job="bucketlist-api", http_route="/health"})', 30)
            self.assertEqual(self.query(prom, 'sum(http_server_active_requests'
                                              '{job="bucketlist-api"})'), 0)
