"""Hostile 1:1 calls (seed 004), part 2: state leaks across deletions, restarts, link drops."""

import asyncio
import os
import signal
import time

import pytest

from calls_attack import (OVER, aplace, call_types, close_all, ended, frames, log_count, ring, run, settle, status_of,
                          talk, users, wait_status, wait_until)
from hype import ApiDaemon, SignalDaemon
from test_signal_sessions import start_stack, stop_stack, wait_linked

RING_S = 1.0  # CALL_RING_TIMEOUT of the daemons the tests stop, unless they need more


@pytest.fixture(scope="module")
def shared(pg):
    """For the tests that stop nothing. CALL_RING_TIMEOUT is long: what they wait for must come
    from the deletion, not from a ring that times out."""
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="30s")
    yield api, sig
    stop_stack(api, sig)


def ring_ms(s):
    return f"{int(s * 1000)}ms"


@pytest.fixture
def stack(pg, request):
    """Daemons of its own, for a test that stops or replaces them (it updates the box); the
    test's ring timeout in seconds as its parameter (RING_S unless told)."""
    ring_s = getattr(request, "param", RING_S)
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT=ring_ms(ring_s))
    box = {"api": api, "sig": sig, "ring_s": ring_s}
    yield box
    stop_stack(box["api"], box["sig"])


def restart_signal(box, **env):
    """A new hype-signal on the same signal.sock (hype-api links again by itself)."""
    path = box["sig"].socket_path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sig = SignalDaemon(RESUME_WINDOW="1s", CALL_RING_TIMEOUT=ring_ms(box["ring_s"]), SIGNAL_SOCKET=path, **env)
    sig.socket_path = path
    sig.wait_ready()
    wait_linked(sig)
    box["sig"] = sig
    return sig


def restart_api(box, who, **env):
    new = ApiDaemon(box["api"].env["DATABASE_URL"], migrate=False, SIGNAL_SOCKET=box["sig"].socket_path, **env)
    box["api"] = new
    for u in who:
        u.api = new
    return new


# ---- a deleted account ----

def check_deleted_call(survivor, cid, deleted_side, want_status, event):
    problems = []
    r = survivor("GET", f"/api/calls/{cid}")
    if r.status_code != 200:
        problems.append(f"the call vanished from the other side's history: {r.status_code}")
    else:
        rec = r.json()["data"]
        if (rec["status"], rec["endReason"]) != (want_status, "account_deleted"):
            problems.append(f"recorded as {rec['status']}/{rec['endReason']}")
        if rec[deleted_side + "Id"] is not None or rec[deleted_side]["id"] is not None:
            problems.append(f"the deleted {deleted_side} still shows: {rec[deleted_side]}")
        if event is not None and (event["status"], event["reason"]) != (rec["status"], rec["endReason"]):
            problems.append(f"call:ended says {event} but the record says {rec['status']}/{rec['endReason']}")
    if event is not None and not {"callId", "status", "reason", "endedBy", "endedAt"} <= set(event):
        problems.append(f"call:ended lacks fields: {event}")
    return problems


def test_deleted_caller_active_call_tells_callee(shared):
    """A deletes its account in an active call: B hears call:ended (ended, account_deleted), keeps
    the call in its history with A shown as null, and hype-signal forgets the call."""
    api, sig = shared
    a, b = users(api, 2)

    async def go():
        ca, cb, cid = await talk(sig, a, b)
        assert (await asyncio.to_thread(a, "DELETE", "/api/users")).status_code == 200
        problems = []
        try:
            event = await ended(cb, cid, timeout=2)
        except asyncio.TimeoutError:
            event = None
            problems.append("B never hears call:ended")
        problems += check_deleted_call(b, cid, "caller", "ended", event)
        assert not problems, "\n".join(problems)
    run(go())
    settle(sig)


def test_deleted_caller_ringing_call_tells_callee(shared):
    api, sig = shared
    a, b = users(api, 2)

    async def go():
        ca, cb, cid = await ring(sig, a, b)
        assert (await asyncio.to_thread(a, "DELETE", "/api/users")).status_code == 200
        problems = []
        try:
            event = await ended(cb, cid, timeout=2)  # CALL_RING_TIMEOUT is 30 s
        except asyncio.TimeoutError:
            event = None
            problems.append("B never hears call:ended")
        problems += check_deleted_call(b, cid, "caller", "cancelled", event)
        assert not problems, "\n".join(problems)
    run(go())
    settle(sig)


def test_deleted_callee_without_session_tells_caller(shared):
    """B is rung while it has no live session (it uses REST only) and deletes its account: A, who
    waits for the answer, must hear the call is over, not ring on until CALL_RING_TIMEOUT, and
    hype-signal must not keep a call the record says is over."""
    api, sig = shared
    a, b, c = users(api, 3)

    async def go():
        ca = await a.connect(sig)
        cid = (await aplace(a, b))["callId"]
        assert (await asyncio.to_thread(b, "DELETE", "/api/users")).status_code == 200
        problems = []
        try:
            event = await ended(ca, cid, timeout=1.5)  # CALL_RING_TIMEOUT is 30 s
        except asyncio.TimeoutError:
            event = None
            problems.append("A never hears call:ended (before CALL_RING_TIMEOUT)")
        problems += check_deleted_call(a, cid, "callee", "cancelled", event)
        if sig.metric("hype_signal_calls") != 0:
            problems.append("hype-signal still routes the call")
        # A is free: it calls C, and C is rung
        cc = await c.connect(sig)
        d = await aplace(a, c)
        await cc.expect("call:incoming", where=lambda x: x["callId"] == d["callId"])
        assert a("POST", f"/api/calls/{d['callId']}/end").status_code == 200
        assert not problems, "\n".join(problems)
    run(go())


# ---- hype-api or hype-signal away ----

@pytest.mark.parametrize("stack", [30], indirect=True)
def test_rest_end_while_link_down_leaves_ghost(stack):
    """hype-api restarts; before its link to hype-signal is up, B hangs up over REST. The call is
    over in the database, and hype-signal must learn it when the link comes: A hears call:ended,
    B's new sessions are not rung, A's webrtc:* are not relayed to B."""
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        ca = await a.connect(sig)
        cid = (await aplace(a, b))["callId"]
        api.check_clean_exit()
        os.kill(sig.proc.pid, signal.SIGSTOP)  # the new hype-api cannot finish its handshake yet
        try:
            new = restart_api(stack, (a, b))
            new.wait_ready()
            r = b("POST", f"/api/calls/{cid}/end")
            r.raise_for_status()
            assert r.json()["data"]["call"]["status"] == "rejected"
        finally:
            os.kill(sig.proc.pid, signal.SIGCONT)
        wait_linked(sig)
        problems = []
        try:
            d = await ended(ca, cid, timeout=2)  # from the link, not from the ring (30 s)
            if d["status"] != "rejected":
                problems.append(f"A is told {d}, the record says rejected")
        except asyncio.TimeoutError:
            problems.append("A never hears the call ended")
        assert status_of(a, cid)["status"] == "rejected"
        cb = await b.connect(sig)
        got = await frames(cb, 0.2)
        if "call:incoming" in call_types(got):
            problems.append("a call over rings B's new session")
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "x" * 1000})
        got = await frames(cb, 0.2)
        if "webrtc:offer" in call_types(got):
            problems.append("A's webrtc:offer relayed to B on an ended call")
        if sig.metric("hype_signal_calls") != 0:
            problems.append("hype_signal_calls stays %s" % sig.metric("hype_signal_calls"))
        assert not problems, "\n".join(problems)
    run(go())


@pytest.mark.parametrize("stack", [30], indirect=True)
def test_signal_stopped_or_killed_with_live_calls(stack):
    """hype-signal stopped (SIGTERM) while calls ring and are active (their sessions still
    open): exit 0 and no sanitizer report. The next one ends them (server_restart: cancelled
    while ringing, ended once active), and everyone can call again; then the same after a
    SIGKILL."""
    a, b, c, d = users(stack["api"], 4)

    async def go():
        for how in ("SIGTERM", "SIGKILL"):
            sig = stack["sig"]
            ca, cb, active = await talk(sig, a, b)
            cc, cd, ringing = await ring(sig, c, d)
            if how == "SIGTERM":
                rc = await asyncio.to_thread(sig.stop)
                log = sig.read_log()
                assert rc == 0 and "Sanitizer" not in log and "runtime error" not in log, log[-3000:]
            else:
                sig.proc.kill()
                sig.proc.wait()
                sig.log.close()
                sig.notify.close()
            await asyncio.to_thread(restart_signal, stack)
            for who, cid, want in ((a, active, "ended"), (c, ringing, "cancelled")):
                rec = await asyncio.to_thread(wait_status, who, cid, OVER)
                assert (rec["status"], rec["endReason"]) == (want, "server_restart"), (how, rec)
            await close_all()
            # nobody is stuck in them: each can call the other way, and is rung
            for caller, callee in ((b, a), (d, c)):
                await caller.connect(stack["sig"])
                ce = await callee.connect(stack["sig"])
                again = await aplace(caller, callee)
                await ce.expect("call:incoming", where=lambda x: x["callId"] == again["callId"])
                assert caller("POST", f"/api/calls/{again['callId']}/end").status_code == 200
            await close_all()
    run(go())


def test_api_restart_while_ringing_still_times_out(stack):
    """The ring times out while hype-api is away: hype-signal asks again until it answers; the
    call is missed and both are told."""
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        ca, cb, cid = await ring(sig, a, b)
        asked = log_count(sig, "did not answer")
        api.check_clean_exit()
        # the ring timeout fires while hype-api is away: its MISS is refused
        await asyncio.to_thread(wait_until, "hype-signal asks again",
                                lambda: log_count(sig, "did not answer") > asked, RING_S + 3)
        restart_api(stack, (a, b)).wait_ready()
        f = await ended(cb, cid, timeout=3)
        assert (f["status"], f["reason"]) == ("missed", "timeout"), f
        await ended(ca, cid)
    run(go())


def test_no_signal_gives_503_and_frees(pg):
    api = ApiDaemon(pg.dsn)
    api.wait_ready()
    try:
        a, b = users(api, 2)
        r = a("POST", "/api/calls", json={"calleeId": b.id})
        assert r.status_code == 503, r.text
        rec = a("GET", "/api/calls").json()["data"][0]
        assert (rec["status"], rec["endReason"]) == ("cancelled", "unavailable"), rec
        assert b("POST", "/api/calls", json={"calleeId": a.id}).status_code == 503
    finally:
        api.check_clean_exit()


def test_sigterm_with_call_updates_in_flight(pg):
    """hype-api stalls (SIGSTOP) while ring timeouts wait for it; hype-signal is stopped
    meanwhile: it must exit 0 with no sanitizer report (no pending request leaked)."""
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT=ring_ms(RING_S))
    try:
        a, b, c, d = users(api, 4)

        async def go():
            await ring(sig, a, b)
            await ring(sig, c, d)
            t = time.monotonic()
            os.kill(api.proc.pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(max(0, t + RING_S + 0.3 - time.monotonic()))  # the ring timeouts ask hype-api
                return await asyncio.to_thread(sig.stop)  # with their sessions open
            finally:
                os.kill(api.proc.pid, signal.SIGCONT)
        rc = run(go())
        log = sig.read_log()
        assert rc == 0 and "Sanitizer" not in log and "runtime error" not in log, log[-3000:]
    finally:
        sig.stop()
        api.check_clean_exit()
