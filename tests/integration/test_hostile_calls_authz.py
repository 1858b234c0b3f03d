"""Hostile 1:1 calls (seed 004), part 1: authorization, malformed input, spoofing."""

import asyncio
import concurrent.futures
import json

import pytest

from calls_attack import OVER, User, error_after, frames, place, status_of, users, wait_status
from test_signal_sessions import Client, run, start_stack, stop_stack


@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="2s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="3s")
    yield api, sig
    stop_stack(api, sig)


def test_third_party_rest(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        cb = await b.connect(sig)
        call = place(a, b)
        cid = call["callId"]
        await cb.expect("call:incoming")
        assert c("GET", f"/api/calls/{cid}").status_code == 404
        assert c("POST", f"/api/calls/{cid}/end").status_code == 404
        assert all(x["callId"] != cid for x in c("GET", "/api/calls").json()["data"])
        assert status_of(a, cid)["status"] == "ringing"
        assert a("POST", f"/api/calls/{cid}/end").status_code == 200
        await cb.close()
    run(go())


def test_third_party_ws(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        ca, cb, cc = await a.connect(sig), await b.connect(sig), await c.connect(sig)
        call = place(a, b)
        cid = call["callId"]
        await cb.expect("call:incoming")
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
        # c never saw anything of the call
        got = await frames(cc, 0.3)
        assert not [f for f in got if f["type"].startswith(("call:", "webrtc:"))], got
        await cb.send("call:accept", {"callId": cid})
        await ca.expect("call:accept")
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "o"})
        await cb.expect("webrtc:offer")
        got = await frames(cc, 0.3)
        assert not [f for f in got if f["type"].startswith(("call:", "webrtc:"))], got
        await ca.send("call:end", {"callId": cid})
        await ca.expect("call:ended")
        await cb.expect("call:ended")
        got = await frames(cc, 0.3)
        assert not [f for f in got if f["type"].startswith(("call:", "webrtc:"))], got
        for x in (ca, cb, cc):
            await x.close()
    run(go())


@pytest.mark.parametrize("value", [None, 0, -1, 2**63, 2**64, -2**63, 1.5, "", "abc", "-1", "0",
                                   "99999999999999999999", "18446744073709551615", {"x": 1}, [1], True])
def test_malformed_call_id_ws(stack, value):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        ca = await a.connect(sig)
        for op in ("call:accept", "call:reject", "call:end", "webrtc:offer"):
            e = await error_after(ca, op, {"callId": value, "sdp": "x"})
            assert e["code"] in (400, 404), (op, e)
        # data that is not an object
        for data in (None, 5, "x", [1]):
            e = await error_after(ca, "call:end", data)
            assert e["code"] in (400, 404), e
        await ca.close()
    run(go())
    assert sig.alive() and api.alive()


@pytest.mark.parametrize("value", [None, 5, 5.5, True, {"id": 1}, [1], "", "abc", "-1", "0", " 1",
                                   "99999999999999999999", "9223372036854775807", "9223372036854775808",
                                   "18446744073709551615", "1" * 21, "123456789"])
def test_malformed_callee_id(stack, value):
    api, sig = stack
    a, = users(api, 1)
    r = a("POST", "/api/calls", json={"calleeId": value})
    assert r.status_code in (400, 404), r.text
    assert api("GET", "/health").status_code == 200


@pytest.mark.parametrize("path", ["/api/calls/0", "/api/calls/-1", "/api/calls/abc",
                                  "/api/calls/99999999999999999999", "/api/calls/9223372036854775808",
                                  "/api/calls/18446744073709551615", "/api/calls/9223372036854775807"])
def test_malformed_call_path(stack, path):
    api, sig = stack
    a, = users(api, 1)
    assert a("GET", path).status_code in (400, 404)
    assert a("POST", path + "/end").status_code in (400, 404)


@pytest.mark.parametrize("query", ["limit=-1", "limit=0", "limit=1000000", "offset=-5", "page=0",
                                   "page=-1", "offset=99999999999999999999", "limit=abc",
                                   "page=9999999999999"])
def test_list_paging_input(stack, query):
    api, sig = stack
    a, = users(api, 1)
    r = a("GET", "/api/calls?" + query)
    assert r.status_code in (200, 400), r.text


def test_self_and_body_shapes(stack):
    api, sig = stack
    a, = users(api, 1)
    assert a("POST", "/api/calls", json={"calleeId": a.id}).status_code == 400
    assert a("POST", "/api/calls", data="not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert a("POST", "/api/calls", json=[]).status_code == 400
    assert a("POST", "/api/calls", json={}).status_code == 400
    assert api("POST", "/api/calls", json={"calleeId": a.id}).status_code == 401


def test_relay_cannot_spoof_from_or_call(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        ca, cb, cc = await a.connect(sig), await b.connect(sig), await c.connect(sig)
        cid = place(a, b)["callId"]
        await cb.expect("call:incoming")
        await ca.send("webrtc:offer", {"callId": cid, "sdp": "o", "from": c.id, "to": c.id,
                                       "type": "call:ended"})
        f = await cb.expect("webrtc:offer")
        assert f["data"]["from"] == a.id and f["data"]["callId"] == cid
        got = await frames(cc, 0.3)
        assert not [x for x in got if x["type"].startswith(("call:", "webrtc:"))], got
        a("POST", f"/api/calls/{cid}/end")
        for x in (ca, cb, cc):
            await x.close()
    run(go())


def test_crossing_calls_at_once(stack):
    """A calls B while B calls A, many times, at the same moment: at most one wins each round and
    nobody is left busy."""
    api, sig = stack
    for _ in range(8):
        a, b = users(api, 2)
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            f1 = ex.submit(a, "POST", "/api/calls", json={"calleeId": b.id})
            f2 = ex.submit(b, "POST", "/api/calls", json={"calleeId": a.id})
            r1, r2 = f1.result(), f2.result()
        codes = sorted([r1.status_code, r2.status_code])
        assert codes == [201, 409], (r1.text, r2.text)
        won = r1 if r1.status_code == 201 else r2
        who = a if r1.status_code == 201 else b
        assert who("POST", f"/api/calls/{won.json()['data']['callId']}/end").status_code == 200
        c = User(api)
        r = a("POST", "/api/calls", json={"calleeId": c.id})
        assert r.status_code == 201, r.text
        a("POST", f"/api/calls/{r.json()['data']['callId']}/end")


def test_many_callers_one_callee(stack):
    api, sig = stack
    b = User(api)
    callers = users(api, 6)
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        rs = list(ex.map(lambda u: u("POST", "/api/calls", json={"calleeId": b.id}), callers))
    assert sorted(r.status_code for r in rs) == [201] + [409] * 5, [r.text for r in rs]
    for u, r in zip(callers, rs):
        if r.status_code == 201:
            assert u("POST", f"/api/calls/{r.json()['data']['callId']}/end").status_code == 200


def test_blocked_cannot_call(stack):
    api, sig = stack
    a, b = users(api, 2)
    assert b("POST", f"/api/friends/block/{a.id}").status_code == 200
    assert a("POST", "/api/calls", json={"calleeId": b.id}).status_code == 403
    assert b("POST", "/api/calls", json={"calleeId": a.id}).status_code == 403
