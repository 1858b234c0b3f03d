"""hype-signal as sysadmins run it: CLI, configuration errors, sd_notify, socket activation."""

import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from hype import BIN_DIR, NotifySocket, SignalDaemon, free_port, signal_env
from wsraw import RawWebSocket

HYPE_SIGNAL = os.path.join(BIN_DIR, "hype-signal")


def test_help_and_version():
    r = subprocess.run([HYPE_SIGNAL, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for var in ("WS_PORT", "JWT_ACCESS_SECRET", "WS_MAX_MESSAGE", "WS_OUTPUT_LIMIT"):
        assert var in r.stdout
    r = subprocess.run([HYPE_SIGNAL, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("hype-signal ")
    assert subprocess.run([HYPE_SIGNAL, "--bogus"], capture_output=True).returncode != 0


@pytest.mark.parametrize("override, fragment", [
    ({"JWT_ACCESS_SECRET": ""}, "JWT_ACCESS_SECRET"),
    ({"JWT_ACCESS_SECRET": "too-short"}, "JWT_ACCESS_SECRET"),
    ({"WS_PORT": "0x50"}, "WS_PORT"),
    ({"WS_MAX_MESSAGE": "12"}, "WS_MAX_MESSAGE"),
    ({"WS_PING_INTERVAL": "soon"}, "WS_PING_INTERVAL"),
    ({"WS_ECHO": "maybe"}, "WS_ECHO"),
])
def test_bad_configuration_stops_with_one_clear_line(override, fragment):
    env = signal_env(free_port(), "/tmp/unused.sock")
    env.update(override)
    for args in ([HYPE_SIGNAL], [HYPE_SIGNAL, "--check-config"]):
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=20)
        assert r.returncode != 0
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and fragment in lines[0], r.stderr
        if override.get("JWT_ACCESS_SECRET"):
            assert override["JWT_ACCESS_SECRET"] not in r.stderr


def test_port_in_use_is_one_clear_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([HYPE_SIGNAL], env=signal_env(port, "/tmp/unused.sock"), capture_output=True,
                           text=True, timeout=20)
    assert r.returncode != 0
    assert "cannot listen" in r.stderr and str(port) in r.stderr


def test_ready_watchdog_and_stopping():
    d = SignalDaemon(WATCHDOG_USEC="400000")
    msg = d.wait_ready()
    assert "STATUS=" in msg
    assert d.notify.wait_for("WATCHDOG=1", 5) is not None
    health = requests.get(d.url + "/health", timeout=5).json()
    assert health["status"] == "ok" and health["api"] is False  # no hype-api here
    d.proc.send_signal(signal.SIGTERM)
    assert d.notify.wait_for("STOPPING=1", 10) is not None
    assert d.proc.wait(20) == 0
    d.stop()


def test_socket_activation_under_systemd_socket_activate():
    """systemd-socket-activate hands over the WebSocket port, matched by the name "ws"."""
    port = free_port()
    notify = NotifySocket()
    env = signal_env(free_port(), "/tmp/hype-sa-signal.sock", WS_ECHO=1, NOTIFY_SOCKET=notify.path,
                     WATCHDOG_USEC="2000000")
    args = ["systemd-socket-activate", f"--listen=127.0.0.1:{port}", "--fdname=ws",
            "-E", "NOTIFY_SOCKET", "-E", "WATCHDOG_USEC"] + \
           [f"-E{k}={v}" for k, v in env.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")] + [HYPE_SIGNAL]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "systemd-socket-activate never listened"
                time.sleep(0.05)
        assert notify.wait_for("READY=1", 10) is not None
        assert notify.wait_for("WATCHDOG=1", 5) is not None
        ws = RawWebSocket(port)
        assert ws.status == 101
        ws.send(0x1, b"through the inherited socket")
        assert ws.recv_frame().payload == b"through the inherited socket"
        ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0].decode()
        notify.close()
    assert proc.returncode == 0, out


def test_takes_the_descriptor_limit_it_is_allowed():
    """A soft limit of 64 descriptors (the hard one higher, as systemd's LimitNOFILE= leaves it
    to the service) does not cap the daemon at 64 connections."""
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    port = free_port()
    notify = NotifySocket()
    env = signal_env(port, "/tmp/hype-fd-signal.sock", WS_ECHO=1, NOTIFY_SOCKET=notify.path)
    proc = subprocess.Popen([HYPE_SIGNAL], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard)))
    conns = []
    try:
        assert notify.wait_for("READY=1", 10, proc) is not None
        for _ in range(150):
            ws = RawWebSocket(port)
            assert ws.status == 101
            conns.append(ws)
        conns[-1].send(0x1, b"still answering")
        assert conns[-1].recv_frame().payload == b"still answering"
    finally:
        for ws in conns:
            ws.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        notify.close()
