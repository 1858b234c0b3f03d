"""hype-signal with hype-api: sessions over the raw protocol, driven by python websockets (a real
client nobody here wrote): auth, channel subscriptions and permissions, live REST events, typing,
messages over the socket, presence, voice states, the mesh relay, resume, and restarts."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import websockets

from hype import ApiDaemon, SignalDaemon, bearer, register
from test_servers import create_server
from wsraw import build_frame

GENERAL = "1"  # the seeded "Hype Community" server's #general
VOICE = "3"    # and its "General Voice"


def start_stack(pg, **signal_env):
    """hype-signal with these settings, then a hype-api linked to it: (api, sig)."""
    sig = SignalDaemon(**signal_env)
    sig.wait_ready()
    api = ApiDaemon(pg.dsn, SIGNAL_SOCKET=sig.socket_path)
    api.wait_ready()
    wait_linked(sig)
    return api, sig


def stop_stack(api, sig):
    api.check_clean_exit()
    sig.check_clean_exit()


@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, WS_AUTH_TIMEOUT="700ms", RESUME_WINDOW="30s", WS_PING_INTERVAL="5s",
                           WS_OUTPUT_LIMIT="64K", CHANNEL_BROADCAST_MAX=2)
    yield api, sig
    stop_stack(api, sig)


def wait_linked(sig, timeout=10):
    deadline = time.monotonic() + timeout
    while sig.metric("hype_signal_api_connected") != 1:
        assert time.monotonic() < deadline, "hype-api never connected to signal.sock"
        time.sleep(0.05)
    assert sig.health()["api"] is True


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


class Client:
    """One raw-protocol connection; frames are JSON objects."""

    def __init__(self, ws):
        self.ws = ws
        self.ready = None

    @classmethod
    async def connect(cls, sig, token=None, query="", expect_ready=True):
        url = sig.ws_url + "/ws" + (f"?token={token}{query}" if token else query)
        c = cls(await websockets.connect(url, max_size=None))
        if expect_ready:
            c.ready = await c.expect("ready")
        return c

    async def send(self, type_, data=None):
        await self.ws.send(json.dumps({"type": type_, "data": data}))

    async def recv(self, timeout=5):
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def expect(self, type_, timeout=5, where=None):
        """The next frame of this type (and matching where), skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            f = await self.recv(max(0.01, deadline - time.monotonic()))
            if f["type"] == type_ and (where is None or where(f["data"])):
                return f

    async def quiet(self, type_, seconds=0.5, where=None):
        """Asserts no frame of this type arrives for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                f = await self.recv(max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return
            assert not (f["type"] == type_ and (where is None or where(f["data"]))), f

    async def join(self, channel):
        await self.send("user_joined", {"channelId": channel})
        return await self.expect("user_joined", where=lambda d: d["channelId"] == channel
                                 and d["userId"] == self.ready["data"]["user"]["id"])

    async def close(self):
        await self.ws.close()


def user(api):
    data, _ = register(api)
    return data


def post_message(api, who, channel, content):
    r = api("POST", "/api/messages", headers=bearer(who["accessToken"]),
            json={"channelId": channel, "content": content})
    assert r.status_code == 201, r.text
    return r.json()["data"]


# ---- authentication ----

def test_token_in_url_gives_ready(stack):
    api, sig = stack
    u = user(api)

    async def go():
        c = await Client.connect(sig, u["accessToken"])
        d = c.ready["data"]
        assert d["user"] == {"id": u["user"]["id"], "username": u["user"]["username"]}
        assert GENERAL and "1" in d["servers"] and len(d["sessionId"]) >= 16
        assert c.ready["timestamp"].endswith("Z")
        await c.close()
    run(go())


def test_auth_frame_gives_ready(stack):
    api, sig = stack
    u = user(api)

    async def go():
        c = await Client.connect(sig, expect_ready=False)
        await c.send("auth", {"token": u["accessToken"]})
        assert (await c.expect("ready"))["data"]["user"]["id"] == u["user"]["id"]
        await c.close()
    run(go())


@pytest.mark.parametrize("token", ["not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"])
def test_bad_token_closes_4001(stack, token):
    _, sig = stack

    async def go():
        ws = await websockets.connect(sig.ws_url + f"/ws?token={token}")
        with pytest.raises(websockets.ConnectionClosed) as e:
            await asyncio.wait_for(ws.recv(), 5)
        assert e.value.rcvd.code == 4001
    run(go())


def test_no_auth_closes_4001_after_timeout(stack):
    _, sig = stack

    async def go():
        ws = await websockets.connect(sig.ws_url + "/")
        start = time.monotonic()
        with pytest.raises(websockets.ConnectionClosed) as e:
            await asyncio.wait_for(ws.recv(), 5)
        assert e.value.rcvd.code == 4001 and time.monotonic() - start < 3
    run(go())


def test_ops_before_auth_are_refused(stack):
    _, sig = stack

    async def go():
        c = await Client.connect(sig, expect_ready=False)
        await c.send("user_joined", {"channelId": GENERAL})
        err = await c.expect("error")
        assert err["data"]["code"] == 401
        await c.close()
    run(go())


def test_logout_closes_the_sessions_live_connections(stack):
    api, sig = stack
    u = user(api)
    other_login = api("POST", "/auth/login", json={"username": u["user"]["username"],
                                                   "password": "correct-horse-battery"}).json()["data"]

    async def go():
        c = await Client.connect(sig, u["accessToken"])
        keep = await Client.connect(sig, other_login["accessToken"])
        assert api("POST", "/auth/logout", headers=bearer(u["accessToken"])).status_code == 200
        with pytest.raises(websockets.ConnectionClosed) as e:
            while True:
                await c.recv()
        assert e.value.rcvd.code == 4001 and e.value.rcvd.reason == "Session revoked"
        # Not resumable, and the user's other login is untouched.
        r = await Client.connect(sig, other_login["accessToken"],
                                 f"&sessionId={c.ready['data']['sessionId']}&seq=0", expect_ready=False)
        assert (await r.recv())["type"] == "invalid_session"
        await keep.join(GENERAL)
        await keep.close()
        await r.close()
    run(go())


# ---- channels, live events ----

def test_rest_message_reaches_subscribers_live(stack):
    api, sig = stack
    a, b = user(api), user(api)

    async def go():
        ca = await Client.connect(sig, a["accessToken"])
        cb = await Client.connect(sig, b["accessToken"])
        await ca.join(GENERAL)
        await cb.join(GENERAL)
        sent = post_message(api, a, GENERAL, "hello over REST")
        for c in (ca, cb):
            f = await c.expect("message", where=lambda d: d["id"] == sent["id"])
            assert f["data"]["content"] == "hello over REST" and f["data"]["channelId"] == GENERAL
            assert f["data"]["author"]["id"] == a["user"]["id"] and isinstance(f["seq"], int)
        # Edits, reactions and deletes follow the same way.
        r = api("PUT", f"/api/messages/{sent['id']}", headers=bearer(a["accessToken"]), json={"content": "edited"})
        assert r.status_code == 200
        f = await cb.expect("message_updated")
        assert f["data"]["content"] == "edited" and f["data"]["edited"] is True
        r = api("POST", f"/api/messages/{sent['id']}/reactions", headers=bearer(b["accessToken"]),
                json={"emoji": "👍"})
        assert r.status_code in (200, 201), r.text
        f = await ca.expect("message_reaction")
        assert f["data"]["id"] == sent["id"] and f["data"]["reactions"]
        assert api("DELETE", f"/api/messages/{sent['id']}", headers=bearer(a["accessToken"])).status_code == 200
        f = await cb.expect("message_deleted")
        assert f["data"] == {"id": sent["id"], "channelId": GENERAL}
        # After user_left, nothing more arrives from that channel.
        await cb.send("user_left", {"channelId": GENERAL})
        await cb.expect("user_left")
        post_message(api, a, GENERAL, "after b left")
        await ca.expect("message", where=lambda d: d["content"] == "after b left")
        await cb.quiet("message", 0.5)
        await ca.close()
        await cb.close()
    run(go())


def test_joins_are_broadcast_only_in_small_channels(stack):
    """user_joined reaches the channel while it is small (CHANNEL_BROADCAST_MAX=2 here); past
    that only the joiner hears its own, so N joins never cost N^2 deliveries."""
    api, sig = stack
    owner = user(api)
    server = create_server(api, owner["accessToken"])
    inv = api("POST", f"/api/invite/{server['id']}/invite", headers=bearer(owner["accessToken"]), json={}).json()["data"]
    token = inv.get("token") or inv["invite"]["token"]
    channel = api("GET", f"/api/servers/{server['id']}/channels",
                  headers=bearer(owner["accessToken"])).json()["data"][0]["id"]
    members = [owner]
    for _ in range(2):
        m = user(api)
        assert api("POST", f"/api/invite/invite/{token}/accept", headers=bearer(m["accessToken"])).status_code == 200
        members.append(m)

    async def go():
        cs = [await Client.connect(sig, m["accessToken"]) for m in members]
        await cs[0].join(channel)
        await cs[1].join(channel)
        second = cs[1].ready["data"]["user"]["id"]
        await cs[0].expect("user_joined", where=lambda d: d["userId"] == second)
        await cs[2].join(channel)  # the third subscriber: over the limit
        third = cs[2].ready["data"]["user"]["id"]
        await cs[0].quiet("user_joined", 0.4, where=lambda d: d["userId"] == third)
        # Messages still reach everyone.
        sent = post_message(api, owner, channel, "to all three")
        for c in cs:
            await c.expect("message", where=lambda d: d["id"] == sent["id"])
        for c in cs:
            await c.close()
    run(go())


def test_subscription_needs_membership_and_view_permission(stack):
    api, sig = stack
    owner, outsider = user(api), user(api)
    server = create_server(api, owner["accessToken"])
    channels = api("GET", f"/api/servers/{server['id']}/channels", headers=bearer(owner["accessToken"])).json()["data"]

    async def go():
        c = await Client.connect(sig, outsider["accessToken"])
        await c.send("user_joined", {"channelId": channels[0]["id"]})
        err = await c.expect("error")
        assert err["data"]["code"] == 403 and err["data"]["channelId"] == channels[0]["id"]
        await c.send("user_joined", {"channelId": "999999999999"})
        assert (await c.expect("error"))["data"]["code"] == 404
        # Nothing from that channel reaches the outsider.
        post_message(api, owner, channels[0]["id"], "members only")
        await c.quiet("message", 0.5)
        await c.close()
    run(go())


def test_permission_change_takes_effect_on_live_sessions(stack, pg):
    api, sig = stack
    owner, member = user(api), user(api)
    server = create_server(api, owner["accessToken"])
    sid = server["id"]
    r = api("POST", f"/api/servers/{sid}/channels", headers=bearer(owner["accessToken"]), json={"name": "staff"})
    staff = r.json()["data"]
    r = api("POST", f"/api/servers/{sid}/roles", headers=bearer(owner["accessToken"]),
            json={"name": "staff", "permissions": "3072"})
    role = r.json()["data"]
    everyone = pg.psql("hype", f"SELECT id FROM roles WHERE server_id = {sid} AND is_everyone")
    perms = f"/api/servers/{sid}/channels/{staff['id']}/permissions"
    for target, body in ((everyone, {"type": "role", "deny": 1024}), (role["id"], {"type": "role", "allow": 1024})):
        assert api("PUT", f"{perms}/{target}", headers=bearer(owner["accessToken"]), json=body).status_code == 200
    inv = api("POST", f"/api/invite/{sid}/invite", headers=bearer(owner["accessToken"]), json={}).json()["data"]
    token = inv["token"] if "token" in inv else inv["invite"]["token"]

    async def go():
        c = await Client.connect(sig, member["accessToken"])
        assert api("POST", f"/api/invite/invite/{token}/accept",
                   headers=bearer(member["accessToken"])).status_code == 200
        await c.expect("member_joined", where=lambda d: d["userId"] == member["user"]["id"])
        assert api("POST", f"/api/servers/{sid}/roles/members/{member['user']['id']}/roles/{role['id']}",
                   headers=bearer(owner["accessToken"])).status_code == 201
        await c.join(staff["id"])
        post_message(api, owner, staff["id"], "for staff")
        await c.expect("message", where=lambda d: d["content"] == "for staff")
        # The role goes: the live session loses the channel at once.
        assert api("DELETE", f"/api/servers/{sid}/roles/members/{member['user']['id']}/roles/{role['id']}",
                   headers=bearer(owner["accessToken"])).status_code == 204
        f = await c.expect("channel_access_revoked")
        assert f["data"]["channelId"] == staff["id"]
        post_message(api, owner, staff["id"], "staff only now")
        await c.quiet("message", 0.5)
        await c.close()
    run(go())


# ---- typing and messages over the socket ----

def test_typing_reaches_the_others_only(stack):
    api, sig = stack
    a, b = user(api), user(api)

    async def go():
        ca = await Client.connect(sig, a["accessToken"])
        cb = await Client.connect(sig, b["accessToken"])
        await ca.join(GENERAL)
        await cb.join(GENERAL)
        await ca.send("typing", {"channelId": GENERAL})
        f = await cb.expect("typing")
        assert f["data"]["userId"] == a["user"]["id"] and f["data"]["channelId"] == GENERAL
        assert f["data"]["timeout"] > 0
        await ca.quiet("typing", 0.3)
        # Typing somewhere not joined is refused.
        await ca.send("typing", {"channelId": "2"})
        assert (await ca.expect("error"))["data"]["code"] == 403
        await ca.close()
        await cb.close()
    run(go())


def test_message_over_the_socket_is_persisted_and_delivered(stack):
    api, sig = stack
    a, b = user(api), user(api)

    async def go():
        ca = await Client.connect(sig, a["accessToken"])
        cb = await Client.connect(sig, b["accessToken"])
        await ca.join(GENERAL)
        await cb.join(GENERAL)
        await ca.send("message", {"channelId": GENERAL, "content": "sent over ws", "nonce": "n-1"})
        ack = await ca.expect("message_ack")
        assert ack["data"]["nonce"] == "n-1"
        mid = ack["data"]["message"]["id"]
        f = await cb.expect("message", where=lambda d: d["id"] == mid)
        assert f["data"]["content"] == "sent over ws" and f["data"]["author"]["id"] == a["user"]["id"]
        r = api("GET", f"/api/messages/{mid}", headers=bearer(b["accessToken"]))
        assert r.status_code == 200 and r.json()["data"]["content"] == "sent over ws"
        # The API's validation applies: an empty message is refused with its details.
        await ca.send("message", {"channelId": GENERAL, "content": "", "nonce": "n-2"})
        err = await ca.expect("error")
        assert err["data"]["code"] == 400 and err["data"]["nonce"] == "n-2" and err["data"]["details"]
        await ca.close()
        await cb.close()
    run(go())


# ---- presence and voice ----

def test_presence_across_two_sessions_of_one_user(stack):
    api, sig = stack
    watcher, u = user(api), user(api)
    uid = u["user"]["id"]

    def is_u(status):
        return lambda d: d["userId"] == uid and d["status"] == status

    async def go():
        w = await Client.connect(sig, watcher["accessToken"])
        s1 = await Client.connect(sig, u["accessToken"])
        await w.expect("presence", where=is_u("online"))
        s2 = await Client.connect(sig, u["accessToken"])
        await w.quiet("presence", 0.4, where=lambda d: d["userId"] == uid)
        await s1.close()
        await w.quiet("presence", 0.4, where=lambda d: d["userId"] == uid)
        await s2.close()
        await w.expect("presence", where=is_u("offline"))
        r = api("GET", f"/api/users/{uid}")
        assert r.json()["data"]["status"] == "offline"
        # A status set over REST reaches the server's members live too.
        s3 = await Client.connect(sig, u["accessToken"])
        await w.expect("presence", where=is_u("online"))
        r = api("PUT", f"/api/users/{uid}/status", headers=bearer(u["accessToken"]), json={"status": "dnd"})
        assert r.status_code == 200
        await w.expect("presence", where=is_u("dnd"))
        await s3.close()
        await w.close()
    run(go())


def voice_count(api, token, channel):
    chans = api("GET", "/api/servers/1/channels", headers=bearer(token)).json()["data"]
    return [c for c in chans if c["id"] == channel][0]["_count"]["voiceStates"]


def test_voice_state_is_shared_persisted_and_cleared(stack):
    api, sig = stack
    a, b = user(api), user(api)

    async def go():
        ca = await Client.connect(sig, a["accessToken"])
        cb = await Client.connect(sig, b["accessToken"])
        before = voice_count(api, b["accessToken"], VOICE)
        await ca.send("voice_state", {"channelId": VOICE, "isMuted": True, "isDeafened": False})
        f = await cb.expect("voice_state", where=lambda d: d["userId"] == a["user"]["id"])
        assert f["data"]["channelId"] == VOICE and f["data"]["isMuted"] is True and f["data"]["serverId"] == "1"
        assert voice_count(api, b["accessToken"], VOICE) == before + 1
        # A text channel is not a voice channel.
        await ca.send("voice_state", {"channelId": GENERAL})
        assert (await ca.expect("error"))["data"]["code"] == 400
        # Disconnecting clears it, and the others see the leave.
        await ca.close()
        f = await cb.expect("voice_state", where=lambda d: d["userId"] == a["user"]["id"] and d["channelId"] is None)
        assert f["data"]["previousChannelId"] == VOICE
        assert voice_count(api, b["accessToken"], VOICE) == before
        await cb.close()
    run(go())


def test_a_last_session_ended_by_a_logout_goes_offline_and_leaves_voice(stack):
    """hype-signal keeps presence and voice for the user's sessions whoever ended them: a logout
    that ends the last one sets it offline and out of voice like a goodbye would."""
    api, sig = stack
    watcher, u = user(api), user(api)
    uid = u["user"]["id"]

    async def go():
        w = await Client.connect(sig, watcher["accessToken"])
        c = await Client.connect(sig, u["accessToken"])
        await w.expect("presence", where=lambda d: d["userId"] == uid and d["status"] == "online")
        await c.send("voice_state", {"channelId": VOICE, "isMuted": False, "isDeafened": False})
        await w.expect("voice_state", where=lambda d: d["userId"] == uid and d["channelId"] == VOICE)
        assert api("POST", "/auth/logout", headers=bearer(u["accessToken"])).status_code == 200
        # Both, in whichever order hype-api commits them.
        offline, left = None, None
        while not (offline and left):
            f = await w.recv()
            if f["type"] == "presence" and f["data"]["userId"] == uid and f["data"]["status"] == "offline":
                offline = f
            if f["type"] == "voice_state" and f["data"]["userId"] == uid and f["data"]["channelId"] is None:
                left = f
        assert left["data"]["previousChannelId"] == VOICE
        assert api("GET", f"/api/users/{uid}").json()["data"]["status"] == "offline"
        await w.close()
    run(go())


# ---- mesh relay (seed 001) ----

def test_mesh_relay_between_three_clients(stack):
    api, sig = stack
    users = [user(api) for _ in range(3)]

    async def go():
        cs = [await Client.connect(sig, u["accessToken"]) for u in users]
        ids = [c.ready["data"]["sessionId"] for c in cs]
        await cs[0].send("join-room", "room-1")
        created = await cs[0].expect("created")
        assert created["data"]["roomId"] == "room-1"
        assert [p["socketId"] for p in created["data"]["participants"]] == [ids[0]]
        await cs[1].send("join-room", "room-1")
        created = await cs[1].expect("created")
        assert sorted(p["socketId"] for p in created["data"]["participants"]) == sorted(ids[:2])
        joined = await cs[0].expect("user-connected")
        assert joined["data"]["socketId"] == ids[1]
        assert joined["data"]["userData"]["username"] == users[1]["user"]["username"]
        await cs[2].send("join-room", {"roomId": "room-1"})
        await cs[2].expect("created")
        for c in cs[:2]:
            await c.expect("user-connected", where=lambda d: d["socketId"] == ids[2])
        # signal goes to the one socket named, from the sender.
        await cs[0].send("signal", {"to": ids[2], "type": "offer", "sdp": "v=0 fake"})
        f = await cs[2].expect("signal")
        assert f["data"] == {"from": ids[0], "type": "offer", "sdp": "v=0 fake", "candidate": None}
        await cs[1].quiet("signal", 0.3)
        # Not across rooms.
        outsider = await Client.connect(sig, users[0]["accessToken"])
        await outsider.send("signal", {"to": ids[2], "type": "offer", "sdp": "x"})
        assert (await outsider.expect("error"))["data"]["message"]
        await cs[1].send("leave-room", "room-1")
        for c in (cs[0], cs[2]):
            f = await c.expect("user-disconnected")
            assert f["data"] == ids[1]
        await cs[2].close()
        f = await cs[0].expect("user-disconnected")
        assert f["data"] == ids[2]
        for c in (cs[0], cs[1], outsider):
            await c.close()
    run(go())


# ---- a subscriber that never reads ----

def test_subscriber_that_never_reads_is_closed_and_memory_stays_bounded(stack):
    """Events pile up for a client that stopped reading: past WS_OUTPUT_LIMIT the session's
    connection is closed (1008) instead of buffering, and the daemon's memory stays flat."""
    api, sig = stack
    slow, poster = user(api), user(api)
    before_1008 = sig.metric("hype_signal_ws_closed_total", code=1008)
    rss_before = sig.rss_kib()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window fills fast
    s.connect(("127.0.0.1", sig.port))
    s.settimeout(5)
    s.sendall((f"GET /ws?token={slow['accessToken']} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    seen = b""
    while b'"ready"' not in seen:
        seen += s.recv(4096)
    s.sendall(build_frame(0x1, json.dumps({"type": "user_joined", "data": {"channelId": GENERAL}}).encode()))
    while b'"user_joined"' not in seen:
        seen += s.recv(4096)
    # Subscribed; from here on the client reads nothing.
    body = "x" * 2000
    deadline = time.monotonic() + 60
    while sig.metric("hype_signal_ws_closed_total", code=1008) == before_1008:
        assert time.monotonic() < deadline, "a client that never reads was never closed"
        for _ in range(20):
            post_message(api, poster, GENERAL, body)
    assert sig.rss_kib() - rss_before < 32 * 1024
    s.close()
    # The others were not held back: a live subscriber still gets messages at once.
    async def go():
        c = await Client.connect(sig, poster["accessToken"])
        await c.join(GENERAL)
        sent = post_message(api, poster, GENERAL, "still flowing")
        await c.expect("message", where=lambda d: d["id"] == sent["id"])
        await c.close()
    run(go())


# ---- resume ----

def test_resume_after_a_dropped_connection_loses_and_repeats_nothing(stack):
    api, sig = stack
    a, poster = user(api), user(api)

    async def go():
        c = await Client.connect(sig, a["accessToken"])
        session_id = c.ready["data"]["sessionId"]
        await c.join(GENERAL)
        first = post_message(api, poster, GENERAL, "before the drop")
        f = await c.expect("message", where=lambda d: d["id"] == first["id"])
        last_seq = f["seq"]
        c.ws.transport.abort()  # the network drops: no close frame
        await asyncio.sleep(0.3)
        missed = [post_message(api, poster, GENERAL, f"missed {i}")["id"] for i in range(5)]
        r = await Client.connect(sig, a["accessToken"], f"&sessionId={session_id}&seq={last_seq}",
                                 expect_ready=False)
        got = []
        while True:
            f = await r.recv()
            if f["type"] == "resumed":
                break
            got.append(f)
        msgs = [f["data"]["id"] for f in got if f["type"] == "message"]
        assert msgs == missed, "every missed message, in order, once"
        seqs = [f["seq"] for f in got]
        assert seqs == list(range(last_seq + 1, last_seq + 1 + len(got)))
        assert f["data"]["sessionId"] == session_id and f["data"]["replayed"] == len(got)
        # And it goes on live, still subscribed.
        live = post_message(api, poster, GENERAL, "after the resume")
        f = await r.expect("message", where=lambda d: d["id"] == live["id"])
        assert f["seq"] == seqs[-1] + 1
        await r.close()
    run(go())


def test_unknown_session_cannot_resume(stack):
    api, sig = stack
    a = user(api)

    async def go():
        c = await Client.connect(sig, a["accessToken"], "&sessionId=0123456789abcdef01234567&seq=5",
                                 expect_ready=False)
        f = await c.recv()
        assert f["type"] == "invalid_session" and f["data"]["resumable"] is False
        assert (await c.expect("ready"))["data"]["user"]["id"] == a["user"]["id"]
        await c.close()
    run(go())


# ---- hype-api absent, hype-signal killed ----

def test_api_without_signal_counts_undelivered_events(api):
    before = float([line for line in api("GET", "/metrics").text.splitlines()
                    if line.startswith("hype_events_undelivered_total ")][0].split()[1])
    u, _ = register(api)
    post_message(api, u, GENERAL, "nobody is listening live")
    after = float([line for line in api("GET", "/metrics").text.splitlines()
                   if line.startswith("hype_events_undelivered_total ")][0].split()[1])
    assert after >= before + 1
    assert "hype_signal_link_up 0" in api("GET", "/metrics").text


def test_signal_killed_and_restarted(pg):
    sig = SignalDaemon()
    sig.wait_ready()
    api = ApiDaemon(pg.dsn, SIGNAL_SOCKET=sig.socket_path)
    api.wait_ready()
    wait_linked(sig)
    a = user(api)
    try:
        async def before():
            c = await Client.connect(sig, a["accessToken"])
            await c.send("voice_state", {"channelId": VOICE, "isMuted": False, "isDeafened": False})
            await c.expect("voice_state")
            return c.ready["data"]["sessionId"]
        voice_before = voice_count(api, a["accessToken"], VOICE)
        old_session = run(before())
        assert voice_count(api, a["accessToken"], VOICE) == voice_before + 1
        assert api("GET", f"/api/users/{a['user']['id']}").json()["data"]["status"] == "online"
        sig.proc.send_signal(signal.SIGKILL)
        sig.proc.wait(10)
        # Meanwhile REST keeps working and persisting.
        kept = post_message(api, a, GENERAL, "while signal was down")
        sig2 = SignalDaemon.__new__(SignalDaemon)
        sig2.__dict__.update({k: v for k, v in sig.__dict__.items() if k not in ("proc", "notify", "log")})
        from hype import Daemon
        Daemon.__init__(sig2, sig.env)
        sig2.wait_ready()
        wait_linked(sig2)  # hype-api reconnects by itself
        # The killed daemon could not end its sessions: the new one clears what they left.
        deadline = time.monotonic() + 10
        while voice_count(api, a["accessToken"], VOICE) != voice_before:
            assert time.monotonic() < deadline, "a voice state of the killed daemon's session remains"
            time.sleep(0.1)
        assert api("GET", f"/api/users/{a['user']['id']}").json()["data"]["status"] == "offline"
        assert api("POST", "/internal/realtime-reset").status_code == 404, "not for the network"

        async def after():
            c = await Client.connect(sig2, a["accessToken"], f"&sessionId={old_session}&seq=1", expect_ready=False)
            assert (await c.recv())["type"] == "invalid_session"
            c.ready = await c.expect("ready")
            await c.join(GENERAL)
            live = post_message(api, a, GENERAL, "after the restart")
            await c.expect("message", where=lambda d: d["id"] == live["id"])
            await c.close()
        run(after())
        r = api("GET", f"/api/messages/{kept['id']}", headers=bearer(a["accessToken"]))
        assert r.status_code == 200
        sig2.check_clean_exit()
    finally:
        api.check_clean_exit()
        if sig.alive():
            sig.stop()


# ---- Socket.IO ----

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node")


def test_real_socket_io_client(stack):
    """socket.io-client v4 from npm, default options (polling, then the upgrade) and
    websocket-only, through every gateway event and seed 001's /socket namespace."""
    api, sig = stack
    a, b, gone = user(api), user(api), user(api)
    assert api("POST", "/auth/logout", headers=bearer(gone["accessToken"])).status_code == 200
    env = dict(os.environ, SIGNAL_URL=sig.url, API_URL=api.url, TOKEN_A=a["accessToken"],
               TOKEN_B=b["accessToken"], USER_A=a["user"]["id"], USER_B=b["user"]["id"],
               TOKEN_REVOKED=gone["accessToken"])
    r = subprocess.run(["node", "sio-scenario.mjs"], cwd=NODE_DIR, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "all ok" in r.stdout, r.stdout + r.stderr


def test_node_ws_client(stack):
    """The npm ws client: auth frame, a live REST message, resume after a dropped connection."""
    api, sig = stack
    a = user(api)
    env = dict(os.environ, SIGNAL_WS=sig.ws_url, API_URL=api.url, TOKEN=a["accessToken"])
    r = subprocess.run(["node", "ws-scenario.mjs"], cwd=NODE_DIR, env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "all ok" in r.stdout, r.stdout + r.stderr
