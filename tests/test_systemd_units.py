"""deploy/systemd/'s units are ones systemd accepts (`systemd-analyze verify`), with this
checkout's paths in place of /srv/bucketlist. Skipped where systemd-analyze is missing."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.live_server import ROOT

UNITS = os.path.join(ROOT, "deploy", "systemd")
ANALYZE = shutil.which("systemd-analyze")


@unittest.skipUnless(ANALYZE, "systemd-analyze not installed")
class SystemdUnitsTestCase(unittest.TestCase):
    def test_every_unit_verifies_without_a_warning(self):
        venv = os.path.dirname(os.path.dirname(sys.executable))
        with tempfile.TemporaryDirectory() as directory:
            for name in os.listdir(UNITS):
                with open(os.path.join(UNITS, name)) as file:
                    text = file.read()
                text = text.replace("/srv/bucketlist/.venv", venv).replace("/srv/bucketlist", ROOT)
                with open(os.path.join(directory, name), "w") as file:
                    file.write(text)
            units = [os.path.join(directory, name.replace("@.", "@8001."))
                     for name in sorted(os.listdir(UNITS))]
            verified = subprocess.run([ANALYZE, "verify", "--man=no", *units],
                                      capture_output=True, text=True, timeout=60)
        self.assertEqual((verified.returncode, verified.stdout + verified.stderr), (0, ""))

    def test_the_service_takes_its_socket_from_systemd(self):
        with open(os.path.join(UNITS, "bucketlist@.service")) as file:
            service = file.read()
        self.assertIn("Requires=bucketlist@%i.socket", service)
        self.assertIn("ExecStart=/srv/bucketlist/.venv/bin/gunicorn run:app\n", service)
        self.assertNotIn("--bind", service)


if __name__ == "__main__":
    unittest.main()
