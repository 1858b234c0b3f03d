"""1:1 calls (seed 004): POST /api/calls rings every live session of the callee through
hype-signal; the call is accepted, rejected or ended over the raw protocol (python websockets) or
REST; webrtc:* messages are relayed between the two sides only; ring timeouts, disconnects and a
hype-signal restart end calls; the history is paged. Full stacks: hype-api + hype-signal."""

import asyncio
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hype import Daemon, SignalDaemon, bearer, register
from test_signal_sessions import Client, run, start_stack, stop_stack, wait_linked

OVER = ("ended", "rejected", "missed", "cancelled")
CALL_FIELDS = {"callId", "id", "status", "callerId", "calleeId", "caller", "callee", "createdAt", "answeredAt",
               "endedAt", "endedBy", "endReason"}


@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="30s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="30s")
    yield api, sig
    stop_stack(api, sig)


@pytest.fixture(scope="module")
def quick(pg):
    """Calls ring for 2 s and dropped sessions are resumable for 1 s only."""
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="2s")
    yield api, sig
    stop_stack(api, sig)


class User:
    def __init__(self, api):
        self.account, _ = register(api)
        self.api = api
        self.id = self.account["user"]["id"]
        self.username = self.account["user"]["username"]
        self.token = self.account["accessToken"]

    def __call__(self, method, path, headers=None, **kw):
        return self.api(method, path, headers={**bearer(self.token), **(headers or {})}, **kw)

    async def connect(self, sig, query=""):
        return await Client.connect(sig, self.token, query)


def users(api, n):
    return [User(api) for _ in range(n)]


def place(caller, callee, path="/api/calls"):
    r = caller("POST", path, json={"calleeId": callee.id})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def get(who, call_id, path="/api/calls"):
    r = who("GET", f"{path}/{call_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def end(who, call_id):
    r = who("POST", f"/api/calls/{call_id}/end")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def refused(r, status, error=None):
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    body = r.json()
    assert body["success"] is False and isinstance(body["error"], str) and body["error"], body
    if error is not None:
        assert body["error"] == error, body


def profile_of(u):
    return lambda p: p["id"] == u.id and p["username"] == u.username and {"displayName", "avatarUrl"} <= set(p)


async def expect_error(c, code, message=None):
    err = await c.expect("error")
    assert err["data"]["code"] == code, err
    if message is not None:
        assert err["data"]["message"] == message, err
    return err


async def nothing_of_calls(c, seconds=0.4):
    """Asserts no call:* or webrtc:* frame reaches c for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            f = await c.recv(max(0.01, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            return
        assert not f["type"].startswith(("call:", "webrtc:")), f


async def ended(c, call_id, status, reason, by, timeout=5):
    f = await c.expect("call:ended", timeout, where=lambda d: d["callId"] == call_id)
    assert (f["data"]["status"], f["data"]["reason"], f["data"]["endedBy"]) == (status, reason, by), f
    return f


async def answered(a, a1, b, b1):
    """a calls b; b answers on b1 and a1 hears it: the call's id."""
    call_id = place(a, b)["callId"]
    await b1.expect("call:incoming")
    await b1.send("call:accept", {"callId": call_id})
    await a1.expect("call:accept")
    return call_id


def candidate(n):
    """An ICE candidate as a browser trickles it."""
    return {"candidate": f"candidate:{n} 1 udp 2130706431 10.77.0.{n} 5000{n} typ host", "sdpMid": "0",
            "sdpMLineIndex": 0}


async def close(*clients):
    await asyncio.gather(*(c.close() for c in clients))


# ---- REST: placing a call ----

def test_every_route_needs_an_access_token(stack):
    api, _ = stack
    a, b = users(api, 2)
    for prefix in ("/api/calls", "/calls", "/api/v1/calls"):
        for headers in ({}, bearer("not-a-jwt"), {"Authorization": "Basic " + a.token}):
            for method, path, body in (("POST", "", {"calleeId": b.id}), ("GET", "", None),
                                       ("GET", "/123456789", None), ("POST", "/123456789/end", None)):
                r = api(method, prefix + path, headers=headers, json=body)
                refused(r, 401)
    assert a("GET", "/api/calls").json()["data"] == [], "none of those placed a call"


def test_a_call_rings_every_session_of_the_callee_and_no_one_else(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        a1, b1, b2, c1 = [await u.connect(sig) for u in (a, b, b, c)]
        call = place(a, b)
        call_id = call["callId"]
        assert call["id"] == call_id and isinstance(call_id, str)
        assert (call["status"], call["state"]) == ("created", "ringing")
        assert "ringingSessions" not in call, "who is connected is not the caller's to know"
        assert (call["callerId"], call["calleeId"]) == (a.id, b.id)
        assert profile_of(a)(call["caller"]) and profile_of(b)(call["callee"]), call
        assert call["createdAt"].endswith("Z")
        for s in (b1, b2):
            f = await s.expect("call:incoming")
            d = f["data"]
            assert (d["callId"], d["from"], d["callerId"], d["calleeId"]) == (call_id, a.username, a.id, b.id), d
            assert profile_of(a)(d["caller"]) and d["createdAt"] == call["createdAt"], d
        await nothing_of_calls(a1)
        await nothing_of_calls(c1, 0.1)
        # Both participants see it ringing, under every alias; nobody else sees it at all.
        for who, path in ((a, "/api/calls"), (b, "/calls"), (b, "/api/v1/calls")):
            got = get(who, call_id, path)
            assert CALL_FIELDS <= set(got), got
            assert (got["callId"], got["id"], got["status"]) == (call_id, call_id, "ringing")
            assert (got["answeredAt"], got["endedAt"], got["endedBy"], got["endReason"]) == (None,) * 4
            assert profile_of(a)(got["caller"]) and profile_of(b)(got["callee"])
        refused(c("GET", f"/api/calls/{call_id}"), 404, "Call not found")
        refused(c("POST", f"/api/calls/{call_id}/end"), 404, "Call not found")
        refused(a("GET", "/api/calls/123456789"), 404, "Call not found")
        assert get(a, call_id)["status"] == "ringing", "the outsider's end changed nothing"
        # The caller hangs up before an answer: cancelled, and every session of both hears it.
        done = end(a, call_id)
        assert done["callId"] == call_id and done["status"] == "ended"
        assert (done["call"]["status"], done["call"]["endReason"], done["call"]["endedBy"]) == (
            "cancelled", "cancelled", a.id)
        for s in (a1, b1, b2):
            await ended(s, call_id, "cancelled", "cancelled", a.id)
        await nothing_of_calls(c1)
        got = get(b, call_id)
        assert got["status"] == "cancelled" and got["endedAt"] and got["answeredAt"] is None
        refused(a("POST", f"/api/calls/{call_id}/end"), 409)
        await close(a1, b1, b2, c1)
    run(go())


def test_bad_callees_are_refused(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        b1 = await b.connect(sig)
        for body in ({}, {"calleeId": ""}, {"calleeId": "not-an-id"}, {"calleeId": None}, {"calleeId": ["1"]}):
            refused(a("POST", "/api/calls", json=body), 400)
        refused(a("POST", "/api/calls", data="{not json", headers={"Content-Type": "application/json"}), 400)
        refused(a("POST", "/api/calls", json={"calleeId": a.id}), 400, "You cannot call yourself")
        refused(a("POST", "/api/calls", json={"calleeId": "123456789"}), 404, "User not found")
        await nothing_of_calls(b1)
        assert a("GET", "/api/calls").json()["data"] == []
        await b1.close()
    run(go())


def test_blocked_users_cannot_call_each_other(stack):
    api, sig = stack
    a, b = users(api, 2)
    assert a("POST", f"/api/friends/block/{b.id}").status_code == 200

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        refused(a("POST", "/api/calls", json={"calleeId": b.id}), 403)
        refused(b("POST", "/api/calls", json={"calleeId": a.id}), 403)
        await nothing_of_calls(b1)
        # Unblocked, they can.
        assert a("DELETE", f"/api/friends/block/{b.id}").status_code == 200
        call = place(b, a)
        await a1.expect("call:incoming", where=lambda d: d["callId"] == call["callId"])
        end(b, call["callId"])
        await close(a1, b1)
    run(go())


def test_one_call_at_a_time_per_user(stack):
    api, sig = stack
    a, b, c, d = users(api, 4)

    async def go():
        a1, b1, c1, d1 = [await u.connect(sig) for u in (a, b, c, d)]
        call_id = place(a, b)["callId"]
        await b1.expect("call:incoming")
        for who, whom in ((a, c), (c, a), (c, b), (b, c), (b, a)):
            refused(who("POST", "/api/calls", json={"calleeId": whom.id}), 409, "Call already active")
        await nothing_of_calls(c1, 0.1)
        # Answered, still busy.
        await b1.send("call:accept", {"callId": call_id})
        await a1.expect("call:accept")
        for who, whom in ((a, c), (c, b)):
            refused(who("POST", "/api/calls", json={"calleeId": whom.id}), 409, "Call already active")
        # Others are not.
        other = place(c, d)
        await d1.expect("call:incoming", where=lambda x: x["callId"] == other["callId"])
        end(d, other["callId"])
        end(b, call_id)
        # Over: free again, either way round.
        again = place(b, a)
        end(a, again["callId"])
        await close(a1, b1, c1, d1)
    run(go())


def test_ending_over_rest(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        # The callee ends it while it rings: rejected.
        first = place(a, b)["callId"]
        await b1.expect("call:incoming")
        done = end(b, first)
        assert done["status"] == "ended" and done["call"]["status"] == "rejected"
        assert (done["call"]["endReason"], done["call"]["endedBy"]) == ("rejected", b.id)
        for s in (a1, b1):
            await ended(s, first, "rejected", "rejected", b.id)
        refused(b("POST", f"/api/calls/{first}/end"), 409)
        refused(a("POST", f"/calls/{first}/end"), 409)
        # Answered, then ended by the callee: ended, a hangup.
        second = place(a, b)["callId"]
        await b1.expect("call:incoming", where=lambda d: d["callId"] == second)
        await b1.send("call:accept", {"callId": second})
        await a1.expect("call:accept")
        got = get(a, second)
        assert got["status"] == "active" and got["answeredAt"] and got["endedAt"] is None
        refused(c("POST", f"/api/calls/{second}/end"), 404, "Call not found")
        done = end(b, second)
        assert (done["call"]["status"], done["call"]["endReason"], done["call"]["endedBy"]) == ("ended", "hangup", b.id)
        for s in (a1, b1):
            await ended(s, second, "ended", "hangup", b.id)
        got = get(a, second)
        assert (got["status"], got["endReason"], got["endedBy"]) == ("ended", "hangup", b.id)
        assert got["answeredAt"] and got["endedAt"] and got["endedAt"] >= got["answeredAt"] >= got["createdAt"]
        # By the caller over the alias, while active.
        third = place(a, b)["callId"]
        await b1.send("call:accept", {"callId": third})
        await a1.expect("call:accept", where=lambda d: d["callId"] == third)
        r = a("POST", f"/api/v1/calls/{third}/end")
        assert r.status_code == 200 and r.json()["data"]["call"]["endedBy"] == a.id, r.text
        await ended(b1, third, "ended", "hangup", a.id)
        refused(a("POST", "/api/calls/123456789/end"), 404, "Call not found")
        await close(a1, b1)
    run(go())


def test_call_history_is_paged_newest_first(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        sessions = [await u.connect(sig) for u in (a, b, c)]
        c1 = place(a, b)["callId"]
        end(a, c1)                    # cancelled
        c2 = place(b, a)["callId"]
        end(a, c2)                    # rejected
        c3 = place(c, a)["callId"]
        end(c, c3)                    # cancelled
        c4 = place(a, c)["callId"]
        end(c, c4)                    # rejected
        page = a("GET", "/api/calls").json()
        assert page["success"] is True
        assert [x["callId"] for x in page["data"]] == [c4, c3, c2, c1], "as caller and callee, newest first"
        assert [x["status"] for x in page["data"]] == ["rejected", "cancelled", "rejected", "cancelled"]
        assert all(CALL_FIELDS <= set(x) for x in page["data"]), page["data"]
        assert page["meta"]["total"] == 4 and page["meta"]["offset"] == 0
        assert [x["callId"] for x in b("GET", "/calls").json()["data"]] == [c2, c1]
        assert [x["callId"] for x in c("GET", "/api/v1/calls").json()["data"]] == [c4, c3]
        r = a("GET", "/api/calls", params={"limit": 3}).json()
        assert [x["callId"] for x in r["data"]] == [c4, c3, c2]
        assert {k: r["meta"][k] for k in ("total", "limit", "offset")} == {"total": 4, "limit": 3, "offset": 0}
        r = a("GET", "/api/calls", params={"limit": 3, "offset": 3}).json()
        assert [x["callId"] for x in r["data"]] == [c1] and r["meta"]["offset"] == 3
        r = a("GET", "/api/calls", params={"limit": 3, "page": 2}).json()
        assert [x["callId"] for x in r["data"]] == [c1]
        assert (r["meta"]["page"], r["meta"]["totalPages"], r["meta"]["offset"]) == (2, 2, 3), r["meta"]
        r = a("GET", "/api/calls", params={"limit": 3, "page": 3}).json()
        assert r["data"] == []
        for params in ({"limit": 0}, {"limit": "ten"}, {"limit": 1000}, {"offset": -1}, {"page": 0}):
            refused(a("GET", "/api/calls", params=params), 400)
        await close(*sessions)
    run(go())


def test_two_calls_placed_at_the_same_moment_cannot_both_ring(stack):
    """Two callers at once to one callee, or two users calling each other at once: one call."""
    api, sig = stack

    def at_once(*pairs):
        with ThreadPoolExecutor(len(pairs)) as pool:
            return list(pool.map(lambda p: p[0]("POST", "/api/calls", json={"calleeId": p[1].id}), pairs))

    async def go():
        for _ in range(3):
            a, b, c = users(api, 3)
            sessions = [await u.connect(sig) for u in (a, b, c)]  # callers must be reachable
            for pairs in (((a, b), (c, b)), ((a, b), (b, a))):
                replies = await asyncio.to_thread(at_once, *pairs)
                codes = sorted(r.status_code for r in replies)
                assert codes == [201, 409], [r.text for r in replies]
                won = next(r for r in replies if r.status_code == 201).json()["data"]
                lost = next(r for r in replies if r.status_code == 409)
                refused(lost, 409, "Call already active")
                caller = a if won["callerId"] == a.id else b if won["callerId"] == b.id else c
                end(caller, won["callId"])
            await close(*sessions)
    run(go())


def test_without_hype_signal_a_call_is_refused_and_recorded_as_over(api):
    """The session-wide hype-api has no hype-signal: nobody could be rung."""
    a, b = users(api, 2)
    refused(a("POST", "/api/calls", json={"calleeId": b.id}), 503)
    history = a("GET", "/api/calls").json()["data"]
    assert len(history) == 1, history
    over = history[0]
    assert (over["callerId"], over["calleeId"], over["endReason"]) == (a.id, b.id, "unavailable"), over
    assert over["status"] in OVER and over["endedAt"], over
    # It holds nobody: the next try is the same 503, not "already active".
    refused(a("POST", "/api/calls", json={"calleeId": b.id}), 503)
    refused(b("POST", "/api/calls", json={"calleeId": a.id}), 503)


# ---- the socket: accept, reject, end ----

def test_accepting_on_one_session(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, a2, b1, b2 = [await u.connect(sig) for u in (a, a, b, b)]
        call_id = place(a, b)["callId"]
        for s in (b1, b2):
            await s.expect("call:incoming")
        await b1.send("call:accept", {"callId": call_id})
        for s in (a1, a2):
            f = await s.expect("call:accept")
            assert f["data"]["callId"] == call_id and f["data"]["calleeId"] == b.id, f
        f = await b2.expect("call:accepted_elsewhere")
        assert f["data"]["callId"] == call_id
        await b1.quiet("call:accepted_elsewhere", 0.3)
        got = get(a, call_id)
        assert got["status"] == "active" and got["answeredAt"] and got["answeredAt"] >= got["createdAt"]
        assert got["endedAt"] is None
        # It is taken: not by the other session, and not twice; nor rejected now.
        await b2.send("call:accept", {"callId": call_id})
        await expect_error(b2, 409)
        await b1.send("call:accept", {"callId": call_id})
        await expect_error(b1, 409)
        await b2.send("call:reject", {"callId": call_id})
        await expect_error(b2, 409)
        assert get(b, call_id)["status"] == "active"
        end(a, call_id)
        await close(a1, a2, b1, b2)
    run(go())


def test_every_caller_session_learns_the_answer_also_once_one_holds_the_call(stack):
    """The caller's side is held by its first session that relays (a1 here); the answer, and a
    rejection, still reach every session of the caller."""
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, a2, b1 = [await u.connect(sig) for u in (a, a, b)]
        for answer in ("call:accept", "call:reject"):
            call_id = place(a, b)["callId"]
            await b1.expect("call:incoming", where=lambda d: d["callId"] == call_id)
            await a1.send("webrtc:offer", {"callId": call_id, "sdp": "v=0"})
            await b1.expect("webrtc:offer")
            await b1.send(answer, {"callId": call_id})
            for s in (a1, a2):
                f = await s.expect(answer, where=lambda d: d["callId"] == call_id)
                assert f["data"]["calleeId"] == b.id, f
            if answer == "call:accept":
                end(a, call_id)
            for s in (a1, a2):
                await s.expect("call:ended", where=lambda d: d["callId"] == call_id)
        await close(a1, a2, b1)
    run(go())


def test_ops_on_a_call_that_is_not_yours(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        a1, b1, c1 = [await u.connect(sig) for u in (a, b, c)]
        call_id = place(a, b)["callId"]
        await b1.expect("call:incoming")
        # The caller cannot answer its own call.
        for op in ("call:accept", "call:reject"):
            await a1.send(op, {"callId": call_id})
            await expect_error(a1, 403)
        # A third user is told there is no such call, whatever it tries.
        for op, extra in (("call:accept", {}), ("call:reject", {}), ("call:end", {}),
                          ("webrtc:offer", {"sdp": "v=0"}), ("webrtc:answer", {"sdp": "v=0"}),
                          ("webrtc:ice-candidate", {"candidate": candidate(9)})):
            await c1.send(op, {"callId": call_id, **extra})
            await expect_error(c1, 404, "Call not found")
        # An unknown call.
        for op in ("call:accept", "call:end", "webrtc:offer"):
            await b1.send(op, {"callId": "123456789", "sdp": "v=0"})
            await expect_error(b1, 404, "Call not found")
        await nothing_of_calls(a1, 0.2)
        assert get(a, call_id)["status"] == "ringing", "nothing of that touched the call"
        end(a, call_id)
        await close(a1, b1, c1)
    run(go())


def test_rejecting_over_the_socket(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        a1, a2, b1, b2, c1 = [await u.connect(sig) for u in (a, a, b, b, c)]
        call_id = place(a, b)["callId"]
        await b2.expect("call:incoming")
        await b2.send("call:reject", {"callId": call_id})
        for s in (a1, a2):
            f = await s.expect("call:reject")
            assert f["data"]["callId"] == call_id and f["data"]["calleeId"] == b.id, f
        for s in (a1, a2, b1, b2):
            await ended(s, call_id, "rejected", "rejected", b.id)
        await nothing_of_calls(c1, 0.1)
        got = get(b, call_id)
        assert (got["status"], got["endReason"], got["endedBy"], got["answeredAt"]) == ("rejected", "rejected", b.id,
                                                                                        None)
        # Over: nothing more can be done with it.
        await b1.send("call:accept", {"callId": call_id})
        await expect_error(b1, 404, "Call not found")
        refused(a("POST", f"/api/calls/{call_id}/end"), 409)
        await close(a1, a2, b1, b2, c1)
    run(go())


def test_ending_over_the_socket(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        # The caller's call:end while it rings cancels it.
        first = place(a, b)["callId"]
        await b1.expect("call:incoming")
        await a1.send("call:end", {"callId": first})
        for s in (a1, b1):
            await ended(s, first, "cancelled", "cancelled", a.id)
        assert get(b, first)["status"] == "cancelled"
        # Active, either side's call:end is a hangup.
        second = place(a, b)["callId"]
        await b1.expect("call:incoming", where=lambda d: d["callId"] == second)
        await b1.send("call:accept", {"callId": second})
        await a1.expect("call:accept")
        await b1.send("call:end", {"callId": second})
        for s in (a1, b1):
            await ended(s, second, "ended", "hangup", b.id)
        got = get(a, second)
        assert (got["status"], got["endReason"], got["endedBy"]) == ("ended", "hangup", b.id) and got["endedAt"]
        await a1.send("call:end", {"callId": second})
        await expect_error(a1, 404, "Call not found")
        await close(a1, b1)
    run(go())


def test_an_answer_and_a_hang_up_at_the_same_moment(stack):
    """The callee accepts while the caller hangs up over REST: one of them wins, and what both
    users are told agrees with the record."""
    api, sig = stack

    async def once():
        a, b = users(api, 2)
        a1, b1 = await a.connect(sig), await b.connect(sig)
        call_id = place(a, b)["callId"]
        await b1.expect("call:incoming")
        hang_up = asyncio.ensure_future(asyncio.to_thread(a, "POST", f"/api/calls/{call_id}/end"))
        await b1.send("call:accept", {"callId": call_id})
        r = await hang_up
        assert r.status_code == 200, r.text
        final = get(a, call_id)
        frames = {}
        for s, name in ((a1, "a"), (b1, "b")):
            seen = []
            while not seen or seen[-1]["type"] != "call:ended":
                seen.append(await s.recv())
            frames[name] = [f["type"] for f in seen if f["type"] != "presence"]
            assert seen[-1]["data"]["status"] == final["status"], (seen[-1], final)
        if final["status"] == "cancelled":  # the hang-up won: the answer was refused
            assert "call:accept" not in frames["a"] and final["answeredAt"] is None, (frames, final)
            assert frames["b"][0] in ("error", "call:ended"), frames
        else:  # the answer won: it was answered, then hung up
            assert (final["status"], final["endReason"]) == ("ended", "hangup"), final
            assert frames["a"] == ["call:accept", "call:ended"] and final["answeredAt"], (frames, final)
        await nothing_of_calls(a1, 0.1)
        await nothing_of_calls(b1, 0.1)
        await close(a1, b1)
        return final["status"]

    outcomes = [run(once()) for _ in range(4)]
    assert set(outcomes) <= {"cancelled", "ended"}, outcomes


def test_logging_out_the_last_session_ends_the_call(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        call_id = place(a, b)["callId"]
        await b1.send("call:accept", {"callId": call_id})
        await a1.expect("call:accept")
        assert b("POST", "/auth/logout").status_code == 200
        f = await a1.expect("call:ended")
        assert (f["data"]["callId"], f["data"]["status"], f["data"]["reason"]) == (call_id, "ended", "disconnected")
        assert (get(a, call_id)["status"], get(a, call_id)["endReason"]) == ("ended", "disconnected")
        await close(a1, b1)
    run(go())


# ---- the socket: webrtc relay ----

def test_webrtc_messages_reach_the_other_side_only_and_follow_who_holds_the_call(stack):
    api, sig = stack
    a, b, c = users(api, 3)

    async def go():
        a1, a2, b1, b2, c1 = [await u.connect(sig) for u in (a, a, b, b, c)]
        call_id = place(a, b)["callId"]
        for s in (b1, b2):
            await s.expect("call:incoming")
        # Before the answer: to every session of the callee, as sent, with who sent it.
        await a1.send("webrtc:offer", {"callId": call_id, "sdp": "v=0 offer from a1"})
        for s in (b1, b2):
            f = await s.expect("webrtc:offer")
            assert f["data"] == {"callId": call_id, "sdp": "v=0 offer from a1", "from": a.id}, f
        await nothing_of_calls(a2, 0.2)
        await nothing_of_calls(c1, 0.1)
        # a1 sent first: the caller's side is a1 now, a2 cannot speak for it.
        await a2.send("webrtc:offer", {"callId": call_id, "sdp": "v=0 offer from a2"})
        await expect_error(a2, 409)
        await b2.quiet("webrtc:offer", 0.2)
        # b2 answers: from now on only b2 hears the caller, and b2 reaches only a1.
        await b2.send("call:accept", {"callId": call_id})
        await a1.expect("call:accept")
        await a2.expect("call:accept")  # the answer reaches every caller session; relays do not
        await b1.expect("call:accepted_elsewhere")
        await a1.send("webrtc:ice-candidate", {"callId": call_id, "candidate": candidate(1)})
        f = await b2.expect("webrtc:ice-candidate")
        assert f["data"] == {"callId": call_id, "candidate": candidate(1), "from": a.id}, f
        await b2.send("webrtc:answer", {"callId": call_id, "sdp": "v=0 answer from b2"})
        f = await a1.expect("webrtc:answer")
        assert f["data"] == {"callId": call_id, "sdp": "v=0 answer from b2", "from": b.id}, f
        await b2.send("webrtc:ice-candidate", {"callId": call_id, "candidate": candidate(2)})
        f = await a1.expect("webrtc:ice-candidate")
        assert f["data"]["candidate"] == candidate(2) and f["data"]["from"] == b.id
        await b1.send("webrtc:ice-candidate", {"callId": call_id, "candidate": candidate(3)})
        await expect_error(b1, 409)
        for s in (b1, a2):
            await nothing_of_calls(s, 0.2)
        await nothing_of_calls(c1, 0.1)
        # Renegotiation goes the other way too.
        await b2.send("webrtc:offer", {"callId": call_id, "sdp": "v=0 re-offer"})
        f = await a1.expect("webrtc:offer")
        assert f["data"]["from"] == b.id and f["data"]["sdp"] == "v=0 re-offer"
        # Over: nothing is relayed any more.
        end(b, call_id)
        await ended(a1, call_id, "ended", "hangup", b.id)
        await a1.send("webrtc:ice-candidate", {"callId": call_id, "candidate": candidate(4)})
        await expect_error(a1, 404, "Call not found")
        await b2.quiet("webrtc:ice-candidate", 0.3)
        await close(a1, a2, b1, b2, c1)
    run(go())


# ---- sessions coming and going ----

def test_a_session_that_connects_while_it_rings_is_rung(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        call = place(a, b)
        await b1.expect("call:incoming")
        b2 = await b.connect(sig)
        f = await b2.expect("call:incoming")
        assert f["data"]["callId"] == call["callId"] and f["data"]["callerId"] == a.id
        # Also one that authenticates with an auth frame.
        b4 = await Client.connect(sig, expect_ready=False)
        await b4.send("auth", {"token": b.token})
        await b4.expect("ready")
        f = await b4.expect("call:incoming")
        assert f["data"]["callId"] == call["callId"]
        await b2.send("call:accept", {"callId": call["callId"]})
        await a1.expect("call:accept")
        for s in (b1, b4):
            await s.expect("call:accepted_elsewhere")
        # Answered: a new session is not rung again.
        b3 = await b.connect(sig)
        await b3.quiet("call:incoming", 0.4)
        end(a, call["callId"])
        await close(a1, b1, b2, b3, b4)
    run(go())


def test_the_callees_last_session_closing_ends_a_ringing_call(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, b1, b2 = await a.connect(sig), await b.connect(sig), await b.connect(sig)
        call_id = place(a, b)["callId"]
        await b2.expect("call:incoming")
        await b1.close()
        await a1.quiet("call:ended", 0.4)  # b2 still rings
        assert get(a, call_id)["status"] == "ringing"
        await b2.close()
        f = await a1.expect("call:ended")
        assert f["data"]["callId"] == call_id and f["data"]["reason"] == "disconnected", f
        got = get(a, call_id)
        assert got["status"] in OVER and got["endReason"] == "disconnected" and got["endedAt"], got
        assert f["data"]["status"] == got["status"]
        # Both are free again.
        b3 = await b.connect(sig)
        again = place(a, b)
        await b3.expect("call:incoming", where=lambda d: d["callId"] == again["callId"])
        end(b, again["callId"])
        await close(a1, b3)
    run(go())


def test_closing_the_session_that_holds_the_call_ends_it(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, a2, b1, b2 = [await u.connect(sig) for u in (a, a, b, b)]
        call_id = await answered(a, a1, b, b1)
        await a1.send("webrtc:offer", {"callId": call_id, "sdp": "v=0"})
        await b1.expect("webrtc:offer")
        # A session that does not hold it may go.
        await a2.close()
        await b2.close()
        await a1.quiet("call:ended", 0.4)
        assert get(a, call_id)["status"] == "active"
        # The callee's holding session goes: over, though b is still online elsewhere.
        b3 = await b.connect(sig)
        await b1.close()
        f = await a1.expect("call:ended")
        assert (f["data"]["callId"], f["data"]["status"], f["data"]["reason"]) == (call_id, "ended", "disconnected"), f
        f = await b3.expect("call:ended")
        assert f["data"]["callId"] == call_id and f["data"]["reason"] == "disconnected"
        got = get(b, call_id)
        assert (got["status"], got["endReason"]) == ("ended", "disconnected") and got["endedAt"]
        await close(a1, b3)
    run(go())


def test_the_callers_holding_session_closing_ends_the_call(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, a2, b1 = [await u.connect(sig) for u in (a, a, b)]
        call_id = place(a, b)["callId"]
        await b1.expect("call:incoming")
        await a1.send("webrtc:offer", {"callId": call_id, "sdp": "v=0"})
        await b1.expect("webrtc:offer")
        await b1.send("call:accept", {"callId": call_id})
        await a1.expect("call:accept")
        await a1.close()
        for s in (b1, a2):
            f = await s.expect("call:ended")
            assert (f["data"]["callId"], f["data"]["reason"]) == (call_id, "disconnected"), f
        got = get(a, call_id)
        assert (got["status"], got["endReason"]) == ("ended", "disconnected")
        await close(a2, b1)
    run(go())


def test_a_dropped_connection_resumed_in_time_keeps_the_call(stack):
    api, sig = stack
    a, b = users(api, 2)

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        call_id = await answered(a, a1, b, b1)
        session_id = b1.ready["data"]["sessionId"]
        b1.ws.transport.abort()  # the network drops: no close frame
        await a1.quiet("call:ended", 0.5)
        assert get(a, call_id)["status"] == "active"
        r = await Client.connect(sig, b.token, f"&sessionId={session_id}&seq=0", expect_ready=False)
        await r.expect("resumed")
        # The resumed session still holds the call: the caller's messages reach it.
        await a1.send("webrtc:ice-candidate", {"callId": call_id, "candidate": candidate(5)})
        f = await r.expect("webrtc:ice-candidate")
        assert f["data"]["from"] == a.id
        assert get(b, call_id)["status"] == "active"
        end(b, call_id)
        await ended(a1, call_id, "ended", "hangup", b.id)
        await close(a1, r)
    run(go())


# ---- timeouts (CALL_RING_TIMEOUT=2s, RESUME_WINDOW=1s) ----

def test_an_unanswered_call_is_missed_after_the_ring_timeout(quick):
    api, sig = quick
    a, b = users(api, 2)

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        start = time.monotonic()
        call_id = place(a, b)["callId"]
        await b1.expect("call:incoming")
        await a1.quiet("call:ended", 1.0)
        for s in (a1, b1):
            await ended(s, call_id, "missed", "timeout", None, timeout=5)
        assert 1.5 < time.monotonic() - start < 6
        got = get(b, call_id)
        assert (got["status"], got["endReason"], got["endedBy"], got["answeredAt"]) == ("missed", "timeout", None, None)
        await b1.send("call:accept", {"callId": call_id})
        await expect_error(b1, 404, "Call not found")
        # Accepted in time, a call outlives the ring timeout.
        second = place(a, b)["callId"]
        await b1.expect("call:incoming", where=lambda d: d["callId"] == second)
        await b1.send("call:accept", {"callId": second})
        await a1.expect("call:accept")
        await a1.quiet("call:ended", 2.5)
        assert get(a, second)["status"] == "active"
        end(a, second)
        await close(a1, b1)
    run(go())


def test_a_dropped_connection_ends_the_call_when_its_resume_window_passes(quick):
    api, sig = quick
    a, b = users(api, 2)

    async def go():
        a1, b1 = await a.connect(sig), await b.connect(sig)
        call_id = await answered(a, a1, b, b1)
        a1.ws.transport.abort()
        dropped = time.monotonic()
        await b1.quiet("call:ended", 0.5)
        f = await b1.expect("call:ended", timeout=5)
        assert time.monotonic() - dropped > 0.8, "ended before the resume window passed"
        assert (f["data"]["callId"], f["data"]["status"], f["data"]["reason"]) == (call_id, "ended", "disconnected")
        got = get(b, call_id)
        assert (got["status"], got["endReason"]) == ("ended", "disconnected")
        await b1.close()
    run(go())


# ---- hype-signal restarting ----

def test_a_signal_restart_ends_its_live_calls(pg):
    api, sig = start_stack(pg)
    a, b, c, d = users(api, 4)
    sig2 = None
    try:
        async def before():
            cs = [await u.connect(sig) for u in (a, b, c, d)]
            active = place(a, b)["callId"]
            await cs[1].send("call:accept", {"callId": active})
            await cs[0].expect("call:accept")
            ringing = place(c, d)["callId"]
            await cs[3].expect("call:incoming")
            for s in cs:  # dropped, not closed: the sessions (and so the calls) stay live
                s.ws.transport.abort()
            return active, ringing
        active, ringing = run(before())
        assert get(a, active)["status"] == "active" and get(c, ringing)["status"] == "ringing"
        sig.proc.send_signal(signal.SIGKILL)
        sig.proc.wait(10)
        sig2 = SignalDaemon.__new__(SignalDaemon)
        sig2.__dict__.update({k: v for k, v in sig.__dict__.items() if k not in ("proc", "notify", "log")})
        Daemon.__init__(sig2, sig.env)
        sig2.wait_ready()
        wait_linked(sig2)
        deadline = time.monotonic() + 10
        while get(a, active)["status"] == "active" or get(c, ringing)["status"] == "ringing":
            assert time.monotonic() < deadline, "the calls of the killed hype-signal stay live"
            time.sleep(0.1)
        for who, call_id, status in ((b, active, "ended"), (d, ringing, "cancelled")):
            got = get(who, call_id)
            assert (got["status"], got["endReason"]) == (status, "server_restart") and got["endedAt"], got
        # Nobody is stuck in them: both sides can call again, and are rung.
        async def after():
            cs = [await u.connect(sig2) for u in (a, b, c, d)]
            for caller, callee, session in ((a, b, cs[1]), (d, c, cs[2]), (b, a, cs[0]), (c, d, cs[3])):
                again = place(caller, callee)
                await session.expect("call:incoming", where=lambda x: x["callId"] == again["callId"])
                end(callee, again["callId"])
            await close(*cs)
        run(after())
        sig2.check_clean_exit()
    finally:
        api.check_clean_exit()
        if sig.alive():
            sig.stop()
        if sig2 is not None and sig2.alive():
            sig2.stop()
