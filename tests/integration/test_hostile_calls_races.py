"""Hostile 1:1 calls (seed 004), part 3: races between answers, hang-ups, timeouts and session
ends; holders; resume."""

import asyncio
import concurrent.futures
import time

import pytest
import websockets

from calls_attack import OVER, User, error_after, frames, place, status_of, users, wait_status
from test_signal_sessions import Client, run, start_stack, stop_stack


@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="1s")
    yield api, sig
    stop_stack(api, sig)


def call_types(fs):
    return [f["type"] for f in fs if f["type"].startswith(("call:", "webrtc:"))]


def settle(sig, timeout=5):
    deadline = time.monotonic() + timeout
    while sig.metric("hype_signal_calls") != 0:
        assert time.monotonic() < deadline, "hype-signal keeps a live call"
        time.sleep(0.05)


@pytest.mark.parametrize("delay", [0.9, 0.95, 0.98, 1.0, 1.02, 1.05])
def test_accept_at_ring_timeout(stack, delay):
    """The callee answers right when the ring times out: whatever wins, both sides agree with the
    database and nothing is left live."""
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        t0 = time.monotonic()
        await cb.expect("call:incoming")
        await asyncio.sleep(max(0, delay - (time.monotonic() - t0)))
        await cb.send("call:accept", {"callId": cid})
        got_b = await frames(cb, 1.5)
        got_a = await frames(ca, 0.2)
        st = status_of(a, cid)["status"]
        if st == "active":
            assert "call:accept" in call_types(got_a), (got_a, got_b)
            assert "call:ended" not in call_types(got_a + got_b)
            await cb.send("call:end", {"callId": cid})
            await ca.expect("call:ended")
        else:
            assert st == "missed", st
            assert "call:ended" in call_types(got_a) and "call:ended" in call_types(got_b), (got_a, got_b)
            assert "call:accept" not in call_types(got_a)
        await ca.close()
        await cb.close()
    run(go())
    settle(sig)


@pytest.mark.parametrize("n", range(6))
def test_accept_vs_rest_end(stack, n):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        loop = asyncio.get_running_loop()
        send = cb.send("call:accept", {"callId": cid})
        end = loop.run_in_executor(None, lambda: a("POST", f"/api/calls/{cid}/end"))
        await send
        r = await end
        got_a, got_b = await frames(ca, 0.6), await frames(cb, 0.1)
        st = status_of(a, cid)
        assert st["status"] in OVER, st
        assert "call:ended" in call_types(got_a) and "call:ended" in call_types(got_b), (got_a, got_b)
        assert r.status_code == 200, r.text
        await ca.close()
        await cb.close()
    run(go())
    settle(sig)


@pytest.mark.parametrize("clean", [True, False])
def test_accepting_session_closes_while_in_flight(stack, clean):
    """The callee sends call:accept and its connection goes at once (its other session stays):
    the call must end, not stay active with no callee."""
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        ca, cb, cb2 = await a.connect(sig), await b.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        await cb.send("call:accept", {"callId": cid})
        if clean:
            await cb.ws.close()
        else:
            cb.ws.transport.abort()
            await asyncio.sleep(0.1)  # let the loop really close the socket
        try:
            d = wait_status(a, cid, OVER, timeout=6)
        except AssertionError:
            print(sig.read_log()[-4000:])
            raise
        assert d["endReason"] == "disconnected", d
        await ca.expect("call:ended", timeout=3)
        await cb2.expect("call:ended", timeout=3)
        await ca.close()
        await cb2.close()
    run(go())
    settle(sig)


def test_holder_resume_keeps_call(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        await cb.send("call:accept", {"callId": cid})
        await ca.expect("call:accept")
        sid = cb.ready["data"]["sessionId"]
        cb.ws.transport.abort()
        await asyncio.sleep(0.2)  # the loop closes the socket
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "while-away"})
        cb2 = await Client.connect(sig, b.token, f"&sessionId={sid}&seq=0", expect_ready=False)
        f = await cb2.expect("webrtc:offer", timeout=3)
        assert f["data"]["sdp"] == "while-away"
        await asyncio.sleep(1.3)  # past RESUME_WINDOW of the first connection
        assert status_of(a, cid)["status"] == "active"
        await cb2.send("webrtc:answer", {"callId": cid, "sdp": "ans"})
        await ca.expect("webrtc:answer")
        await ca.send("call:end", {"callId": cid})
        await cb2.expect("call:ended")
    run(go())
    settle(sig)


def test_other_callee_session_cannot_relay_after_accept(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        ca, cb, cb2 = await a.connect(sig), await b.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
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
        got = await frames(cb2, 0.3)
        assert "webrtc:offer" not in call_types(got)
        # second caller session cannot relay once the first one holds
        ca2 = await a.connect(sig)
        e = await error_after(ca2, "webrtc:offer", {"callId": cid, "sdp": "x"})
        assert e["code"] == 409
        await ca.close()  # the caller's holder leaves cleanly: the call ends
        await cb.expect("call:ended", timeout=3)
        await ca2.expect("call:ended", timeout=3)
    run(go())
    settle(sig)


def test_flood_of_relays(stack):
    """A caller floods offers at a ringing callee: hype-signal stays up and bounded."""
    api, sig = stack
    a, b = users(api, 2)
    rss0 = sig.rss_kib()

    async def go():
        ca, cb = await a.connect(sig), await b.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        big = "x" * (1000 * 1000 - 200)
        for i in range(40):
            await ca.send("webrtc:offer", {"callId": cid, "sdp": big})
        for i in range(3000):
            await ca.send("webrtc:ice-candidate", {"callId": cid, "candidate": {"c": i}})
        await asyncio.sleep(0.5)
        return cid
    cid = run(go())
    assert sig.alive()
    print("rss growth KiB", sig.rss_kib() - rss0)
    wait_status(a, cid, OVER, timeout=6)
    settle(sig)

