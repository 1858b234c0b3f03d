"""Hostile 1:1 calls (seed 004), part 5: what a starting hype-signal does at its first link to
hype-api (CallsSync: hype-api ends the live calls hype-signal does not route, a previous run's)
must not touch a call placed after that hype-signal linked, while the sync is still on its way
(a busy database): no call ended behind either side's back, none told ended while its record
lives, none left ringing for good."""

import asyncio
import os
import tempfile
import time

from calls_attack import LIVE, OVER, RowLock, call_types, ended, frames, lock_waiters, place, run, status_of, \
    users, wait_status, wait_until
from hype import ApiDaemon, SignalDaemon
from test_signal_sessions import wait_linked

RING_S = 1.0


def test_call_placed_while_sync_runs(pg):
    sig_dir = tempfile.mkdtemp(prefix="hype-signal-")
    sock = os.path.join(sig_dir, "signal.sock")
    api = ApiDaemon(pg.dsn, SIGNAL_SOCKET=sock)
    api.wait_ready()
    sig = lock = None
    try:
        a, b, g1, g2 = users(api, 4)
        # A live call a previous hype-signal left (killed): the sync must end it. One of ours
        # holds its row, so the sync's UPDATE waits: what a busy database does to it anyway.
        ghost = 4242
        pg.psql("hype", f"INSERT INTO calls (id, caller_id, callee_id) VALUES ({ghost}, {g1.id}, {g2.id});"
                        f"INSERT INTO call_lines VALUES ({g1.id}, {ghost}), ({g2.id}, {ghost})")
        lock = RowLock(pg, "calls", ghost)
        sig = SignalDaemon(RESUME_WINDOW="1s", CALL_RING_TIMEOUT=f"{int(RING_S * 1000)}ms", SIGNAL_SOCKET=sock)
        sig.wait_ready()
        wait_linked(sig)
        wait_until("the sync waits for the row", lambda: lock_waiters(pg) >= 1)

        async def go():
            ca, cb = await a.connect(sig), await b.connect(sig)
            d = place(a, b)  # 201: hype-signal rings it
            cid = d["callId"]
            t_placed = time.monotonic()
            await cb.expect("call:incoming")
            lock.release()
            wait_status(g1, ghost, OVER)  # the sync went on
            got_a, got_b = await frames(ca, 0.3), await frames(cb, 0.01)
            st = status_of(a, cid)
            problems = []
            if st["endReason"] == "server_restart":
                problems.append(f"a call placed after hype-signal linked ended as server_restart: {st}")
            told = "call:ended" in call_types(got_a) or "call:ended" in call_types(got_b)
            if st["status"] in LIVE and told:
                problems.append(f"told call:ended while the call is {st['status']}: "
                                f"{[f['data'] for f in got_a + got_b if f['type'] == 'call:ended']}")
            if st["status"] in LIVE and sig.metric("hype_signal_calls") != 1:
                problems.append(f"hype-signal no longer routes the {st['status']} call: nothing will end it")
            if st["status"] in OVER and not told:
                problems.append("the call is over and nobody was told")
            # Past CALL_RING_TIMEOUT: over and told, and nobody is stuck in it.
            past = t_placed + RING_S + 1.0
            if st["status"] in LIVE and not told:
                try:
                    await ended(cb, cid, timeout=max(0, past - time.monotonic()))
                except Exception:
                    problems.append("no call:ended past CALL_RING_TIMEOUT")
            elif st["status"] in LIVE:
                await asyncio.sleep(max(0, past - time.monotonic()))
            st = status_of(a, cid)
            if st["status"] not in OVER:
                problems.append(f"past CALL_RING_TIMEOUT the call is still {st['status']}")
            if sig.metric("hype_signal_calls") != 0:
                problems.append("hype-signal still routes it past CALL_RING_TIMEOUT")
                cb2 = await b.connect(sig)
                if "call:incoming" in call_types(await frames(cb2, 0.3)):
                    problems.append("a new session of the callee still rings")
            again = a("POST", "/api/calls", json={"calleeId": b.id})
            if again.status_code != 201:
                problems.append(f"a and b stay busy: {again.status_code} {again.text}")
            assert not problems, "\n".join(problems)
        run(go())
        g = status_of(g1, ghost)
        assert (g["status"], g["endReason"]) == ("cancelled", "server_restart"), g
    finally:
        if lock:
            lock.release()
        api.check_clean_exit()
        if sig:
            sig.check_clean_exit()
