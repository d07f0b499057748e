"""The Postman collection in docs/postman, run by newman against a live server.

newman comes from the npm registry (`npm ci`, which `make test` runs when npm is present). Without
it the test is skipped and says why.
"""

import os
import shutil
import subprocess
import unittest

from tests.live_server import ROOT, live_api

POSTMAN = os.path.join(ROOT, "docs", "postman")
NEWMAN = shutil.which("newman", path=os.path.join(ROOT, "node_modules", ".bin")) or shutil.which(
    "newman"
)


@unittest.skipUnless(NEWMAN, "newman not installed: with npm present, `npm ci` installs it "
                             "(make test does this); the Postman collection test is skipped")
class PostmanCollectionTestCase(unittest.TestCase):
    """Every request of the collection passes its own tests against the real service."""

    def test_collection_passes_against_a_live_server(self):
        with live_api() as base:
            result = subprocess.run(
                [NEWMAN, "run", os.path.join(POSTMAN, "bucketlist-api.postman_collection.json"),
                 "--environment", os.path.join(POSTMAN, "bucketlist-api.postman_environment.json"),
                 "--env-var", f"baseUrl={base}", "--color", "off", "--reporters", "cli"],
                capture_output=True, text=True, timeout=120, cwd=ROOT,
            )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"assertions\s*│\s*\d+\s*│\s*0\s*│")


if __name__ == "__main__":
    unittest.main()
