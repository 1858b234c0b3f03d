"""Helpers for the hostile 1:1 call tests (seed 004)."""

import asyncio
import json
import time

from hype import bearer, register
from test_signal_sessions import Client

OVER = ("ended", "rejected", "missed", "cancelled")


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


def place(caller, callee):
    r = caller("POST", "/api/calls", json={"calleeId": callee.id})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def status_of(who, call_id):
    r = who("GET", f"/api/calls/{call_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_status(who, call_id, want, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        d = status_of(who, call_id)
        if d["status"] in want:
            return d
        assert time.monotonic() < deadline, f"call {call_id} stays {d['status']}: {d}"
        time.sleep(0.05)


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
