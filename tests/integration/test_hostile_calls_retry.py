"""Hostile 1:1 calls (seed 004), part 4: hype-api away or slow. A change hype-signal must ask
again is lost when the callee answers first; an accept that times out but lands; a CallRing that
times out; and what POST /api/calls tells a caller about the callee (ringingSessions)."""

import asyncio
import time

import pytest

from calls_attack import OVER, User, frames, place, status_of, users, wait_status
from hype import ApiDaemon
from test_signal_sessions import Client, run, start_stack, stop_stack, wait_linked


@pytest.fixture
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="30s")
    box = {"api": api, "sig": sig}
    yield box
    stop_stack(box["api"], box["sig"])


def test_caller_gone_while_api_away_then_callee_accepts(stack):
    """A's only session closes while hype-api restarts: hype-signal cannot record the end
    (UNAVAILABLE) and arms its 1 s retry on the call's timer. B accepts as soon as hype-api is
    back, before the retry fires: answered() deletes that timer, so the end is never asked again.
    The call stays active with nobody on A's side, and both stay busy."""
    api, sig = stack["api"], stack["sig"]
    a, b, c = users(api, 3)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        api.check_clean_exit()
        await ca.close()  # A's last session: the call should end ("disconnected")
        await asyncio.sleep(1.5)  # the retry fails at least once more
        new = ApiDaemon(api.env["DATABASE_URL"], migrate=False, SIGNAL_SOCKET=sig.socket_path)
        stack["api"] = new
        for u in (a, b, c):
            u.api = new
        # B keeps answering until hype-api takes it: a refused one is an error 503 at once, an
        # accepted one says nothing on the raw protocol
        deadline = time.monotonic() + 30
        while True:
            await cb.send("call:accept", {"callId": cid})
            try:
                f = await cb.expect("error", timeout=1)
            except asyncio.TimeoutError:
                break
            assert f["data"]["code"] == 503, f
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        new.wait_ready()
        await asyncio.sleep(3)  # several retry periods
        d = status_of(a, cid)
        busy = c("POST", "/api/calls", json={"calleeId": a.id})
        assert d["status"] in OVER, ("A left seconds ago; the call is still", d["status"],
                                     "and C calling A gets", busy.status_code, busy.text)
    run(go())


def test_ring_answer_reveals_sessions_of_appear_offline_user(stack):
    """B appears offline (status offline) but is connected: POST /api/calls tells any caller how
    many live sessions B has (ringingSessions)."""
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        cb1, cb2 = await b.connect(sig), await b.connect(sig)
        r = b("PUT", f"/api/users/{b.id}/status", json={"status": "offline"})
        assert r.status_code == 200, r.text
        assert a("GET", f"/api/users/{b.id}").json()["data"]["status"] == "offline"
        d = place(a, b)
        a("POST", f"/api/calls/{d['callId']}/end")
        assert "ringingSessions" not in d or d["ringingSessions"] == 0, d
    run(go())


def test_ring_not_answered_in_time(stack):
    """hype-signal stalls past CallRing's 5 s: POST answers 503 and the call is over; the callee,
    rung late, hears call:ended with the README's fields."""
    import os
    import signal
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        cb = await b.connect(sig)
        os.kill(sig.proc.pid, signal.SIGSTOP)
        try:
            loop = asyncio.get_running_loop()
            r = await loop.run_in_executor(None, lambda: a("POST", "/api/calls", json={"calleeId": b.id}))
        finally:
            os.kill(sig.proc.pid, signal.SIGCONT)
        assert r.status_code == 503, r.text
        got = await frames(cb, 1)
        ended = [f["data"] for f in got if f["type"] == "call:ended"]
        print("late ring:", [f["type"] for f in got], ended)
        st = a("GET", "/api/calls").json()["data"][0]
        print("recorded as", st["status"], st["endReason"])
        assert ended and {"callId", "status", "reason", "endedBy", "endedAt"} <= set(ended[0]), ended
    run(go())


def test_accept_that_times_out_but_lands(stack):
    """hype-api is slow (SIGSTOP 6 s) when the callee accepts: hype-signal gives up after 5 s
    and tells the callee its accept failed, but hype-api then records it: the database says
    active, the caller never hears call:accept, hype-signal still treats the call as ringing."""
    import os
    import signal
    api, sig = stack["api"], stack["sig"]
    a, b = users(api, 2)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        os.kill(api.proc.pid, signal.SIGSTOP)
        try:
            await cb.send("call:accept", {"callId": cid})
            e = await cb.expect("error", timeout=8)
        finally:
            os.kill(api.proc.pid, signal.SIGCONT)
        await asyncio.sleep(1)
        got_a = await frames(ca, 0.5)
        st = status_of(a, cid)
        cb2 = await b.connect(sig)
        got_b2 = await frames(cb2, 0.5)
        problems = []
        if st["status"] == "active":
            problems.append(f"callee was told {e['data']} but the call is active")
            if "call:accept" not in [f["type"] for f in got_a]:
                problems.append("the caller never heard call:accept")
            if "call:incoming" in [f["type"] for f in got_b2]:
                problems.append("a new callee session is rung for an active call")
        assert not problems, problems
    run(go())
