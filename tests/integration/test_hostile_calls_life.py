"""Hostile 1:1 calls (seed 004), part 2: state leaks across deletions, restarts, link drops."""

import asyncio
import os
import signal
import time

import pytest

from calls_attack import OVER, User, error_after, frames, place, status_of, users, wait_status
from hype import ApiDaemon
from test_signal_sessions import Client, run, start_stack, stop_stack, wait_linked


@pytest.fixture
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="2s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="3s")
    box = {"api": api, "sig": sig}
    yield box
    stop_stack(box["api"], box["sig"])


def call_types(fs):
    return [f["type"] for f in fs if f["type"].startswith(("call:", "webrtc:"))]


def test_deleted_caller_active_call_tells_callee(stack):
    """A deletes its account in an active call: B must hear call:ended (README: every end reaches
    both users), and hype-signal must forget the call."""
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        await cb.send("call:accept", {"callId": cid})
        await ca.expect("call:accept")
        assert a("DELETE", "/api/users").status_code == 200
        got = await frames(cb, 2)
        await cb.close()
        problems = []
        if "call:ended" not in call_types(got):
            problems.append(f"B never hears call:ended: {call_types(got)}")
        if b("GET", f"/api/calls/{cid}").status_code == 404:
            problems.append("the call vanished from B's history (ON DELETE CASCADE)")
        assert not problems, problems
    run(go())


def test_deleted_caller_ringing_call_tells_callee(stack):
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        cb = await b.connect(sig)
        cid = place(a, b)["callId"]  # a rings b from REST only
        await cb.expect("call:incoming")
        assert a("DELETE", "/api/users").status_code == 200
        got = await frames(cb, 4.5)  # past CALL_RING_TIMEOUT
        await cb.close()
        assert "call:ended" in call_types(got), got
    run(go())


def test_rest_end_while_link_down_leaves_ghost(stack):
    """hype-api restarts; before its link to hype-signal is up, B hangs up over REST. The call is
    over in the database, but hype-signal never hears call:ended: it keeps ringing every new
    session of B, and keeps relaying A's webrtc:* to B, for good."""
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        ca = await a.connect(sig)
        cid = place(a, b)["callId"]
        api.check_clean_exit()
        os.kill(sig.proc.pid, signal.SIGSTOP)  # the new hype-api cannot finish its handshake yet
        try:
            new = ApiDaemon(api.env["DATABASE_URL"], migrate=False, SIGNAL_SOCKET=sig.socket_path)
            new.wait_ready()
            stack["api"] = new
            for u in (a, b):
                u.api = new
            r = b("POST", f"/api/calls/{cid}/end")
            r.raise_for_status()
            assert r.json()["data"]["call"]["status"] == "rejected"
        finally:
            os.kill(sig.proc.pid, signal.SIGCONT)
        wait_linked(sig)
        await asyncio.sleep(4)  # past CALL_RING_TIMEOUT: the MISS is refused (CONFLICT)
        assert status_of(a, cid)["status"] == "rejected"
        problems = []
        cb = await b.connect(sig)
        got = await frames(cb, 0.5)
        if "call:incoming" in call_types(got):
            problems.append("a call over for seconds rings B's new session")
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "x" * 1000})
        got = await frames(cb, 0.5)
        if "webrtc:offer" in call_types(got):
            problems.append("A's webrtc:offer relayed to B on an ended call")
        if sig.metric("hype_signal_calls") != 0:
            problems.append("hype_signal_calls stays %s" % sig.metric("hype_signal_calls"))
        for x in (ca, cb):
            await x.close()
        assert not problems, problems
    run(go())


def test_sigterm_with_live_calls_exits_clean(stack):
    """hype-signal stopped while calls ring and are active: exit 0 and no sanitizer report."""
    api, sig = stack["api"], stack["sig"]
    a, b, c, d = users(api, 4)

    async def go():
        ca, cb, cc, cd = [await u.connect(sig) for u in (a, b, c, d)]
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        await cb.send("call:accept", {"callId": cid})
        await ca.expect("call:accept")
        place(c, d)
        await cd.expect("call:incoming")
        return cid
    cid = run(go())
    rc = sig.stop()
    log = sig.read_log()
    assert rc == 0 and "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]
    # a new hype-signal: a and b can call again
    from hype import SignalDaemon
    sig2 = SignalDaemon(RESUME_WINDOW="2s", CALL_RING_TIMEOUT="3s")
    sig2.wait_ready()
    api.check_clean_exit()
    api2 = ApiDaemon(api.env["DATABASE_URL"], migrate=False, SIGNAL_SOCKET=sig2.socket_path)
    api2.wait_ready()
    wait_linked(sig2)
    stack["api"], stack["sig"] = api2, sig2
    for u in (a, b):
        u.api = api2
    wait_status(a, cid, OVER)
    r = b("POST", "/api/calls", json={"calleeId": a.id})
    assert r.status_code == 201, r.text


def test_sigkill_signal_restart_frees_lines(stack):
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        await cb.send("call:accept", {"callId": cid})
        await ca.expect("call:accept")
        return cid
    cid = run(go())
    sig.proc.kill()
    sig.proc.wait()
    from hype import SignalDaemon
    sig2 = SignalDaemon(RESUME_WINDOW="2s", CALL_RING_TIMEOUT="3s", SIGNAL_SOCKET=sig.socket_path)
    os.makedirs(os.path.dirname(sig.socket_path), exist_ok=True)
    sig2.wait_ready()
    wait_linked(sig2)
    sig.log.close()
    sig.notify.close()
    stack["sig"] = sig2
    d = wait_status(a, cid, OVER)
    assert d["endReason"] == "server_restart", d
    r = b("POST", "/api/calls", json={"calleeId": a.id})
    assert r.status_code == 201, r.text


def test_api_restart_while_ringing_still_times_out(stack):
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        api.check_clean_exit()
        await asyncio.sleep(3.5)  # the ring timeout fires while hype-api is away
        new = ApiDaemon(api.env["DATABASE_URL"], migrate=False, SIGNAL_SOCKET=sig.socket_path)
        new.wait_ready()
        stack["api"] = new
        for u in (a, b):
            u.api = new
        f = await cb.expect("call:ended", timeout=5)
        assert f["data"]["status"] == "missed", f
        await ca.expect("call:ended")
    run(go())


def test_no_signal_gives_503_and_frees(pg):
    api = ApiDaemon(pg.dsn)
    api.wait_ready()
    try:
        a, b = users(api, 2)
        r = a("POST", "/api/calls", json={"calleeId": b.id})
        assert r.status_code == 503, r.text
        r = a("GET", "/api/calls")
        assert r.json()["data"][0]["status"] not in ("ringing", "active"), r.text
        assert b("POST", "/api/calls", json={"calleeId": a.id}).status_code == 503
    finally:
        api.check_clean_exit()



def test_sigterm_with_call_updates_in_flight(pg):
    """hype-api stalls (SIGSTOP) while ring timeouts wait for it; hype-signal is stopped
    meanwhile: it must exit 0 with no sanitizer report. It leaks each pending SystemUpdate
    (signal-calls.c system_update: the asker is freed without callbacks)."""
    api, sig = start_stack(pg, RESUME_WINDOW="2s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="1s")
    a, b, c, d = users(api, 4)

    async def go():
        cb, cd = await b.connect(sig), await d.connect(sig)
        place(a, b)
        place(c, d)
        await cb.expect("call:incoming")
        await cd.expect("call:incoming")
        os.kill(api.proc.pid, signal.SIGSTOP)
        await asyncio.sleep(1.5)  # the ring timeouts ask hype-api, which does not answer
    try:
        run(go())
        rc = sig.stop()
        log = sig.read_log()
    finally:
        os.kill(api.proc.pid, signal.SIGCONT)
        api.check_clean_exit()
    assert rc == 0 and "Sanitizer" not in log and "runtime error" not in log, log[-3000:]
