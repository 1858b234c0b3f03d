"""Helpers for the hostile 1:1 call tests (seed 004).

Every WebSocket opened through these helpers is closed when run() ends, failed or not: a
websockets connection left open makes asyncio.run wait its 10 s close timeout."""

import asyncio
import re
import select
import subprocess
import time

from hype import PGBIN, bearer, register
from test_signal_sessions import Client

OVER = ("ended", "rejected", "missed", "cancelled")
LIVE = ("ringing", "active")
_open = []


class User:
    def __init__(self, api):
        self.account, _ = register(api)
        self.api = api
        self.id = self.account["user"]["id"]
        self.username = self.account["user"]["username"]
        self.token = self.account["accessToken"]

    def __call__(self, method, path, headers=None, **kw):
        return self.api(method, path, headers={**bearer(self.token), **(headers or {})}, **kw)

    async def connect(self, sig, query="", expect_ready=True):
        return await connect(sig, self.token, query, expect_ready)


async def connect(sig, token=None, query="", expect_ready=True):
    c = await Client.connect(sig, token, query, expect_ready=False)
    c.ws.close_timeout = 0.5  # bounds close(): a closing handshake the tests do not read waits that long
    _open.append(c)
    if expect_ready:
        c.ready = await c.expect("ready")
    return c


async def close_all():
    """Closes what connect() opened and is still open (cleanly, else at once)."""
    while _open:
        c = _open.pop()
        if c.ws.closed:
            continue
        if c.ws.messages:  # frames nobody read: a clean close would wait behind them
            c.ws.transport.abort()
            continue
        try:
            await asyncio.wait_for(c.ws.close(), 1)
        except Exception:
            c.ws.transport.abort()


def run(coro, timeout=60):
    async def guarded():
        try:
            return await asyncio.wait_for(coro, timeout)
        finally:
            await close_all()
    return asyncio.run(guarded())


def users(api, n):
    return [User(api) for _ in range(n)]


def place(caller, callee):
    r = caller("POST", "/api/calls", json={"calleeId": callee.id})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def aplace(caller, callee):
    return await asyncio.to_thread(place, caller, callee)


def status_of(who, call_id):
    r = who("GET", f"/api/calls/{call_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def astatus(who, call_id):
    return await asyncio.to_thread(status_of, who, call_id)


def wait_status(who, call_id, want, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        d = status_of(who, call_id)
        if d["status"] in want:
            return d
        assert time.monotonic() < deadline, f"call {call_id} stays {d['status']}: {d}"
        time.sleep(0.02)


def wait_until(what, cond, timeout=5, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(step)


def settle(sig, timeout=3):
    """hype-signal routes no call any more."""
    wait_until(f"hype-signal forgets its calls (hype_signal_calls {sig.metric('hype_signal_calls')})",
               lambda: sig.metric("hype_signal_calls") == 0, timeout)


def call_types(fs):
    return [f["type"] for f in fs if f["type"].startswith(("call:", "webrtc:"))]


async def frames(c, seconds):
    """Every frame for a while."""
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            out.append(await c.recv(max(0.01, deadline - time.monotonic())))
        except asyncio.TimeoutError:
            break
    return out


async def error_after(c, type_, data, timeout=5):
    await c.send(type_, data)
    return (await c.expect("error", timeout))["data"]


async def ended(c, call_id, timeout=3):
    """The call:ended of this call on c."""
    return (await c.expect("call:ended", timeout, where=lambda d: d.get("callId") == call_id))["data"]


async def ring(sig, a, b):
    """a (connected) calls b (connected): (ca, cb, callId) once b's session rings."""
    ca, cb = await a.connect(sig), await b.connect(sig)
    cid = (await aplace(a, b))["callId"]
    await cb.expect("call:incoming", where=lambda d: d["callId"] == cid)
    return ca, cb, cid


async def talk(sig, a, b):
    """ring(), then b's session accepts: the call is active."""
    ca, cb, cid = await ring(sig, a, b)
    await cb.send("call:accept", {"callId": cid})
    await ca.expect("call:accept", where=lambda d: d["callId"] == cid)
    return ca, cb, cid


def log_count(daemon, pattern):
    return len(re.findall(pattern, daemon.read_log()))


class RowLock:
    """A transaction of ours holding a row lock (SELECT ... FOR UPDATE) until release(): what a
    busy database does to the statements that need that row."""

    def __init__(self, pg, table, row_id):
        self.proc = subprocess.Popen([f"{PGBIN}/psql", "-h", pg.dir, "-U", "postgres", "-d", "hype", "-qtA",
                                      "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write(f"BEGIN; SELECT 'locked' FROM {table} WHERE id = {int(row_id)} FOR UPDATE;\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        assert ready and self.proc.stdout.readline().strip() == "locked", "could not lock the row"

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("COMMIT;\n")
            self.proc.stdin.close()
            self.proc.wait(10)


def lock_waiters(pg):
    """How many statements wait for a lock (a RowLock) right now."""
    return int(pg.psql("hype", "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))
