"""Hostile 1:1 calls (seed 004), part 5: a call placed after a starting hype-signal linked, while
its RealtimeReset is still on its way (a busy database), is ended by that reset behind
hype-signal's back: no call:ended, and hype-signal keeps ringing it for good."""

import asyncio
import os
import subprocess
import tempfile
import time

from calls_attack import frames, place, status_of, users
from hype import PGBIN, ApiDaemon, SignalDaemon
from test_signal_sessions import Client, run, wait_linked


def test_call_placed_while_reset_runs(pg):
    sig_dir = tempfile.mkdtemp(prefix="hype-signal-")
    sock = os.path.join(sig_dir, "signal.sock")
    api = ApiDaemon(pg.dsn, SIGNAL_SOCKET=sock)
    api.wait_ready()
    sig = None
    try:
        a, b = users(api, 2)
        # The reset's first step (DELETE FROM voice_states) waits 6 s for this lock: what a busy
        # database does to it anyway. POST /api/calls touches no voice state and goes on.
        locker = subprocess.Popen([f"{PGBIN}/psql", "-h", pg.dir, "-U", "postgres", "-d", "hype", "-c",
                                   "BEGIN; LOCK TABLE voice_states IN ACCESS EXCLUSIVE MODE; "
                                   "SELECT pg_sleep(6); COMMIT;"], stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        sig = SignalDaemon(RESUME_WINDOW="1s", CALL_RING_TIMEOUT="8s", SIGNAL_SOCKET=sock)
        sig.wait_ready()
        wait_linked(sig)

        async def go():
            cb = await b.connect(sig)
            d = place(a, b)  # 201: hype-signal rings it
            await cb.expect("call:incoming")
            locker.wait()
            got = await frames(cb, 9)  # the reset runs, then CALL_RING_TIMEOUT passes
            st = status_of(a, d["callId"])
            problems = []
            if st["endReason"] == "server_restart":
                problems.append(f"a call placed after hype-signal started ended as server_restart "
                                f"(endedAt {st['endedAt']} < createdAt {st['createdAt']})")
            if st["status"] not in ("ringing", "active") and "call:ended" not in [f["type"] for f in got]:
                problems.append("no call:ended reached the callee")
            if sig.metric("hype_signal_calls") != 0:
                problems.append("hype-signal still routes it past CALL_RING_TIMEOUT")
                cb2 = await b.connect(sig)
                if any(f["type"] == "call:incoming" for f in await frames(cb2, 0.5)):
                    problems.append("a new session of the callee still rings")
            assert not problems, problems
        run(go())
    finally:
        api.check_clean_exit()
        if sig:
            sig.check_clean_exit()
