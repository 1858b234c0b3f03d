"""Hostile 1:1 calls (seed 004), part 3: races between answers, hang-ups, timeouts and session
ends; holders; resume; floods. Independent scenes run side by side, each with its own users."""

import asyncio
import time

import pytest

from calls_attack import (OVER, aplace, astatus, call_types, connect, ended, error_after, frames, ring, run,
                          settle, talk, users)
from test_signal_sessions import start_stack, stop_stack

RING_S = 1.0     # CALL_RING_TIMEOUT
RESUME_S = 1.0   # RESUME_WINDOW


@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="1s")
    yield api, sig
    stop_stack(api, sig)


async def gather(*scenes):
    return await asyncio.gather(*scenes)


def test_accept_at_ring_timeout(stack):
    """The callee answers right when the ring times out (just before, at, just after): whatever
    wins, both sides agree with the database and nothing is left live."""
    api, sig = stack

    async def scene(delay):
        a, b = await asyncio.to_thread(users, api, 2)
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = (await aplace(a, b))["callId"]
        t0 = time.monotonic()
        await cb.expect("call:incoming")
        await asyncio.sleep(max(0, delay - (time.monotonic() - t0)))
        await cb.send("call:accept", {"callId": cid})
        got_b = await frames(cb, 0.8)
        got_a = await frames(ca, 0.1)
        st = (await astatus(a, cid))["status"]
        if st == "active":
            assert "call:accept" in call_types(got_a), (delay, got_a, got_b)
            assert "call:ended" not in call_types(got_a + got_b), (delay, got_a, got_b)
            await cb.send("call:end", {"callId": cid})
            await ended(ca, cid)
        else:
            assert st == "missed", (delay, st)
            assert "call:ended" in call_types(got_a) and "call:ended" in call_types(got_b), (delay, got_a, got_b)
            assert "call:accept" not in call_types(got_a), (delay, got_a)
        return st

    outcomes = run(gather(*(scene(d) for d in (0.9, 0.95, 0.98, 1.0, 1.02, 1.05))))
    print("outcomes", outcomes)
    settle(sig)


def test_accept_vs_rest_end(stack):
    """The callee accepts over the socket while the caller hangs up over REST, six pairs at
    once: the call ends either way, both hear call:ended, the hang-up answers 200."""
    api, sig = stack

    async def scene():
        a, b = await asyncio.to_thread(users, api, 2)
        ca, cb, cid = await ring(sig, a, b)
        send = cb.send("call:accept", {"callId": cid})
        end = asyncio.to_thread(a, "POST", f"/api/calls/{cid}/end")
        _, r = await asyncio.gather(send, end)
        assert r.status_code == 200, r.text
        await ended(ca, cid)
        await ended(cb, cid)
        st = await astatus(a, cid)
        assert st["status"] in OVER, st

    run(gather(*(scene() for _ in range(6))))
    settle(sig)


def test_session_ends_while_accepting_and_resume(stack):
    """Three scenes at once. The callee sends call:accept and its connection goes at once, cleanly
    or dropped (its other session stays): the call must end ("disconnected"), not stay active
    with no callee. The accepting session drops and resumes in time: the call goes on, what was
    relayed meanwhile arrives, and the end of the first connection's RESUME_WINDOW ends nothing."""
    api, sig = stack

    async def closes_while_in_flight(clean):
        a, b = await asyncio.to_thread(users, api, 2)
        cb2 = await b.connect(sig)
        ca, cb, cid = await ring(sig, a, b)
        await cb.send("call:accept", {"callId": cid})
        if clean:
            await cb.ws.close()
        else:
            cb.ws.transport.abort()
        d = await ended(ca, cid, timeout=RESUME_S + 3)
        assert d["reason"] == "disconnected", d
        await ended(cb2, cid)
        rec = await astatus(a, cid)
        assert rec["status"] in OVER and rec["endReason"] == "disconnected", rec

    async def resume_keeps_call():
        a, b = await asyncio.to_thread(users, api, 2)
        ca, cb, cid = await talk(sig, a, b)
        sid = cb.ready["data"]["sessionId"]
        cb.ws.transport.abort()
        t_drop = time.monotonic()
        await asyncio.sleep(0.1)  # the loop closes the socket
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "while-away"})
        cb2 = await connect(sig, b.token, f"&sessionId={sid}&seq=0", expect_ready=False)
        f = await cb2.expect("webrtc:offer", timeout=3)
        assert f["data"]["sdp"] == "while-away"
        got = await frames(ca, max(0, t_drop + RESUME_S + 0.3 - time.monotonic()))
        assert "call:ended" not in call_types(got), got
        assert (await astatus(a, cid))["status"] == "active"
        await cb2.send("webrtc:answer", {"callId": cid, "sdp": "ans"})
        await ca.expect("webrtc:answer")
        await ca.send("call:end", {"callId": cid})
        await ended(cb2, cid)

    run(gather(closes_while_in_flight(True), closes_while_in_flight(False), resume_keeps_call()))
    settle(sig)


def test_other_callee_session_cannot_relay_after_accept(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        cb2 = await b.connect(sig)
        ca, cb, cid = await ring(sig, a, b)
        await cb2.expect("call:incoming")
        await cb.send("call:accept", {"callId": cid})
        await ca.expect("call:accept")
        await cb2.expect("call:accepted_elsewhere")
        e = await error_after(cb2, "webrtc:answer", {"callId": cid, "sdp": "x"})
        assert e["code"] == 409
        e = await error_after(cb2, "call:accept", {"callId": cid})
        assert e["code"] == 409
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "o"})
        await cb.expect("webrtc:offer")
        got = await frames(cb2, 0.2)
        assert "webrtc:offer" not in call_types(got)
        # second caller session cannot relay once the first one holds
        ca2 = await a.connect(sig)
        e = await error_after(ca2, "webrtc:offer", {"callId": cid, "sdp": "x"})
        assert e["code"] == 409
        await ca.ws.close()  # the caller's holder leaves cleanly: the call ends
        await ended(cb, cid)
        await ended(ca2, cid)
    run(go())
    settle(sig)


def test_flood_of_relays(stack):
    """A caller floods huge offers and thousands of candidates at a ringing callee: hype-signal
    stays up, refuses what is over its bounds, relays at most its rate, and stays small."""
    api, sig = stack
    a, b = users(api, 2)
    rss0 = sig.rss_kib()

    async def go():
        ca, cb, cid = await ring(sig, a, b)
        big = "x" * (1000 * 1000 - 200)
        for i in range(10):
            await ca.send("webrtc:offer", {"callId": cid, "sdp": big})
        for i in range(1000):
            await ca.send("webrtc:ice-candidate", {"callId": cid, "candidate": {"c": i}})
        got_b = await frames(cb, 0.3)
        relayed = [f for f in got_b if f["type"].startswith("webrtc:")]
        assert not [f for f in relayed if f["type"] == "webrtc:offer"], "a 1 MB offer was relayed"
        assert 0 < len(relayed) <= 100, len(relayed)  # 50 a second: at most two windows here
        await ended(cb, cid, timeout=RING_S + 3)
    run(go())
    assert sig.alive()
    growth = sig.rss_kib() - rss0
    print("rss growth KiB", growth)
    assert growth < 64 * 1024, growth
    settle(sig)
