"""hype-media workers joining and leaving a running Hype: registration with hype-signal in either
start order, SIGKILL noticed, duplicate ids refused, hype-signal restarting, clean stops, and the
configuration rules."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from hype import BIN_DIR, MediaDaemon, SignalDaemon, media_env

HYPE_MEDIA = os.path.join(BIN_DIR, "hype-media")

# MEDIA_WORKERS=4 over 10000-10100 (media_env's defaults): 101 ports, the first worker one more.
SLICES = {1: ("10000", "10025"), 2: ("10026", "10050"), 3: ("10051", "10075"), 4: ("10076", "10100")}


@pytest.fixture
def media_dir():
    """A directory for a media.sock that outlives one hype-signal (restarts)."""
    d = tempfile.mkdtemp(prefix="hype-media-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def workers():
    """Every MediaDaemon a test starts; each must still be alive and stop cleanly at the end,
    unless the test stopped or killed it, and none may have a sanitizer report."""
    started = []
    yield started
    for w in started:
        if w.proc.returncode is None and w.alive():
            w.check_clean_exit()
        else:
            w.stop()
        log = w.read_log()
        assert "runtime error" not in log and "Sanitizer" not in log, log[-4000:]


def wait_until(predicate, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def wait_log(daemon, text, timeout=15):
    wait_until(lambda: text in daemon.read_log(), timeout, f"{text!r} in {daemon.name}'s log:\n{daemon.read_log()}")


def start_worker(workers, socket_path, worker_id, **env):
    w = MediaDaemon(socket_path, worker_id, **env)
    workers.append(w)
    w.wait_ready()
    return w


def registered(sig, *ws):
    """Waits until exactly these workers are registered (by id, with their pids)."""
    want = {w.worker_id: w.pid for w in ws}
    return sig.wait_media_workers(lambda got: {i: v["pid"] for i, v in got.items()} == want)


# ---- the CLI ----


def test_help_version_and_check_config():
    r = subprocess.run([HYPE_MEDIA, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for var in ("MEDIA_SOCKET", "MEDIA_WORKER_ID", "MEDIA_WORKERS", "MEDIA_MIN_PORT", "MEDIA_MAX_PORT",
                "ANNOUNCED_IP", "MEDIA_MAX_TRANSPORTS", "LOG_LEVEL"):
        assert var in r.stdout
    r = subprocess.run([HYPE_MEDIA, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("hype-media ")
    assert subprocess.run([HYPE_MEDIA, "--bogus"], capture_output=True).returncode != 0
    assert subprocess.run([HYPE_MEDIA, "extra"], capture_output=True).returncode != 0
    # --check-config validates and exits without linking anywhere.
    r = subprocess.run([HYPE_MEDIA, "--check-config"], env=media_env("/nonexistent/media.sock", 2),
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    # One per CPU by default: worker N of that many is accepted, N + 1 is not.
    cpus = os.sysconf("SC_NPROCESSORS_ONLN")
    for worker_id, ok in ((cpus, True), (cpus + 1, False)):
        env = media_env("/nonexistent/media.sock", worker_id)
        del env["MEDIA_WORKERS"]
        r = subprocess.run([HYPE_MEDIA, "--check-config"], env=env, capture_output=True, text=True, timeout=20)
        assert (r.returncode == 0) == ok, r.stderr


@pytest.mark.parametrize("override, fragment", [
    ({"MEDIA_WORKER_ID": ""}, "MEDIA_WORKER_ID is required"),
    ({"MEDIA_WORKER_ID": "0"}, "MEDIA_WORKER_ID=0"),
    ({"MEDIA_WORKER_ID": "one"}, "MEDIA_WORKER_ID=one"),
    ({"MEDIA_WORKER_ID": "5"}, "MEDIA_WORKER_ID=5 is above MEDIA_WORKERS=4"),
    ({"MEDIA_MIN_PORT": "20000"}, "MEDIA_MIN_PORT=20000 is above MEDIA_MAX_PORT=10100"),
    ({"MEDIA_MAX_PORT": "10002"}, "(10000-10002) has 3 ports for MEDIA_WORKERS=4"),
    ({"MEDIA_MAX_PORT": "70000"}, "MEDIA_MAX_PORT=70000"),
    ({"MEDIA_MAX_TRANSPORTS": "26"}, "MEDIA_MAX_TRANSPORTS=26 is more than the 25 UDP ports"),
    ({"MEDIA_BIND_ADDRESS": "0.0.0.0"}, "ANNOUNCED_IP is required when MEDIA_BIND_ADDRESS is 0.0.0.0"),
    ({"MEDIA_BIND_ADDRESS": "localhost"}, "MEDIA_BIND_ADDRESS=localhost: not an IPv4 or IPv6 address"),
    ({"ANNOUNCED_IP": "media.example.com"}, "ANNOUNCED_IP=media.example.com: not an IPv4 or IPv6"),
    ({"ANNOUNCED_IP": "::"}, "ANNOUNCED_IP=::: clients cannot reach a wildcard address"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL=chatty"),
])
def test_bad_configuration_stops_with_one_clear_line(override, fragment):
    env = media_env("/nonexistent/media.sock", 2)
    env.update(override)
    for args in ([HYPE_MEDIA], [HYPE_MEDIA, "--check-config"]):
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=20)
        assert r.returncode == 1, r.stderr
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and fragment in lines[0], r.stderr


def test_announced_ip_and_a_wildcard_bind_address(workers):
    sig = SignalDaemon()
    try:
        sig.wait_ready()
        w = start_worker(workers, sig.media_socket, 4, MEDIA_BIND_ADDRESS="0.0.0.0", ANNOUNCED_IP="10.1.2.3",
                         MEDIA_MAX_TRANSPORTS="7")
        got = registered(sig, w)
        assert got[4]["announced_ip"] == "10.1.2.3"
        assert (got[4]["min_port"], got[4]["max_port"]) == SLICES[4]
        assert sig.metric("hype_signal_media_worker_max_transports", worker=4) == 7
    finally:
        sig.check_clean_exit()


# ---- joining and leaving ----


def test_workers_started_before_and_after_hype_signal_register(media_dir, workers):
    sock = os.path.join(media_dir, "media.sock")
    early = start_worker(workers, sock, 1, WATCHDOG_USEC="400000")
    # Up without hype-signal: ready, pinging its watchdog from the loop, saying what it waits for.
    assert "waiting for hype-signal" in early.notify.wait_for("READY=1", 10)
    assert early.notify.wait_for("WATCHDOG=1", 5) is not None
    wait_log(early, "waiting for hype-signal")
    sig = SignalDaemon(MEDIA_SOCKET=sock)
    try:
        sig.wait_ready()
        late = start_worker(workers, sock, 3)
        got = registered(sig, early, late)
        for i in (1, 3):
            assert (got[i]["min_port"], got[i]["max_port"]) == SLICES[i]
            assert got[i]["announced_ip"] == "127.0.0.1"
        assert sig.metric("hype_signal_media_workers") == 2
        assert sig.metric("hype_signal_media_worker_max_transports", worker=1) == 26  # its ports
        assert sig.metric("hype_signal_media_worker_max_transports", worker=3) == 25
        # WorkerLoad arrived with the registration: every per-worker series is there.
        for name in ("transports", "producers", "consumers", "packets_in_total", "bytes_out_total"):
            assert f'hype_signal_media_worker_{name}{{worker="3"}} 0' in requests.get(sig.url + "/metrics").text
        assert 'hype_signal_media_worker_dropped_total{worker="1",reason="srtp"} 0' in \
            requests.get(sig.url + "/metrics").text
        assert sig.health()["mediaWorkers"] == 2
        assert early.notify.wait_for("STATUS=worker 1: registered with hype-signal", 10) is not None
        wait_log(early, "registered with hype-signal as worker 1 (UDP ports 10000-10025 on 127.0.0.1")
        wait_log(sig, "media worker 3 (pid %s) registered: UDP ports 10051-10075" % late.pid)
    finally:
        sig.check_clean_exit()


def test_sigkill_is_noticed_and_the_same_id_registers_again(workers):
    sig = SignalDaemon()
    try:
        sig.wait_ready()
        a = start_worker(workers, sig.media_socket, 1)
        b = start_worker(workers, sig.media_socket, 2)
        registered(sig, a, b)
        a.proc.kill()
        a.proc.wait(10)
        registered(sig, b)
        assert sig.metric("hype_signal_media_gone_total") == 1
        assert sig.health()["mediaWorkers"] == 1
        wait_log(sig, f"media worker 1 (pid {a.pid}) went away")
        again = start_worker(workers, sig.media_socket, 1)
        got = registered(sig, again, b)
        assert (got[1]["min_port"], got[1]["max_port"]) == SLICES[1]
    finally:
        sig.check_clean_exit()


def test_a_duplicate_live_id_is_refused_and_retries_until_the_id_is_free(workers):
    """The refused worker stays up and tries again every 2 s rather than exiting: a duplicate is
    most often a replacement arriving before its predecessor is gone, and an exit would only make
    systemd restart it in a loop until the unit fails for good."""
    sig = SignalDaemon()
    try:
        sig.wait_ready()
        first = start_worker(workers, sig.media_socket, 2)
        registered(sig, first)
        dup = start_worker(workers, sig.media_socket, 2)
        wait_log(dup, f"hype-signal refused worker 2: worker 2 is linked already (pid {first.pid}); retrying")
        wait_log(sig, f"refused media worker 2 (pid {dup.pid}): worker 2 is linked already")
        wait_until(lambda: sig.metric("hype_signal_media_refused_total") >= 2, what="a second refusal")
        assert dup.alive()
        assert registered(sig, first)[2]["pid"] == first.pid
        # Said once, not at every retry.
        assert dup.read_log().count("refused worker 2") == 1
        assert sig.read_log().count("refused media worker 2") == 1
        # The first one goes: the duplicate takes the id over by itself.
        assert first.stop() == 0
        registered(sig, dup)
        wait_log(dup, "registered with hype-signal as worker 2")
    finally:
        sig.check_clean_exit()


def test_overlapping_port_slices_are_refused(workers):
    """Workers configured with different MEDIA_WORKERS would fight over ports: the later one waits."""
    sig = SignalDaemon()
    try:
        sig.wait_ready()
        a = start_worker(workers, sig.media_socket, 1, MEDIA_WORKERS=2)  # 10000-10050
        registered(sig, a)
        b = start_worker(workers, sig.media_socket, 2)  # 10026-10050 of four
        wait_log(b, "ports 10026-10050 overlap those of worker 1 (10000-10050)")
        registered(sig, a)
        assert a.stop() == 0
        registered(sig, b)
    finally:
        sig.check_clean_exit()


def test_hype_signal_restarting_workers_register_again_by_themselves(media_dir, workers):
    sock = os.path.join(media_dir, "media.sock")
    sig = SignalDaemon(MEDIA_SOCKET=sock)
    sig.wait_ready()
    ws = [start_worker(workers, sock, i) for i in (1, 2, 4)]
    registered(sig, *ws)
    sig.check_clean_exit()  # SIGTERM: the workers see their link close
    for w in ws:
        wait_log(w, "hype-signal went away (closed the link); reconnecting")
        assert w.alive()
        assert w.notify.wait_for("STATUS=worker %d: hype-signal went away" % w.worker_id, 10) is not None
    for how in ("SIGTERM", "SIGKILL"):
        sig = SignalDaemon(MEDIA_SOCKET=sock)
        sig.wait_ready()
        registered(sig, *ws)
        if how == "SIGKILL":  # leaves its socket file behind: the next one replaces it
            sig.proc.kill()
            sig.stop()
        else:
            sig.check_clean_exit()
    sig = SignalDaemon(MEDIA_SOCKET=sock)
    try:
        sig.wait_ready()
        registered(sig, *ws)
        for w in ws:
            assert w.read_log().count("registered with hype-signal as worker") == 4
    finally:
        sig.check_clean_exit()


def test_sigterm_stops_a_worker_cleanly(workers):
    sig = SignalDaemon()
    try:
        sig.wait_ready()
        w = start_worker(workers, sig.media_socket, 3, WATCHDOG_USEC="400000")
        registered(sig, w)
        assert w.notify.wait_for("WATCHDOG=1", 5) is not None
        w.proc.send_signal(signal.SIGTERM)
        assert w.notify.wait_for("STOPPING=1", 10) is not None
        assert w.proc.wait(10) == 0
        registered(sig)
        wait_log(sig, f"media worker 3 (pid {w.pid}) went away (closed its link)")
        log = w.read_log()
        assert "received Terminated, stopping" in log
        assert "runtime error" not in log and "AddressSanitizer" not in log, log
        # SIGINT too, and without hype-signal.
        lone = MediaDaemon("/nonexistent/media.sock", 1)
        lone.wait_ready()
        lone.proc.send_signal(signal.SIGINT)
        assert lone.proc.wait(10) == 0
        assert lone.stop() == 0
    finally:
        sig.check_clean_exit()
