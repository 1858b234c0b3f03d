"""Test harness: a throwaway PostgreSQL cluster and Hype daemons run as real processes."""

import glob
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

SOURCE_DIR = os.environ.get("HYPE_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BIN_DIR = os.environ.get("HYPE_BIN_DIR", os.path.join(SOURCE_DIR, "build/bin"))
SQL_DIR = os.path.join(SOURCE_DIR, "sql")
PGBIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]

ACCESS_SECRET = "test-access-secret-0123456789-abcdefghijkl"
REFRESH_SECRET = "test-refresh-secret-0123456789-abcdefghijk"

_names = itertools.count(1)


def unique_name(prefix="user"):
    """A username no other test uses (3-32 chars, [A-Za-z0-9_-])."""
    return f"{prefix}_{os.getpid() % 1000}_{next(_names)}"


def _as_postgres(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class PostgresCluster:
    """initdb + pg_ctl on a Unix socket in a temp dir (no TCP), as ops-facts.md recommends."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hype-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        subprocess.run(_as_postgres([f"{PGBIN}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust",
                                     "-E", "UTF8", "--no-locale", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL)
        self.start()
        self.psql("postgres", "CREATE DATABASE hype")
        self.dsn = f"postgresql:///hype?host={self.dir}&user=postgres"

    def start(self):
        subprocess.run(_as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "pg.log"), "-w",
                                     "-o", f"-k {self.dir} -c listen_addresses='' -c fsync=off "
                                           "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                                     "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode="fast"):
        subprocess.run(_as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql(self, db, sql):
        out = subprocess.run([f"{PGBIN}/psql", "-h", self.dir, "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
                              "-tAc", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotifySocket:
    """What systemd would be: an AF_UNIX datagram socket the daemon's sd_notify() writes to."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hype-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []

    def wait_for(self, prefix, timeout, proc=None):
        """Returns the first message containing a line starting with prefix."""
        deadline = time.monotonic() + timeout
        for m in self.messages:
            if any(line.startswith(prefix) for line in m.split("\n")):
                return m
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, min(0.2, deadline - time.monotonic())))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                if proc is not None and proc.poll() is not None:
                    return None
                continue
            self.messages.append(data)
            if any(line.startswith(prefix) for line in data.split("\n")):
                return data
        return None

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def api_env(dsn, port, **extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": dsn,
        "HYPE_SQL_DIR": SQL_DIR,
        "PORT": str(port),
        "BIND_ADDRESS": "127.0.0.1",
        "JWT_ACCESS_SECRET": ACCESS_SECRET,
        "JWT_REFRESH_SECRET": REFRESH_SECRET,
        # Cheaper argon2id than production so the suite stays fast; the code path is the same.
        "ARGON2_MEMORY_KIB": "4096",
        "ARGON2_TIME_COST": "1",
        "LOG_LEVEL": "info",
        # The suite makes thousands of requests from one address; test_platform.py checks limits.
        "RATE_LIMIT": "10000000",
        "RATE_LIMIT_AUTH": "10000000",
        # No hype-signal unless a test starts one: events are counted as undelivered.
        "SIGNAL_SOCKET": "/nonexistent/hype-signal.sock",
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_api_cli(*args, env):
    return subprocess.run([os.path.join(BIN_DIR, "hype-api"), *args], env=env, capture_output=True, text=True,
                          timeout=60)


class Daemon:
    """A Hype daemon as a process, ready once it has sent READY=1 to our notify socket."""

    name = "daemon"

    def __init__(self, env, args=()):
        self.env = env
        self.notify = NotifySocket()
        self.env["NOTIFY_SOCKET"] = self.notify.path
        self.log_path = tempfile.mktemp(prefix=f"{self.name}-", suffix=".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([os.path.join(BIN_DIR, self.name), *args], env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=30):
        msg = self.notify.wait_for("READY=1", timeout, self.proc)
        assert msg is not None, f"{self.name} did not become ready:\n{self.read_log()}"
        return msg

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        self.notify.close()
        return rc

    def check_clean_exit(self, secrets=()):
        """Stops the daemon and asserts what every fixture wants: alive until then, exit 0 on
        SIGTERM, no sanitizer report, no secret in the log."""
        alive = self.alive()
        rc = self.stop()
        log = self.read_log()
        assert alive, f"{self.name} died during the tests:\n{log[-4000:]}"
        assert rc == 0, f"{self.name} exited with {rc} on SIGTERM:\n{log[-4000:]}"
        for secret in secrets:
            assert secret not in log, f"a secret reached the log: {secret!r}"
        assert "runtime error" not in log and "AddressSanitizer" not in log, log[-4000:]


class ApiDaemon(Daemon):
    """hype-api as a process (migrated and seeded first)."""

    name = "hype-api"

    def __init__(self, dsn, migrate=True, **env_extra):
        self.port = free_port()
        env = api_env(dsn, self.port, **env_extra)
        if migrate:
            for step in ("--migrate", "--seed"):
                r = run_api_cli(step, env=env)
                assert r.returncode == 0, r.stderr
        super().__init__(env)
        self.url = f"http://127.0.0.1:{self.port}"

    def __call__(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return requests.request(method, self.url + path, **kw)


def signal_env(port, socket_path, **extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "WS_PORT": str(port),
        "BIND_ADDRESS": "127.0.0.1",
        "SIGNAL_SOCKET": socket_path,
        # Where media workers register: beside signal.sock unless a test says otherwise.
        "MEDIA_SOCKET": os.path.splitext(socket_path)[0] + "-media.sock",
        "JWT_ACCESS_SECRET": ACCESS_SECRET,
        "LOG_LEVEL": "info",
        # A small quarantine keeps RSS meaningful under ASan (memory-bound tests measure it).
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:quarantine_size_mb=4",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


class SignalDaemon(Daemon):
    """hype-signal as a process; its signal.sock lives in a private temp dir."""

    name = "hype-signal"

    def __init__(self, **env_extra):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="hype-signal-")
        self.socket_path = os.path.join(self.dir, "signal.sock")
        env_extra.setdefault("MEDIA_SOCKET", os.path.join(self.dir, "media.sock"))
        self.media_socket = env_extra["MEDIA_SOCKET"]
        super().__init__(signal_env(self.port, self.socket_path, **env_extra))
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def health(self):
        return requests.get(self.url + "/health", timeout=10).json()

    def metric(self, name, **labels):
        """One value from /metrics (0 when absent)."""
        text = requests.get(self.url + "/metrics", timeout=10).text
        want = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
        for line in text.splitlines():
            if line.startswith(want + " "):
                return float(line.split()[-1])
        return 0.0

    def media_workers(self):
        """The live media workers from /metrics: {worker id: {pid, min_port, max_port, announced_ip}}."""
        text = requests.get(self.url + "/metrics", timeout=10).text
        workers = {}
        for line in text.splitlines():
            if line.startswith("hype_signal_media_worker_info{"):
                labels = dict(kv.split("=", 1) for kv in line[line.index("{") + 1:line.index("}")].split(","))
                labels = {k: v.strip('"') for k, v in labels.items()}
                workers[int(labels.pop("worker"))] = labels
        return workers

    def wait_media_workers(self, predicate, timeout=15):
        """Polls /metrics until predicate(media_workers()) holds; returns that last reading."""
        deadline = time.monotonic() + timeout
        while True:
            workers = self.media_workers()
            if predicate(workers):
                return workers
            assert time.monotonic() < deadline, f"media workers never matched: {workers}\n{self.read_log()[-3000:]}"
            time.sleep(0.05)

    def stop(self, timeout=20):
        rc = super().stop(timeout)
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def media_env(socket_path, worker_id, **extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEDIA_SOCKET": socket_path,
        "MEDIA_WORKER_ID": str(worker_id),
        "MEDIA_WORKERS": "4",
        "MEDIA_MIN_PORT": "10000",
        "MEDIA_MAX_PORT": "10100",
        "MEDIA_BIND_ADDRESS": "127.0.0.1",
        "LOG_LEVEL": "info",
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


class MediaDaemon(Daemon):
    """hype-media as a process: worker worker_id, registering on socket_path (a SignalDaemon's
    media_socket). Ready (READY=1) as soon as it runs, whether or not hype-signal is there."""

    name = "hype-media"

    def __init__(self, socket_path, worker_id, **env_extra):
        self.worker_id = worker_id
        super().__init__(media_env(socket_path, worker_id, **env_extra))

    @property
    def pid(self):
        return str(self.proc.pid)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def register(api, username=None, email=None, password="correct-horse-battery", **extra):
    """Registers a fresh account; returns (response data, password)."""
    username = username or unique_name()
    body = {"username": username, "password": password}
    if email is not False:
        body["email"] = email or f"{username.lower()}@example.com"
    body.update(extra)
    r = api("POST", "/auth/register", json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"], password


def raw_http(port, data, timeout=5.0):
    """Sends raw bytes over one TCP connection and returns everything read until close/timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except socket.timeout:
            pass
    return b"".join(chunks)


def parse_raw_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def json_body(raw_body):
    return json.loads(raw_body.decode())
