"""make run: embedded PostgreSQL under a var dir, daemons in the foreground, Ctrl-C stops all of it."""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import requests
import websockets

from hype import BIN_DIR, SOURCE_DIR


def test_make_run_serves_and_stops_on_ctrl_c():
    var = tempfile.mkdtemp(prefix="hype-var-")
    os.chmod(var, 0o755)  # PostgreSQL runs as "postgres" and must reach its data directory
    env = dict(os.environ, HYPE_VAR_DIR=var)
    for k in ("DATABASE_URL", "JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "PORT", "WS_PORT", "SIGNAL_SOCKET",
              "MEDIA_SOCKET", "MEDIA_WORKERS", "ANNOUNCED_IP", "MEDIA_BIND_ADDRESS"):
        env.pop(k, None)
    args = ["make", "-s", "-C", SOURCE_DIR, "run"]
    if os.path.basename(os.path.dirname(BIN_DIR)) == "build-san":
        args.append("SANITIZE=1")
    log = open(os.path.join(var, "make-run.log"), "w")
    # A new session, as a terminal gives it: Ctrl-C sends SIGINT to the whole process group.
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        up = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                up = requests.get("http://127.0.0.1:3001/health", timeout=2)
                if up.status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert up is not None and up.status_code == 200, open(log.name).read()[-3000:]
        r = requests.post("http://127.0.0.1:3001/auth/register",
                          json={"username": "make_run_user", "password": "correct-horse-battery"}, timeout=10)
        assert r.status_code == 201, r.text
        # hype-signal runs beside it, linked over its socket: a REST message reaches a WebSocket.
        token = r.json()["data"]["accessToken"]
        deadline = time.monotonic() + 30
        while "hype_signal_link_up 1" not in requests.get("http://127.0.0.1:3001/metrics", timeout=5).text:
            assert time.monotonic() < deadline, "hype-api never linked to hype-signal"
            time.sleep(0.2)

        async def live():
            async with websockets.connect(f"ws://127.0.0.1:8080/ws?token={token}") as ws:
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
                await ws.send(json.dumps({"type": "user_joined", "data": {"channelId": "1"}}))
                while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "user_joined":
                    pass
                requests.post("http://127.0.0.1:3001/api/messages", json={"channelId": "1", "content": "live"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
                while True:
                    f = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if f["type"] == "message":
                        return f["data"]["content"]
        assert asyncio.run(live()) == "live"
        # One media worker per CPU, each registered with hype-signal with its own port slice.
        cpus = os.sysconf("SC_NPROCESSORS_ONLN")
        deadline = time.monotonic() + 30
        while True:
            text = requests.get("http://127.0.0.1:8080/metrics", timeout=5).text
            infos = [line for line in text.splitlines() if line.startswith("hype_signal_media_worker_info{")]
            if len(infos) == cpus:
                break
            assert time.monotonic() < deadline, f"{len(infos)} of {cpus} media workers registered:\n{text[-2000:]}"
            time.sleep(0.2)
        assert f"hype_signal_media_workers {cpus}" in text
        assert all('announced_ip="127.0.0.1"' in line for line in infos), infos
        worker_pids = [int(line.split('pid="')[1].split('"')[0]) for line in infos]
        assert len({line.split('min_port="')[1].split('"')[0] for line in infos}) == cpus
        secrets = os.path.join(var, "secrets.env")
        assert os.stat(secrets).st_mode & 0o077 == 0, "generated secrets must be private"

        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(60)
        pgdata = os.path.join(var, "pg/data")
        assert not os.path.exists(os.path.join(pgdata, "postmaster.pid")), "PostgreSQL left running"
        try:
            requests.get("http://127.0.0.1:3001/health", timeout=2)
            raise AssertionError("hype-api still answers after Ctrl-C")
        except requests.ConnectionError:
            pass
        try:
            requests.get("http://127.0.0.1:8080/health", timeout=2)
            raise AssertionError("hype-signal still answers after Ctrl-C")
        except requests.ConnectionError:
            pass
        for pid in worker_pids:
            assert not os.path.exists(f"/proc/{pid}"), f"media worker {pid} left running"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        subprocess.run(["runuser", "-u", "postgres", "--", "sh", "-c",
                        f"ls -d /usr/lib/postgresql/*/bin | tail -1 | xargs -I{{}} {{}}/pg_ctl -D {var}/pg/data "
                        "-m immediate stop"], capture_output=True)
        log.close()
        shutil.rmtree(var, ignore_errors=True)
