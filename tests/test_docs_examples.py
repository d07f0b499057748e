"""The shell examples of the README and of docs/, run in order against the app as `make run`
serves it (development settings, the embedded SQLite, Flask's server), so that an example that
stops working fails the suite.

An example block is a ```sh block that calls the API (`$B/…`). Its commands run in one shell, in
reading order, as a reader pastes them. A command whose comment starts with a status (`# 201`)
must answer that status, and the quoted text after it (`# 200 "Borabora"`) must be in what it
printed; `RESET=token-from-the-mail` (any such name) takes the token of the mail the server printed
last, as the reader copies it from the `make run` terminal.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.live_server import ROOT, SECRET, run, serving

# In the order the README links them; pages whose blocks do not call the API hold none.
PAGES = ["README.md", "docs/api.md"]
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
CHECKED = re.compile(r"^(curl .*?)\s+#\s*(\d{3})\b(?:\s*\"([^\"]*)\")?.*$", re.DOTALL)
CURL = shutil.which("curl")
# `RESET=token-from-the-mail`: the reader pastes the token of the mail the server printed last.
MAILED = re.compile(r"^([A-Z_]+)=token-from-the-mail\b")

# What the examples need besides themselves: `check` runs a documented command and compares its
# status (and text); `mailed_token` waits for the server to print a mail with a token it has not
# printed before.
PRELUDE = r"""
set -e
BODY=$(mktemp)
check() {
  local want=$1 text=$2; shift 2
  local got
  got=$("$@" -s -o "$BODY" -w '%{http_code}')
  if [ "$got" != "$want" ]; then
    echo "EXAMPLE FAILED: $* answered $got, documented $want"; cat "$BODY"; exit 1
  fi
  if [ -n "$text" ] && ! grep -qF -- "$text" "$BODY"; then
    echo "EXAMPLE FAILED: $* answered without \"$text\""; cat "$BODY"; exit 1
  fi
  echo "ok $want: $*"
}
mailed_token() {
  for _ in $(seq 100); do
    token=$(grep -o 'token=[A-Za-z0-9_-]*' "$SERVER_LOG" | tail -n 1 | cut -d= -f2)
    if [ -n "$token" ] && [ "$token" != "$LAST_MAILED" ]; then echo "$token"; return; fi
    sleep 0.1
  done
  echo "no mail in the server's log" >&2; exit 1
}
"""


def commands(block: str) -> list[str]:
    """A block's commands: a line ending in `\\` or `|`, or inside an open `$(`, goes on."""
    found, current = [], ""
    for line in block.splitlines():
        current = f"{current}\n{line}" if current else line
        code = re.sub(r"\s+#.*$", "", line).rstrip()
        if code.endswith(("\\", "|")) or current.count("$(") > current.count(")"):
            continue
        found.append(current)
        current = ""
    return found


def script(port: int) -> str:
    """The examples as one shell script against a server on this port."""
    lines = [PRELUDE]
    for page in PAGES:
        with open(os.path.join(ROOT, page), encoding="utf-8") as file:
            text = file.read()
        for block in BLOCK.findall(text):
            if "$B/" not in block:
                continue
            for command in commands(block):
                command = command.replace("127.0.0.1:5000", f"127.0.0.1:{port}")
                mailed = MAILED.match(command)
                if mailed:
                    command = f"{mailed[1]}=$(mailed_token) && LAST_MAILED=${mailed[1]}"
                checked = CHECKED.match(command)
                if checked:
                    curl, status, text = checked.groups()
                    command = f"check {status} {shell_quote(text or '')} {curl}"
                lines.append(command)
    return "\n".join(lines) + "\n"


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


@unittest.skipUnless(CURL, "curl not found: the documentation's examples use it")
class DocumentationExamplesTestCase(unittest.TestCase):
    """Every documented curl example answers what its comment says."""

    def test_the_examples_answer_as_documented(self):
        workdir = tempfile.mkdtemp(prefix="bucketlist-docs-")
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        log_path = os.path.join(workdir, "server.log")
        env = {"APP_SETTINGS": "development", "SECRET": SECRET,
               "DATABASE_URL": f"sqlite:///{workdir}/bucketlist.db", "BCRYPT_LOG_ROUNDS": "4"}
        upgrade = run(sys.executable, "manage.py", "db", "upgrade", **env)
        self.assertEqual(upgrade.returncode, 0, upgrade.stderr)
        with open(log_path, "w") as log, serving(
                [sys.executable, "manage.py", "run", "--host", "127.0.0.1", "--port", "{port}"],
                env, stdout=log, stderr=log) as base:
            port = int(base.rsplit(":", 1)[1])
            examples = script(port)
            self.assertGreaterEqual(examples.count("\ncheck "), 25)
            result = subprocess.run(["bash", "-c", examples], cwd=workdir, capture_output=True,
                                    text=True, timeout=300, env={**os.environ,
                                                                 "SERVER_LOG": log_path})
        self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr[-2000:])
