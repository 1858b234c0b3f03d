"""Hostile 1:1 calls (seed 004), part 1: authorization, malformed input, spoofing, blocks, the
relay's bounds."""

import asyncio
import concurrent.futures
import json

import pytest

from calls_attack import (OVER, User, aplace, astatus, call_types, ended, error_after, frames, ring, run,
                          settle, status_of, talk, users)
from test_signal_sessions import start_stack, stop_stack


@pytest.fixture(scope="module")
def stack(pg):
    # Nothing here waits for a ring timeout or a resume window: calls are ended by the tests.
    api, sig = start_stack(pg, RESUME_WINDOW="2s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="30s")
    yield api, sig
    stop_stack(api, sig)


def test_third_party_rest(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        ca, cb, cid = await ring(sig, a, b)
        assert c("GET", f"/api/calls/{cid}").status_code == 404
        assert c("POST", f"/api/calls/{cid}/end").status_code == 404
        assert all(x["callId"] != cid for x in c("GET", "/api/calls").json()["data"])
        assert status_of(a, cid)["status"] == "ringing"
        assert a("POST", f"/api/calls/{cid}/end").status_code == 200
    run(go())


def test_third_party_ws(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        cc = await c.connect(sig)
        ca, cb, cid = await ring(sig, a, b)
        assert not call_types(await frames(cc, 0.1)), "c hears of a call between a and b"
        for op, data in [("call:accept", {}), ("call:reject", {}), ("call:end", {}),
                         ("webrtc:offer", {"sdp": "x"}), ("webrtc:answer", {"sdp": "x"}),
                         ("webrtc:ice-candidate", {"candidate": "x"})]:
            for cid_form in (cid, int(cid)):
                e = await error_after(cc, op, {"callId": cid_form, **data})
                assert e["code"] == 404, (op, e)
        # caller cannot accept/reject its own call
        for op in ("call:accept", "call:reject"):
            e = await error_after(ca, op, {"callId": cid})
            assert e["code"] == 403, e
        assert status_of(a, cid)["status"] == "ringing"
        await cb.send("call:accept", {"callId": cid})
        await ca.expect("call:accept")
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "o"})
        await cb.expect("webrtc:offer")
        await ca.send("call:end", {"callId": cid})
        await ended(ca, cid)
        await ended(cb, cid)
        # c never saw anything of the call (its own errors aside)
        got = await frames(cc, 0.2)
        assert not call_types(got), got
    run(go())


BAD_CALL_IDS = [None, 0, -1, 2**63, 2**64, -2**63, 1.5, "", "abc", "-1", "0", "99999999999999999999",
                "18446744073709551615", {"x": 1}, [1], True]


def test_malformed_call_id_ws(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        ca = await a.connect(sig)
        for value in BAD_CALL_IDS:
            for op in ("call:accept", "call:reject", "call:end", "webrtc:offer"):
                e = await error_after(ca, op, {"callId": value, "sdp": "x"})
                assert e["code"] in (400, 404), (value, op, e)
        # data that is not an object
        for data in (None, 5, "x", [1]):
            e = await error_after(ca, "call:end", data)
            assert e["code"] in (400, 404), e
    run(go())
    assert sig.alive() and api.alive()


BAD_CALLEE_IDS = [None, 5, 5.5, True, {"id": 1}, [1], "", "abc", "-1", "0", " 1", "99999999999999999999",
                  "9223372036854775807", "9223372036854775808", "18446744073709551615", "1" * 21, "123456789"]


def test_malformed_callee_id(stack):
    api, sig = stack
    a, = users(api, 1)

    async def go():
        await a.connect(sig)  # a reachable caller: only the callee is wrong
        for value in BAD_CALLEE_IDS:
            r = await asyncio.to_thread(a, "POST", "/api/calls", json={"calleeId": value})
            assert r.status_code in (400, 404), (value, r.text)
    run(go())
    assert api("GET", "/health").status_code == 200
    assert all(x["status"] in OVER for x in a("GET", "/api/calls").json()["data"])


@pytest.mark.parametrize("path", ["/api/calls/0", "/api/calls/-1", "/api/calls/abc",
                                  "/api/calls/99999999999999999999", "/api/calls/9223372036854775808",
                                  "/api/calls/18446744073709551615", "/api/calls/9223372036854775807"])
def test_malformed_call_path(stack, path):
    api, sig = stack
    a = stack_user(api)
    assert a("GET", path).status_code in (400, 404)
    assert a("POST", path + "/end").status_code in (400, 404)


@pytest.mark.parametrize("query", ["limit=-1", "limit=0", "limit=1000000", "offset=-5", "page=0",
                                   "page=-1", "offset=99999999999999999999", "limit=abc",
                                   "page=9999999999999"])
def test_list_paging_input(stack, query):
    api, sig = stack
    a = stack_user(api)
    r = a("GET", "/api/calls?" + query)
    assert r.status_code in (200, 400), r.text


_shared = {}


def stack_user(api):
    """One account for the read-only input checks."""
    if api not in _shared:
        _shared[api] = User(api)
    return _shared[api]


def test_self_and_body_shapes(stack):
    api, sig = stack
    a, = users(api, 1)

    async def go():
        await a.connect(sig)
        for kw, want in (({"json": {"calleeId": a.id}}, 400),
                         ({"data": "not json", "headers": {"Content-Type": "application/json"}}, 400),
                         ({"json": []}, 400), ({"json": {}}, 400)):
            r = await asyncio.to_thread(a, "POST", "/api/calls", **kw)
            assert r.status_code == want, (kw, r.text)
    run(go())
    assert api("POST", "/api/calls", json={"calleeId": a.id}).status_code == 401


def test_relay_cannot_spoof_from_or_call(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        cc = await c.connect(sig)
        ca, cb, cid = await ring(sig, a, b)
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "o", "from": c.id, "to": c.id,
                                       "type": "call:ended"})
        f = await cb.expect("webrtc:offer")
        assert f["data"]["from"] == a.id and f["data"]["callId"] == cid
        got = await frames(cc, 0.2)
        assert not call_types(got), got
        a("POST", f"/api/calls/{cid}/end")
    run(go())


def test_caller_must_be_connected(stack):
    """A caller nobody can reach is refused (409) and the call is recorded as over: the callee is
    not rung by someone who would never hear the answer."""
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        cb = await b.connect(sig)
        r = await asyncio.to_thread(a, "POST", "/api/calls", json={"calleeId": b.id})
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "Connect to the realtime gateway before placing a call"
        got = await frames(cb, 0.2)
        assert "call:incoming" not in call_types(got), got
        rec = a("GET", "/api/calls").json()["data"][0]
        assert (rec["status"], rec["endReason"]) == ("cancelled", "unavailable"), rec
        # nobody is left busy: the same pair can call once a is connected
        await a.connect(sig)
        d = await aplace(a, b)
        await cb.expect("call:incoming", where=lambda x: x["callId"] == d["callId"])
        assert a("POST", f"/api/calls/{d['callId']}/end").status_code == 200
    run(go())


def test_crossing_calls_at_once(stack):
    """A calls B while B calls A, several times, at the same moment: exactly one wins each round
    and nobody is left busy."""
    api, sig = stack

    async def go():
        for _ in range(5):
            a, b, c = users(api, 3)
            for u in (a, b, c):
                await u.connect(sig)
            with concurrent.futures.ThreadPoolExecutor(2) as ex:
                f1 = ex.submit(a, "POST", "/api/calls", json={"calleeId": b.id})
                f2 = ex.submit(b, "POST", "/api/calls", json={"calleeId": a.id})
                r1, r2 = await asyncio.wrap_future(f1), await asyncio.wrap_future(f2)
            codes = sorted([r1.status_code, r2.status_code])
            assert codes == [201, 409], (r1.text, r2.text)
            won = r1 if r1.status_code == 201 else r2
            who = a if r1.status_code == 201 else b
            assert who("POST", f"/api/calls/{won.json()['data']['callId']}/end").status_code == 200
            r = await asyncio.to_thread(a, "POST", "/api/calls", json={"calleeId": c.id})
            assert r.status_code == 201, r.text
            a("POST", f"/api/calls/{r.json()['data']['callId']}/end")
    run(go())
    settle(sig)


def test_many_callers_one_callee(stack):
    api, sig = stack
    b = User(api)
    callers = users(api, 6)

    async def go():
        for u in callers:
            await u.connect(sig)
        with concurrent.futures.ThreadPoolExecutor(6) as ex:
            rs = await asyncio.to_thread(
                lambda: list(ex.map(lambda u: u("POST", "/api/calls", json={"calleeId": b.id}), callers)))
        assert sorted(r.status_code for r in rs) == [201] + [409] * 5, [r.text for r in rs]
        for u, r in zip(callers, rs):
            if r.status_code == 201:
                assert u("POST", f"/api/calls/{r.json()['data']['callId']}/end").status_code == 200
    run(go())
    settle(sig)


def test_blocked_cannot_call(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        await a.connect(sig), await b.connect(sig)
        assert b("POST", f"/api/friends/block/{a.id}").status_code == 200
        assert a("POST", "/api/calls", json={"calleeId": b.id}).status_code == 403
        assert b("POST", "/api/calls", json={"calleeId": a.id}).status_code == 403
    run(go())


@pytest.mark.parametrize("state", ["ringing", "active"])
def test_block_ends_the_pairs_live_call(stack, state):
    """A block ends the pair's call, ringing or active: both users hear call:ended (reason
    "blocked"), the record says so, hype-signal relays nothing more and nobody stays busy."""
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        ca, cb, cid = await (talk if state == "active" else ring)(sig, a, b)
        r = await asyncio.to_thread(b, "POST", f"/api/friends/block/{a.id}")
        assert r.status_code == 200, r.text
        want = ("ended" if state == "active" else "cancelled", "blocked")
        for side in (ca, cb):
            d = await ended(side, cid)
            assert (d["status"], d["reason"]) == want and d["endedAt"], d
        rec = await astatus(a, cid)
        assert (rec["status"], rec["endReason"]) == want, rec
        e = await error_after(ca, "webrtc:offer", {"callId": cid, "sdp": "x"})
        assert e["code"] == 404, e
        assert "webrtc:offer" not in call_types(await frames(cb, 0.2))
        # both are free for others (and still cannot call each other)
        cc = await c.connect(sig)
        d = await aplace(a, c)
        await cc.expect("call:incoming", where=lambda x: x["callId"] == d["callId"])
        assert a("POST", f"/api/calls/{d['callId']}/end").status_code == 200
        assert b("POST", "/api/calls", json={"calleeId": a.id}).status_code == 403
    run(go())
    settle(sig)


def test_relay_size_and_rate_bounds(stack):
    """webrtc:* data over 64 KiB is refused (413) and not relayed; a side relays at most 50 a
    second (429 past that), each side counted apart, and again once the second has passed."""
    api, sig = stack
    a, b = users(api, 2)
    LIMIT = 64 * 1024

    def offer(size):
        """{callId, sdp} whose JSON (as hype-signal writes it) is size bytes."""
        base = {"callId": cid, "sdp": ""}
        d = {"callId": cid, "sdp": "x" * (size - len(json.dumps(base, separators=(",", ":"))))}
        assert len(json.dumps(d, separators=(",", ":"))) == size
        return d

    async def go():
        nonlocal cid
        ca, cb, cid = await talk(sig, a, b)
        await ca.send("webrtc:offer", offer(LIMIT))
        f = await cb.expect("webrtc:offer")
        assert len(f["data"]["sdp"]) == len(offer(LIMIT)["sdp"])
        e = await error_after(ca, "webrtc:offer", offer(LIMIT + 1))
        assert e["code"] == 413, e
        e = await error_after(ca, "webrtc:ice-candidate", {"callId": cid, "candidate": {"c": "y" * 2 * LIMIT}})
        assert e["code"] == 413, e
        assert not call_types(await frames(cb, 0.2)), "an oversized relay went through"
        # the callee's side: 60 at once, 50 pass
        t0 = asyncio.get_running_loop().time()
        for i in range(60):
            await cb.send("webrtc:ice-candidate", {"callId": cid, "candidate": {"n": i}})
        got_a, got_b = await frames(ca, 0.3), await frames(cb, 0.01)
        relayed = [f["data"]["candidate"]["n"] for f in got_a if f["type"] == "webrtc:ice-candidate"]
        refused = [f["data"]["code"] for f in got_b if f["type"] == "error"]
        assert relayed == list(range(50)), relayed
        assert refused == [429] * 10, got_b
        # the caller's side has its own count
        await ca.send("webrtc:ice-candidate", {"callId": cid, "candidate": {"n": "a"}})
        f = await cb.expect("webrtc:ice-candidate")
        assert f["data"]["candidate"] == {"n": "a"}
        # a second later the callee relays again
        await asyncio.sleep(max(0, t0 + 1.05 - asyncio.get_running_loop().time()))
        await cb.send("webrtc:ice-candidate", {"callId": cid, "candidate": {"n": "again"}})
        f = await ca.expect("webrtc:ice-candidate")
        assert f["data"]["candidate"] == {"n": "again"}
        await ca.send("call:end", {"callId": cid})
        await ended(cb, cid)
    cid = None
    run(go())
    assert sig.alive()
