"""hype-api as sysadmins run it: CLI, configuration errors, migrations, sd_notify, signals, units."""

import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from hype import BIN_DIR, SOURCE_DIR, ApiDaemon, NotifySocket, PostgresCluster, api_env, free_port, run_api_cli

HYPE_API = os.path.join(BIN_DIR, "hype-api")


def test_help_and_version():
    r = subprocess.run([HYPE_API, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for var in ("DATABASE_URL", "JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "PORT", "MAX_BODY_SIZE"):
        assert var in r.stdout
    r = subprocess.run([HYPE_API, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("hype-api ")
    r = subprocess.run([HYPE_API, "--bogus"], capture_output=True, text=True)
    assert r.returncode != 0


@pytest.mark.parametrize("binary", ["hype-api", "hype-signal", "hype-media"])
def test_readme_documents_every_variable(binary):
    r = subprocess.run([os.path.join(BIN_DIR, binary), "--help"], capture_output=True, text=True)
    readme = open(os.path.join(SOURCE_DIR, "README.md")).read()
    env_section = r.stdout.split("Environment:", 1)[1]
    names = [line.split()[0] for line in env_section.splitlines() if line.strip()]
    assert len(names) >= 8
    for name in names:
        assert f"`{name}`" in readme, f"README lacks {name}"


@pytest.mark.parametrize("override, fragment", [
    ({"JWT_ACCESS_SECRET": ""}, "JWT_ACCESS_SECRET"),
    ({"JWT_REFRESH_SECRET": "short"}, "JWT_REFRESH_SECRET"),
    ({"PORT": "70000"}, "PORT"),
    ({"PORT": "abc"}, "PORT"),
    ({"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
    ({"MAX_BODY_SIZE": "lots"}, "MAX_BODY_SIZE"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
])
def test_bad_configuration_stops_with_one_clear_line(override, fragment):
    env = api_env("postgresql:///nowhere?host=/nonexistent", free_port())
    env.update(override)
    r = subprocess.run([HYPE_API], env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert fragment in lines[0]
    secret = env.get("JWT_REFRESH_SECRET", "")
    if len(secret) >= 8:
        assert secret not in r.stderr


def test_equal_secrets_are_refused():
    env = api_env("postgresql:///x", free_port())
    env["JWT_REFRESH_SECRET"] = env["JWT_ACCESS_SECRET"]
    r = subprocess.run([HYPE_API, "--check-config"], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "must differ" in r.stderr and env["JWT_ACCESS_SECRET"] not in r.stderr


def test_unreachable_database_is_one_line_without_password():
    env = api_env("postgresql://hype:s3cr3t-pw@/hype?host=/nonexistent-dir&connect_timeout=2", free_port())
    r = subprocess.run([HYPE_API], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "s3cr3t-pw" not in r.stderr
    assert "PostgreSQL" in r.stderr


def test_migrate_is_idempotent_and_required(tmp_path):
    pg = PostgresCluster()
    try:
        env = api_env(pg.dsn, free_port())
        daemon = ApiDaemon(pg.dsn, migrate=False)
        rc = daemon.proc.wait(30)
        assert rc != 0 and "hype-api --migrate" in daemon.read_log()
        daemon.stop()
        r = run_api_cli("--migrate", env=env)
        assert r.returncode == 0, r.stderr
        assert "001_users_sessions" in r.stderr
        migrations = [f for f in os.listdir(os.path.join(SOURCE_DIR, "sql")) if f[:3].isdigit()]
        assert pg.psql("hype", "SELECT count(*) FROM schema_migrations") == str(len(migrations))
        r = run_api_cli("--migrate", env=env)
        assert r.returncode == 0 and "001_users_sessions" not in r.stderr
        r = run_api_cli("--seed", env=env)
        assert r.returncode == 0, r.stderr
        r = run_api_cli("--seed", env=env)
        assert r.returncode == 0, r.stderr
    finally:
        pg.destroy()


def test_sd_notify_ready_status_watchdog_stopping(pg):
    daemon = ApiDaemon(pg.dsn, WATCHDOG_USEC="400000")
    try:
        ready = daemon.wait_ready()
        assert "STATUS=" in ready
        assert daemon.notify.wait_for("WATCHDOG=1", 5) is not None
        assert daemon("GET", "/health").status_code == 200
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.notify.wait_for("STOPPING=1", 10) is not None
        rc = daemon.proc.wait(20)  # one SIGTERM, as systemd sends it
    finally:
        daemon.stop()
    assert rc == 0


def test_sigint_in_flight_request_completes(pg):
    daemon = ApiDaemon(pg.dsn)
    try:
        daemon.wait_ready()
        daemon.proc.send_signal(signal.SIGINT)
        assert daemon.proc.wait(20) == 0
    finally:
        daemon.stop()


def test_socket_activation(pg):
    """systemd-socket-activate hands the listening socket over, matched by name."""
    port = free_port()
    notify = NotifySocket()
    env = api_env(pg.dsn, free_port(), NOTIFY_SOCKET=notify.path)
    args = ["systemd-socket-activate", f"--listen=127.0.0.1:{port}", "--fdname=http",
            "-E", "NOTIFY_SOCKET"] + [f"-E{k}={v}" for k, v in env.items() if k != "NOTIFY_SOCKET"] + [HYPE_API]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        import socket
        import time
        import requests
        deadline = time.monotonic() + 10
        while True:  # until systemd-socket-activate listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "systemd-socket-activate never listened"
                time.sleep(0.05)
        # That first connection made it exec the daemon, which now accepts on the same socket.
        r = requests.get(f"http://127.0.0.1:{port}/health", timeout=30)
        assert r.status_code == 200
        assert notify.wait_for("READY=1", 10) is not None
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0].decode()
        notify.close()
    assert proc.returncode == 0, out


def _stage_units(stage):
    subprocess.run(["make", "-s", "-C", SOURCE_DIR, "install", f"DESTDIR={stage}", "PREFIX=/usr",
                    f"BUILD={os.path.relpath(os.path.dirname(BIN_DIR), SOURCE_DIR)}"],
                   check=True, capture_output=True)
    unitdir = os.path.join(stage, "usr/lib/systemd/system")
    for f in os.listdir("/usr/lib/systemd/system"):
        if f.endswith((".target", ".slice")) and not os.path.exists(os.path.join(unitdir, f)):
            shutil.copy(os.path.join("/usr/lib/systemd/system", f), unitdir)
    os.makedirs(os.path.join(stage, "usr/bin"), exist_ok=True)
    shutil.copy("/usr/bin/kill", os.path.join(stage, "usr/bin/kill"))
    for link in ("bin", "sbin", "lib", "lib64"):
        if not os.path.exists(os.path.join(stage, link)):
            os.symlink(f"usr/{link}" if link != "sbin" else "usr/bin", os.path.join(stage, link))
    return unitdir


def test_units_verify_and_are_hardened():
    stage = tempfile.mkdtemp(prefix="hype-stage-")
    try:
        unitdir = _stage_units(stage)
        assert os.path.exists(os.path.join(stage, "usr/libexec/hype/hype-api"))
        assert os.path.exists(os.path.join(stage, "usr/share/hype/sql/001_users_sessions.sql"))
        assert "/usr/libexec/hype/hype-api" in open(os.path.join(unitdir, "hype-api.service")).read()
        assert os.path.exists(os.path.join(stage, "usr/libexec/hype/hype-signal"))
        assert os.path.exists(os.path.join(stage, "usr/libexec/hype/hype-media"))
        media = open(os.path.join(unitdir, "hype-media@.service")).read()
        assert "ExecStart=/usr/libexec/hype/hype-media\n" in media and "Environment=MEDIA_WORKER_ID=%i" in media
        # A template is checked through an instance: hype-media@1 is worker 1.
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={stage}", "hype.target",
                            "hype-api.service", "hype-signal.service", "hype-signal.socket",
                            "hype-media@1.service"],
                           capture_output=True, text=True)
        # verify exits 0 on warnings: any output at all is a failure.
        assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r.stderr + r.stdout
        scores = {}
        for unit in ("hype-api.service", "hype-signal.service", "hype-media@1.service"):
            r = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={stage}",
                                "--threshold=20", unit], capture_output=True, text=True)
            assert r.returncode == 0, r.stdout[-2000:] + r.stderr
            score = [line for line in r.stdout.splitlines() if "Overall exposure level" in line]
            assert score, r.stdout[-500:]
            scores[unit] = float(score[0].split(":")[1].split()[0])
        # The media worker is hardened as far as hype-signal at least.
        assert scores["hype-media@1.service"] <= scores["hype-signal.service"], scores
        r = subprocess.run(["systemd-sysusers", f"--root={stage}"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "hype:" in open(os.path.join(stage, "etc/passwd")).read()
        r = subprocess.run(["systemd-tmpfiles", f"--root={stage}", "--create"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert os.path.isdir(os.path.join(stage, "run/hype"))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
