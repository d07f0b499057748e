"""A fleet on this machine: N API instances (gunicorn processes) behind nginx, sharing one
PostgreSQL and one Redis, as compose.yaml runs them in containers.

nginx serves deploy/nginx/bucketlist.conf, the compose stack's own server block, with only its
`listen` port changed and an upstream of this machine's instances. Used by tests/test_fleet.py and
bench/fleet.py.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from sqlalchemy import create_engine, select

from app.models import Bucketlist
from tests.base import free_port
from tests.database import scratch_database
from tests.live_server import GUNICORN, REDIS, ROOT, SECRET, redis_server, run, wait_for_port

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
SERVER_BLOCK = os.path.join(ROOT, "deploy", "nginx", "bucketlist.conf")
NGINX_MAIN = """
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    upstream bucketlist_api {{
        least_conn;
{servers}
    }}
{server_block}
}}
"""


@dataclass
class Instance:
    """One API instance: a gunicorn master and its workers, in their own process group."""

    process: subprocess.Popen
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL to the master and every worker: a crash, nothing finishes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        """SIGTERM to the master: gunicorn stops accepting and finishes what it has."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)

    def wait_until_serving(self, timeout: float = 60) -> None:
        """Wait until GET /health is answered (by this instance, when it holds the port alone)."""
        deadline = time.monotonic() + timeout
        while call(self.base, "GET", "/health", timeout=5)[0] != 200:
            if self.process.poll() is not None:
                raise RuntimeError(f"the instance exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the instance did not serve within {timeout:.0f} s")
            time.sleep(0.1)

    def workers(self) -> set[int]:
        """The process ids of the master's workers."""
        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as file:
            return {int(pid) for pid in file.read().split()}

    def reload(self, workers: int, timeout: float = 60) -> None:
        """SIGHUP to the master (gunicorn's graceful reload): new workers start, the old ones
        finish what they have and exit. Returns once only new workers are left."""
        old = self.workers()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while not ((current := self.workers()) and not current & old
                   and len(current) == workers):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the reload did not end within {timeout:.0f} s")
            time.sleep(0.1)


@dataclass
class Fleet:
    base: str                     # nginx
    database_url: str
    instances: list[Instance] = field(default_factory=list)
    env: dict = field(default_factory=dict)
    workers: int = 2
    listeners: list[socket.socket] = field(default_factory=list)  # held sockets, if any

    def restart(self, number: int) -> None:
        """Stop instance `number` with SIGTERM, then start it again on its port (its held
        socket, in a fleet that holds them); returns once it serves."""
        instance = self.instances[number]
        instance.stop()
        listener = self.listeners[number] if self.listeners else None
        self.instances[number] = start_instance(self.env, self.workers, instance.port, listener)


def start_instance(env: dict, workers: int, port: int | None = None,
                   listener: socket.socket | None = None) -> Instance:
    """A gunicorn instance on this port (a free one by default), once it accepts connections.

    With `listener`, a listening socket this process holds, gunicorn serves that socket instead,
    handed over as systemd's socket activation hands one (fd 3, LISTEN_FDS, LISTEN_PID): the
    socket outlives the instance, so connections that come while it restarts wait in the socket
    for the next one. The instance is started once it answers /health."""
    command = [GUNICORN, "run:app", "--workers", str(workers)]
    pass_fds = ()
    if listener:
        fd = listener.fileno()
        moved = "" if fd == 3 else f" 3<&{fd} {fd}<&-"
        command = ["sh", "-c", f'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"{moved}', "sh",
                   *command]
        pass_fds, port = (fd,), listener.getsockname()[1]
    else:
        port = port or free_port()
        command += ["--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               pass_fds=pass_fds, start_new_session=True)
    instance = Instance(process, port)
    if listener:
        instance.wait_until_serving()
    else:
        wait_for_port(port, process)
    return instance


def held_socket() -> socket.socket:
    """A listening TCP socket on a free loopback port, held as a systemd socket unit holds one."""
    return socket.create_server(("127.0.0.1", 0), backlog=2048)


@contextlib.contextmanager
def nginx_in_front(ports: list[int]):
    """nginx with the repository's server block on a free port, over these instances; its URL."""
    directory = tempfile.mkdtemp(prefix="bucketlist-nginx-")
    port = free_port()
    with open(SERVER_BLOCK) as file:
        server_block = file.read().replace("listen 80;", f"listen 127.0.0.1:{port};")
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"
                        for p in ports)
    config = os.path.join(directory, "nginx.conf")
    with open(config, "w") as file:
        file.write(NGINX_MAIN.format(directory=directory, servers=servers,
                                     server_block=server_block))
    process = subprocess.Popen([NGINX, "-p", directory, "-c", config, "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def fleet(instances: int = 3, workers: int = 2, extra_env: dict | None = None,
          held_sockets: bool = False):
    """A migrated database, Redis, `instances` API instances and nginx; yields a Fleet.

    With `held_sockets`, this process holds each instance's listening socket, as systemd does
    for a socket-activated service (deploy/systemd/), and the instances serve those sockets."""
    with scratch_database() as database_url, redis_server() as redis_url:
        env = {"APP_SETTINGS": "production", "DATABASE_URL": database_url, "SECRET": SECRET,
               "BCRYPT_LOG_ROUNDS": "4", "RATELIMIT_STORAGE_URI": redis_url,
               "PROXY_COUNT": "1", "GUNICORN_ACCESS_LOG": "off", **(extra_env or {})}
        upgrade = run(sys.executable, "manage.py", "db", "upgrade", **env)
        if upgrade.returncode != 0:
            raise RuntimeError(upgrade.stderr)
        listeners = [held_socket() for _ in range(instances)] if held_sockets else []
        started = []
        try:
            for number in range(instances):
                started.append(start_instance(env, workers, listener=(
                    listeners[number] if listeners else None)))
            with nginx_in_front([instance.port for instance in started]) as base:
                yield Fleet(base, database_url, started, env, workers, listeners)
        finally:
            for instance in started:
                if instance.process.poll() is None:
                    instance.kill()
            for listener in listeners:
                listener.close()


def available() -> bool:
    """Whether this machine has what a fleet needs: nginx and redis-server."""
    return bool(NGINX and REDIS)


def call(base: str, method: str, path: str, body=None, token=None, key=None,
         timeout: float = 15, headers: dict | None = None) -> tuple[int, dict | None, dict]:
    """(status, JSON body or None, headers) of one request (with these extra headers); status 0
    when no answer came."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read() or b"null")
        except ValueError:
            answer = None  # not JSON: nothing in the stack should answer so
        return error.code, answer, dict(error.headers)
    except (OSError, http.client.HTTPException):
        return 0, None, {}


def stored_names(database_url: str) -> list[str]:
    """The name of every bucketlist in the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(Bucketlist.name)).scalars().all()
    finally:
        engine.dispose()


def log_in(base: str, email: str, password: str = "fleet password") -> str:  # noqa: S107
    call(base, "POST", "/auth/register", {"email": email, "password": password})
    status, answer, _ = call(base, "POST", "/auth/login", {"email": email, "password": password})
    if status != 200:
        raise RuntimeError(f"login failed: {status} {answer}")
    return answer["access_token"]


@dataclass
class LoadResult:
    """What clients saw during a load: reads (repeated by the client when the connection was cut
    before a whole answer came), creates (each retried with its key until it got an answer), and
    how long each request took."""

    read_statuses: list[int] = field(default_factory=list)  # each read's answer (0: none)
    reads_cut: int = 0      # read attempts with no whole answer, which the client repeated
    created: dict = field(default_factory=dict)         # key -> id of the bucketlist
    create_attempts: int = 0
    create_failures: list[int] = field(default_factory=list)  # statuses of failed attempts
    unanswered_keys: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def read_failures(self) -> int:
        return sum(1 for status in self.read_statuses if status == 0 or status >= 500)


def run_load(base: str, token: str, seconds: float, clients: int = 6,
             events: tuple = ()) -> LoadResult:
    """`clients` threads that each create bucketlists (with an Idempotency-Key, retrying every
    failed attempt) and read one back, for `seconds`; `events` are (after_seconds, function)
    pairs run meanwhile, one after the other (killing an instance, say). The load goes on until
    the last event has returned, and half a second more."""
    result, lock = LoadResult(), threading.Lock()
    start = time.monotonic()
    done = threading.Event()

    def client(number: int) -> None:
        sequence = 0
        while not done.is_set():
            sequence += 1
            key = f"client-{number}-{sequence}"
            for _ in range(40):
                begun = time.monotonic()
                status, answer, _ = call(base, "POST", "/bucketlists/", {"name": key}, token, key)
                with lock:
                    result.create_attempts += 1
                    result.latencies.append(time.monotonic() - begun)
                if status == 201:
                    with lock:
                        result.created[key] = answer["id"]
                    break
                with lock:
                    result.create_failures.append(status)
                time.sleep(0.05)
            else:
                with lock:
                    result.unanswered_keys.append(key)
                continue
            for _ in range(3):  # a read is safe to repeat, by nginx or by its client
                begun = time.monotonic()
                status, _, _ = call(base, "GET", f"/bucketlists/{result.created[key]}",
                                    token=token)
                with lock:
                    result.latencies.append(time.monotonic() - begun)
                    if status != 0:
                        result.read_statuses.append(status)
                        break
                    result.reads_cut += 1
            else:
                with lock:
                    result.read_statuses.append(0)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for after, event in sorted(events, key=lambda pair: pair[0]):
        time.sleep(max(0.0, start + after - time.monotonic()))
        event()
    time.sleep(max(0.5, start + seconds - time.monotonic()))
    done.set()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - start
    return result
