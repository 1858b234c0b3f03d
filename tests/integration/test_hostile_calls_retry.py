"""Hostile 1:1 calls (seed 004), part 4: hype-api away or slow. A change hype-signal must ask
again is lost when the callee answers meanwhile; an accept that times out but lands; a CallRing
that times out; and what POST /api/calls tells a caller about the callee (presence)."""

import asyncio
import os
import signal
import time

import pytest

from calls_attack import (OVER, RowLock, aplace, call_types, ended, frames, lock_waiters, log_count, ring, run,
                          status_of, users, wait_until)
from hype import ApiDaemon
from test_signal_sessions import start_stack, stop_stack


@pytest.fixture
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="1s", WS_PING_INTERVAL="5s", CALL_RING_TIMEOUT="30s")
    box = {"api": api, "sig": sig}
    yield box
    stop_stack(box["api"], box["sig"])


def test_caller_gone_while_api_away_then_callee_accepts(stack):
    """A's only session closes while hype-api restarts: hype-signal cannot record the end
    (UNAVAILABLE) and asks again every second. B tries to accept while hype-api is away (refused,
    503) and keeps trying until it is back. Whatever wins, A left: the call must end, and A must
    not stay busy."""
    api, sig = stack["api"], stack["sig"]
    a, b, c = users(api, 3)

    async def go():
        ca, cb, cid = await ring(sig, a, b)
        asked = log_count(sig, "did not answer")
        api.check_clean_exit()
        await ca.ws.close()  # A's last session: the call should end ("disconnected")
        await asyncio.to_thread(wait_until, "hype-signal fails to record the end",
                                lambda: log_count(sig, "did not answer") > asked)
        new = ApiDaemon(api.env["DATABASE_URL"], migrate=False, SIGNAL_SOCKET=sig.socket_path)
        stack["api"] = new
        for u in (a, b, c):
            u.api = new
        # B keeps answering until hype-api takes it: a refused one is an error 503 at once, an
        # accepted one says nothing on the raw protocol
        seen = []

        async def accept():
            """B's accept: its error, or None when none comes in 0.5 s (taken)."""
            await cb.send("call:accept", {"callId": cid})
            until = time.monotonic() + 0.5
            while True:
                try:
                    f = await cb.recv(max(0.01, until - time.monotonic()))
                except asyncio.TimeoutError:
                    return None
                seen.append(f)
                if f["type"] == "error":
                    return f["data"]

        refused = 0
        deadline = time.monotonic() + 10
        while (e := await accept()) and e["code"] == 503:
            refused += 1
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        assert e is None or e["code"] in (404, 409), e  # taken, or the end was recorded first
        print("accepts refused while hype-api was away:", refused)
        await asyncio.to_thread(new.wait_ready)
        problems = []
        if not [f for f in seen if f["type"] == "call:ended" and f["data"]["callId"] == cid]:
            try:
                await ended(cb, cid, timeout=3)  # a few retry periods
            except asyncio.TimeoutError:
                problems.append("B never hears call:ended")
        d = status_of(a, cid)
        if d["status"] not in OVER:
            busy = c("POST", "/api/calls", json={"calleeId": a.id})
            problems.append(f"A left seconds ago; the call is still {d['status']}, and C calling A gets "
                            f"{busy.status_code} {busy.text}")
        if problems:
            print(sig.read_log()[-3000:])
        assert not problems, "\n".join(problems)
    run(go())


def test_ring_answer_reveals_sessions_of_appear_offline_user(stack):
    """B appears offline (status offline) but is connected: what POST /api/calls answers must not
    tell the caller so (ringingSessions and the like): it is the same as for a callee that has
    no session at all."""
    api, sig = stack["api"], stack["sig"]
    a, b, c = users(api, 3)

    async def go():
        await a.connect(sig)
        await b.connect(sig), await b.connect(sig)
        # their sessions' presence lands first: then B chooses to appear offline
        await asyncio.to_thread(wait_until, "B shows online",
                                lambda: a("GET", f"/api/users/{b.id}").json()["data"]["status"] == "online")
        r = b("PUT", f"/api/users/{b.id}/status", json={"status": "offline"})
        assert r.status_code == 200, r.text
        assert a("GET", f"/api/users/{b.id}").json()["data"]["status"] == "offline"
        to_b = await aplace(a, b)
        a("POST", f"/api/calls/{to_b['callId']}/end")
        to_c = await aplace(a, c)  # c has no session at all
        a("POST", f"/api/calls/{to_c['callId']}/end")
        assert "ringingSessions" not in to_b, to_b
        assert set(to_b) == set(to_c), (to_b, to_c)
        same = {"callId", "id", "callerId", "calleeId", "caller", "callee", "createdAt"}
        assert {k: v for k, v in to_b.items() if k not in same} == \
            {k: v for k, v in to_c.items() if k not in same}, (to_b, to_c)
    run(go())


def test_slow_peers_ring_not_answered_and_accept_that_lands(stack, pg):
    """Two stalls, overlapped (each waits out a 5 s IPC timeout):

    - hype-signal stalls (SIGSTOP) past CallRing's 5 s: POST answers 503 and the call is over
      (cancelled, "unavailable"); the callee, rung late, and the caller hear call:ended with the
      README's fields, and hype-signal does not keep it;
    - meanwhile the database is slow on another call (its row is locked) when its callee accepts:
      hype-signal gives up after 5 s and tells the callee its accept failed, then hype-api records
      it. The call is active: the caller must hear call:accept, the callee's sessions that it is
      answered, a new callee session must not be rung, and the two can talk; or the call is over
      and both are told."""
    api, sig = stack["api"], stack["sig"]
    a, b, c, d = users(api, 4)

    async def go():
        # the second scene first: D's accept waits for the row
        cc, cd, slow = await ring(sig, c, d)
        lock = RowLock(pg, "calls", slow)
        try:
            await cd.send("call:accept", {"callId": slow})
            await asyncio.to_thread(wait_until, "the accept waits for the row", lambda: lock_waiters(pg) >= 1)
            # the first scene: CallRing while hype-signal is stopped
            ca, cb = await a.connect(sig), await b.connect(sig)
            os.kill(sig.proc.pid, signal.SIGSTOP)
            try:
                r = await asyncio.to_thread(a, "POST", "/api/calls", json={"calleeId": b.id})
            finally:
                os.kill(sig.proc.pid, signal.SIGCONT)
            e = await cd.expect("error", timeout=3)  # hype-signal's 5 s passed while it was stopped
        finally:
            await asyncio.to_thread(lock.release)
        problems = []

        # -- CallRing not answered in time
        if r.status_code != 503:
            problems.append(f"POST answered {r.status_code} {r.text}")
        rec = a("GET", "/api/calls").json()["data"][0]
        if (rec["status"], rec["endReason"]) != ("cancelled", "unavailable"):
            problems.append(f"the call that could not ring is recorded as {rec['status']}/{rec['endReason']}")
        for who, conn in (("callee", cb), ("caller", ca)):
            try:
                ev = await ended(conn, rec["callId"], timeout=2)
                if not {"callId", "status", "reason", "endedBy", "endedAt"} <= set(ev):
                    problems.append(f"the {who}'s call:ended lacks fields: {ev}")
                elif (ev["status"], ev["reason"]) != (rec["status"], rec["endReason"]):
                    problems.append(f"the {who} is told {ev}, the record says {rec}")
            except asyncio.TimeoutError:
                problems.append(f"the {who} never hears call:ended of the call that could not ring")

        # -- the accept that timed out: hype-signal asks again within a second
        got_c = []
        until = time.monotonic() + 2
        while not {"call:accept", "call:ended"} & set(call_types(got_c)) and time.monotonic() < until:
            got_c += await frames(cc, 0.05)
        got_d = await frames(cd, 0.05)
        st = status_of(c, slow)
        cd2 = await d.connect(sig)
        got_d2 = await frames(cd2, 0.2)
        print("the accept that timed out:", e["data"], st["status"], call_types(got_c), call_types(got_d))
        if st["status"] == "active":
            if "call:accept" not in call_types(got_c):
                problems.append(f"the callee was told {e['data']}, the call is active, and the caller never "
                                f"heard call:accept: {call_types(got_c)}")
            if not {"call:accept", "call:accepted_elsewhere"} & set(call_types(got_d)):
                problems.append(f"the callee was told {e['data']} and never that the call is active: "
                                f"{call_types(got_d)}")
            if "call:incoming" in call_types(got_d2):
                problems.append("a new callee session is rung for an active call")
            await cd.send("webrtc:answer", {"callId": slow, "sdp": "a"})
            try:
                await cc.expect("webrtc:answer", timeout=1)
            except asyncio.TimeoutError:
                problems.append("the callee cannot talk in the active call")
        elif st["status"] in OVER:
            if "call:ended" not in call_types(got_c) or "call:ended" not in call_types(got_d):
                problems.append(f"the call is {st['status']} but both were not told")
        else:
            problems.append(f"the call is still {st['status']} after the accept landed")
        assert not problems, "\n".join(problems)
    run(go())
    assert sig.metric("hype_signal_calls") <= 1  # the active one at most
