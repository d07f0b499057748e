"""Run the service in a real server process for tests that speak HTTP to it."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from tests.base import free_port
from tests.database import scratch_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
SECRET = "live-server-secret-that-is-longer-than-32-characters"


def run(*args, **env):
    """Run a command in the project root with extra environment; its completed process."""
    return subprocess.run(
        args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """Wait until something accepts connections on this loopback port; fail if `process` exits
    first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            error = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"server exited: {error}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not start within {timeout:.0f} s")
        time.sleep(0.1)


@contextlib.contextmanager
def serving(args: list[str], env: dict, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE):
    """Start `args` (with {port} filled in, there and in `env`'s values), wait until it accepts
    connections; yield its URL."""
    port = free_port()
    args = [arg.replace("{port}", str(port)) for arg in args]
    env = {name: value.replace("{port}", str(port)) for name, value in env.items()}
    process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env},
                               stdout=stdout, stderr=stderr, text=True)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
        if process.stderr:
            process.stderr.close()


@contextlib.contextmanager
def live_api(config: str = "production", stdout=subprocess.DEVNULL, extra_env=None):
    """The API under gunicorn on a fresh, migrated PostgreSQL database; yields its base URL."""
    with scratch_database() as url:
        env = {"APP_SETTINGS": config, "DATABASE_URL": url, "SECRET": SECRET,
               "BCRYPT_LOG_ROUNDS": "4", **(extra_env or {})}
        upgrade = run(sys.executable, "manage.py", "db", "upgrade", **env)
        if upgrade.returncode != 0:
            raise RuntimeError(upgrade.stderr)
        with serving([GUNICORN, "--bind", "127.0.0.1:{port}", "--workers", "2", "run:app"],
                     env, stdout) as base:
            yield base


REDIS = shutil.which("redis-server")


@contextlib.contextmanager
def redis_server():
    """A throwaway redis-server on a free loopback port; yields its URL."""
    port, workdir = free_port(), tempfile.mkdtemp(prefix="bucketlist-redis-")
    process = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, timeout=10)
        yield f"redis://127.0.0.1:{port}"
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def raw_request(base: str, data: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes to a live server; the status, headers (lower-case names) and body of its
    answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body
