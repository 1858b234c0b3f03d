"""hype-signal against a hostile client (issue 9): revoked credentials, floods that would make it
queue bytes or requests without bound, and what other clients see when a session ends. Driven
with python websockets, raw sockets and requests (Engine.IO long-polling); the Socket.IO side
(revoked tokens, acks carrying outcomes) is in tests/node/sio-scenario.mjs."""

import asyncio
import json
import signal
import socket
import time

import pytest
import requests
import websockets

from hype import ApiDaemon, SignalDaemon, bearer, register, run_api_cli
from test_servers import create_server
from test_signal_sessions import Client, post_message, run, start_stack, stop_stack, user, wait_linked
from wsraw import build_frame

GENERAL = "1"
RESUME_WINDOW_S = 3


@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, WS_AUTH_TIMEOUT="700ms", RESUME_WINDOW=f"{RESUME_WINDOW_S}s",
                           WS_PING_INTERVAL="5s", WS_OUTPUT_LIMIT="64K", WS_PENDING_OPS=4,
                           CHANNEL_BROADCAST_MAX=10)
    yield api, sig
    stop_stack(api, sig)


@pytest.fixture(scope="module")
def admin(stack):
    api, _ = stack
    data = user(api)
    r = run_api_cli("--create-admin", data["user"]["username"], env=api.env)
    assert r.returncode == 0, r.stderr
    return data


async def refused_4001(sig, token, auth_frame=False):
    """Connects with token (URL or auth frame); returns the close frame, failing on any 'ready'."""
    url = sig.ws_url + ("/ws" if auth_frame else f"/ws?token={token}")
    ws = await websockets.connect(url)
    if auth_frame:
        await ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
    with pytest.raises(websockets.ConnectionClosed) as e:
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert frame["type"] not in ("ready", "resumed"), f"a revoked token got {frame}"
    assert e.value.rcvd is not None and e.value.rcvd.code == 4001, e.value
    return e.value.rcvd


# ---- 1. revoked credentials ----

def test_logged_out_token_is_refused_at_authentication(stack):
    api, sig = stack
    u = user(api)
    assert api("POST", "/auth/logout", headers=bearer(u["accessToken"])).status_code == 200
    before = sig.metric("hype_signal_auth_failed_total")

    async def go():
        for auth_frame in (False, True):
            rcvd = await refused_4001(sig, u["accessToken"], auth_frame)
            assert rcvd.reason == "Session has been revoked"
    run(go())
    assert sig.metric("hype_signal_auth_failed_total") == before + 2


def test_token_of_a_reused_refresh_family_is_refused(stack):
    api, sig = stack
    u = user(api)
    first = u["refreshToken"]
    assert api("POST", "/auth/refresh", json={"refreshToken": first}).status_code == 200
    assert api("POST", "/auth/refresh", json={"refreshToken": first}).status_code == 401  # reuse: revoked
    run(refused_4001(sig, u["accessToken"]))


def test_token_of_a_deleted_account_is_refused(stack):
    api, sig = stack
    u = user(api)
    assert api("DELETE", "/api/users", headers=bearer(u["accessToken"])).status_code in (200, 204)
    run(refused_4001(sig, u["accessToken"]))


def test_token_of_a_blocked_account_is_refused(stack, admin):
    api, sig = stack
    u = user(api)
    r = api("PUT", f"/api/admin/users/{u['user']['id']}", headers=bearer(admin["accessToken"]),
            json={"isBlocked": True})
    assert r.status_code == 200, r.text
    run(refused_4001(sig, u["accessToken"]))


def test_a_revoked_token_cannot_resume_a_detached_session(stack):
    """Two logins of one user: the first's connection drops, the second logs out; the second's
    token must not take over the first's session."""
    api, sig = stack
    u = user(api)
    other = api("POST", "/auth/login", json={"username": u["user"]["username"],
                                             "password": "correct-horse-battery"}).json()["data"]

    async def go():
        c = await Client.connect(sig, u["accessToken"])
        c.ws.transport.abort()
        await asyncio.sleep(0.3)
        assert api("POST", "/auth/logout", headers=bearer(other["accessToken"])).status_code == 200
        url = f"/ws?token={other['accessToken']}&sessionId={c.ready['data']['sessionId']}&seq=0"
        ws = await websockets.connect(sig.ws_url + url)
        with pytest.raises(websockets.ConnectionClosed) as e:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert frame["type"] not in ("ready", "resumed"), frame
        assert e.value.rcvd.code == 4001
        # The first login still can.
        r = await Client.connect(sig, u["accessToken"], f"&sessionId={c.ready['data']['sessionId']}&seq=0",
                                 expect_ready=False)
        assert (await r.expect("resumed"))["data"]["sessionId"] == c.ready["data"]["sessionId"]
        await r.close()
    run(go())


def test_ready_lists_every_server_and_only_those(stack):
    api, sig = stack
    u, stranger = user(api), user(api)
    mine = {create_server(api, u["accessToken"])["id"] for _ in range(105)}
    theirs = create_server(api, stranger["accessToken"])["id"]

    async def go():
        c = await Client.connect(sig, u["accessToken"])
        servers = set(c.ready["data"]["servers"])
        assert servers == mine | {GENERAL}, "every membership (over 100), nothing else"
        assert theirs not in servers
        # And the events of a server it is not in do not reach it.
        r = api("POST", f"/api/servers/{theirs}/channels", headers=bearer(stranger["accessToken"]),
                json={"name": "secret-plans"})
        assert r.status_code == 201
        await c.quiet("channel_created", 0.5)
        await c.close()
    run(go())


# ---- 2. every byte queued for a connection counts ----

PING = build_frame(0x9)  # one masked empty ping: 6 bytes


def _flood_pings(sock, count, seconds=15):
    """Sends count pings without reading anything (whole frames, however the kernel takes
    them); stops early when the server closes. Returns the bytes sent."""
    data = memoryview(PING * 10000)
    total, sent, deadline = count * len(PING), 0, time.monotonic() + seconds
    sock.settimeout(1)
    try:
        while sent < total and time.monotonic() < deadline:
            try:
                sent += sock.send(data[sent % len(data):])
            except socket.timeout:
                pass
    except OSError:
        pass
    return sent


def _upgrade(sig, path):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", sig.port))
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    s.settimeout(5)
    seen = b""
    while b"\r\n\r\n" not in seen:
        seen += s.recv(4096)
    return s, seen


@pytest.mark.parametrize("with_token", [False, True])
def test_ping_flood_from_a_client_that_never_reads_is_closed(stack, with_token):
    api, sig = stack
    before = sig.metric("hype_signal_ws_closed_total", code=1008)
    rss_before = sig.rss_kib()
    if with_token:
        u = user(api)
        s, seen = _upgrade(sig, f"/ws?token={u['accessToken']}")
        while b'"ready"' not in seen:
            seen += s.recv(4096)
    else:
        s, _ = _upgrade(sig, "/ws")
    _flood_pings(s, 3_000_000)
    s.close()
    deadline = time.monotonic() + 10
    while sig.metric("hype_signal_ws_closed_total", code=1008) == before:
        assert time.monotonic() < deadline, "a client flooding pings without reading was never closed"
        time.sleep(0.05)
    assert sig.rss_kib() - rss_before < 32 * 1024, "pongs were queued beyond the output limit"
    assert sig.alive()


def _eio_open(sig):
    r = requests.get(sig.url + "/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=5)
    assert r.status_code == 200 and r.text.startswith("0{"), r.text
    return json.loads(r.text[1:])["sid"]


def _eio(sig, method, sid, body=None, timeout=5):
    return requests.request(method, sig.url + "/socket.io/", data=body, timeout=timeout,
                            params={"EIO": "4", "transport": "polling", "sid": sid},
                            headers={"Content-Type": "text/plain;charset=UTF-8"})


def test_unauthenticated_engine_io_socket_has_a_small_budget(stack):
    """Refused CONNECTs make CONNECT_ERROR packets; a polling client that never polls cannot make
    them pile up to WS_OUTPUT_LIMIT before authenticating: the socket is closed far sooner."""
    _, sig = stack
    sid = _eio_open(sig)
    bad = '40{"token":"not-a-token"}'
    r = _eio(sig, "POST", sid, "\x1e".join([bad] * 400))  # ~400 CONNECT_ERRORs: ~30 KB, under 64K
    assert r.status_code == 200
    r = _eio(sig, "GET", sid)
    assert r.status_code == 400 and "Session ID unknown" in r.text, r.text[:200]


def test_engine_io_socket_whose_connect_was_refused_times_out(stack):
    _, sig = stack
    sid = _eio_open(sig)
    assert _eio(sig, "POST", sid, '40{"token":"not-a-token"}').text == "ok"
    r = _eio(sig, "GET", sid)
    assert r.text.startswith("44") and "Unauthorized" in r.text
    start = time.monotonic()
    try:
        r = _eio(sig, "GET", sid, timeout=3)  # parked until something happens
    except requests.exceptions.ReadTimeout:
        pytest.fail("an Engine.IO socket without a namespace stayed open past WS_AUTH_TIMEOUT")
    assert r.text == "1" or "Session ID unknown" in r.text, r.text
    assert time.monotonic() - start < 2.5


def test_request_flood_is_bounded_per_session(stack):
    """Ops relayed to hype-api wait at most WS_PENDING_OPS per session (4 here): a burst gets 429
    for the rest instead of queuing on signal.sock without bound, and the session goes on."""
    api, sig = stack
    u = user(api)

    async def go():
        c = await Client.connect(sig, u["accessToken"])
        frame = json.dumps({"type": "user_joined", "data": {"channelId": GENERAL}})
        for _ in range(50):
            await c.ws.send(frame)
        codes = []
        while len(codes) < 50:
            f = await c.recv()
            if f["type"] == "error":
                codes.append(f["data"]["code"])
            elif f["type"] == "user_joined" and f["data"]["userId"] == u["user"]["id"]:
                codes.append(200)
        assert 429 in codes and codes.count(200) >= 4, codes
        assert set(codes) <= {200, 429}, codes
        # Once answered, the session takes requests again.
        sent = post_message(api, u, GENERAL, "after the flood")
        await c.expect("message", where=lambda d: d["id"] == sent["id"])
        await c.send("user_left", {"channelId": GENERAL})
        await c.join(GENERAL)
        await c.close()
    run(go())
    assert sig.metric("hype_signal_api_connected") == 1, "the API link survived"


# ---- 9, 10. what the others see when a session ends ----

def shared_channel(api):
    """A fresh server with its owner and one more member, and its text channel."""
    owner, member = user(api), user(api)
    srv = create_server(api, owner["accessToken"])
    r = api("POST", f"/api/serverMembers/{srv['id']}/members", headers=bearer(owner["accessToken"]),
            json={"userId": member["user"]["id"]})
    assert r.status_code == 201, r.text
    channels = api("GET", f"/api/servers/{srv['id']}/channels", headers=bearer(owner["accessToken"])).json()["data"]
    text = [c["id"] for c in channels if c["type"] == "TEXT"][0]
    return owner, member, text


def left(uid, channel):
    return lambda d: d["userId"] == uid and d["channelId"] == channel


@pytest.mark.parametrize("close", ["code-1000", "no-status-1005"])
def test_a_clean_close_is_user_left_and_offline_at_once(stack, close):
    api, sig = stack
    watcher, leaver, channel = shared_channel(api)
    uid = leaver["user"]["id"]

    async def go():
        w = await Client.connect(sig, watcher["accessToken"])
        await w.join(channel)
        c = await Client.connect(sig, leaver["accessToken"])
        await c.join(channel)
        await w.expect("user_joined", where=lambda d: d["userId"] == uid)
        if close == "code-1000":
            await c.ws.close(1000)
        else:  # a close frame with no status code: still a goodbye
            c.ws.transport.write(build_frame(0x8, b""))
            await asyncio.sleep(0.2)
            c.ws.transport.abort()
        await w.expect("user_left", timeout=1, where=left(uid, channel))
        await w.expect("presence", timeout=1, where=lambda d: d["userId"] == uid and d["status"] == "offline")
        # A goodbye ends the session: nothing to resume.
        r = await Client.connect(sig, leaver["accessToken"], f"&sessionId={c.ready['data']['sessionId']}&seq=0",
                                 expect_ready=False)
        assert (await r.recv())["type"] == "invalid_session"
        await r.close()
        await w.close()
    run(go())


def test_a_dropped_session_leaves_its_channels_when_its_resume_window_ends(stack):
    api, sig = stack
    watcher, dropper, channel = shared_channel(api)
    uid = dropper["user"]["id"]

    async def go():
        w = await Client.connect(sig, watcher["accessToken"])
        await w.join(channel)
        c = await Client.connect(sig, dropper["accessToken"])
        await c.join(channel)
        await w.expect("user_joined", where=lambda d: d["userId"] == uid)
        c.ws.transport.abort()  # no close frame: it may come back within RESUME_WINDOW
        await w.quiet("user_left", RESUME_WINDOW_S - 1, where=left(uid, channel))
        await w.expect("user_left", timeout=RESUME_WINDOW_S + 2, where=left(uid, channel))
        await w.close()
    run(go())


def test_user_left_is_not_told_in_large_channels(stack):
    """CHANNEL_BROADCAST_MAX's rule holds for a session's end too (10 here)."""
    api, sig = stack
    poster = user(api)
    members = [user(api) for _ in range(11)]

    async def go():
        clients = []
        for m in members:
            c = await Client.connect(sig, m["accessToken"])
            await c.send("user_joined", {"channelId": GENERAL})
            clients.append(c)
        await asyncio.sleep(0.5)
        first, last = clients[0], clients[-1]
        await last.ws.close(1000)
        await first.quiet("user_left", 0.8, where=left(members[-1]["user"]["id"], GENERAL))
        sent = post_message(api, poster, GENERAL, "still subscribed")
        await first.expect("message", where=lambda d: d["id"] == sent["id"])
        for c in clients[:-1]:
            await c.close()
    run(go())


def test_presence_reaches_every_server_of_a_user_in_hundreds(stack):
    """A user's presence goes to each of its servers in one event: none may be left out however
    many there are (it once stopped at the 256th)."""
    api, sig = stack
    busy, watcher = user(api), user(api)
    servers = [create_server(api, busy["accessToken"])["id"] for _ in range(300)]
    last = servers[-1]
    r = api("POST", f"/api/serverMembers/{last}/members", headers=bearer(busy["accessToken"]),
            json={"userId": watcher["user"]["id"]})
    assert r.status_code == 201, r.text
    # The watcher shares nothing else with the busy user, not even the default server.
    r = api("DELETE", f"/api/serverMembers/{GENERAL}/members/{watcher['user']['id']}",
            headers=bearer(watcher["accessToken"]))
    assert r.status_code == 204, r.text

    async def go():
        w = await Client.connect(sig, watcher["accessToken"])
        assert w.ready["data"]["servers"] == [last]
        b = await Client.connect(sig, busy["accessToken"])
        await w.expect("presence", where=lambda d: d["userId"] == busy["user"]["id"] and d["status"] == "online")
        await b.close()
        await w.close()
    run(go())


def test_large_requests_cannot_overflow_the_api_link(stack):
    """Clients relay large requests while hype-api is not reading (stopped here): past a bound
    hype-signal refuses them (503) instead of queuing until signal.sock overflows, which would
    drop the link and every call in flight for everyone."""
    api, sig = stack
    users = [user(api) for _ in range(6)]
    big = json.dumps({"type": "message", "data": {"channelId": GENERAL, "content": "x" * 1_000_000}})

    async def go():
        clients = [await Client.connect(sig, u["accessToken"]) for u in users]
        api.proc.send_signal(signal.SIGSTOP)
        try:
            for c in clients:  # 6 sessions x 4 (WS_PENDING_OPS) x 1 MB: 24 MB for a 16 MiB link
                for _ in range(4):
                    await c.ws.send(big)
            codes = []
            for c in clients:
                for _ in range(4):
                    codes.append((await c.expect("error", timeout=15))["data"]["code"])
            assert set(codes) == {503}, codes
        finally:
            api.proc.send_signal(signal.SIGCONT)
        assert sig.metric("hype_signal_api_connected") == 1, "the API link was dropped"
        # Once hype-api has caught up with what was queued, requests go through again.
        me, deadline = users[0]["user"]["id"], time.monotonic() + 20
        while True:
            await clients[0].send("user_joined", {"channelId": GENERAL})
            f = None
            while f is None:
                g = await clients[0].recv(10)
                if g["type"] == "user_joined" and g["data"]["userId"] == me:
                    f = g
                elif g["type"] == "error":
                    assert g["data"]["code"] == 503, g
                    f = g
            if f["type"] == "user_joined":
                break
            assert time.monotonic() < deadline, "hype-api never caught up"
            await asyncio.sleep(0.2)
        for c in clients:
            await c.close()
    run(go())
    assert "output limit exceeded" not in sig.read_log()


# ---- found by the hostile pass on these fixes ----

@pytest.fixture
def quick_ping_stack(pg):
    """A stack whose pings come every half second and whose sessions stay resumable a minute."""
    api, sig = start_stack(pg, WS_PING_INTERVAL="500ms", WS_PING_TIMEOUT="3s", WS_OUTPUT_LIMIT="64K",
                           RESUME_WINDOW="60s")
    yield api, sig
    stop_stack(api, sig)


def _pipelined_posts(sig, sid, bodies):
    """POSTs bodies to an Engine.IO polling socket on one keep-alive connection, all sent at once
    (so hype-signal handles them in one go); returns the raw answers."""
    target = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    data = b"".join((f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                     f"Content-Length: {len(b)}\r\n\r\n").encode() + b for b in bodies)
    with socket.create_connection(("127.0.0.1", sig.port), timeout=10) as s:
        s.sendall(data)
        s.settimeout(2)
        out = b""
        try:
            while out.count(b"HTTP/1.1 ") < len(bodies):
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
    return out


def test_a_pong_cannot_keep_an_engine_io_socket_over_its_budget_alive(quick_ping_stack):
    """Over its output budget an Engine.IO socket is closed from the loop; a pong that arrives
    in the same moment (pipelined after the flood) must not cancel that."""
    api, sig = quick_ping_stack
    u = user(api)
    sid = _eio_open(sig)
    assert _eio(sig, "POST", sid, '40{"token":"%s"}' % u["accessToken"]).text == "ok"
    deadline = time.monotonic() + 5
    seen = ""
    while '"ready"' not in seen:  # CONNECT answered once hype-api agreed, then ready
        assert time.monotonic() < deadline
        seen += _eio(sig, "GET", sid).text
    time.sleep(0.8)  # a ping is now waiting for its pong, unread
    flood = "\x1e".join(f'42{i}["user_left",{{"channelId":"0"}}]' for i in range(3000)).encode()
    _pipelined_posts(sig, sid, [flood, b"3"])
    time.sleep(1)
    r = _eio(sig, "GET", sid)
    assert r.status_code == 400 and "Session ID unknown" in r.text, r.text[:200]


def test_events_kept_for_a_resume_count_against_the_output_limit(quick_ping_stack):
    """Large events sent to a session whose connection dropped wait for its resume: at most
    WS_OUTPUT_LIMIT of them (64K here) are kept, not RESUME_BUFFER events of any size."""
    api, sig = quick_ping_stack
    u = user(api)

    async def go():
        victim = await Client.connect(sig, u["accessToken"])
        attacker = await Client.connect(sig, u["accessToken"])
        for c in (victim, attacker):
            await c.send("join-room", "ring-room")
            await c.expect("created")
        to = victim.ready["data"]["sessionId"]
        victim.ws.transport.abort()  # detached: what it is sent is kept for its resume
        await asyncio.sleep(0.3)
        rss_before = sig.rss_kib()
        sdp = "v" * 900_000
        for _ in range(60):
            await attacker.send("signal", {"to": to, "type": "offer", "sdp": sdp})
        await attacker.send("leave-room")
        await attacker.quiet("error", 1)  # each signal reached the detached session
        grown = sig.rss_kib() - rss_before
        assert grown < 32 * 1024, f"{grown} KiB kept for a detached session"
        # What was dropped cannot be resumed: the client is told to resync.
        r = await Client.connect(sig, u["accessToken"], f"&sessionId={to}&seq=1", expect_ready=False)
        assert (await r.recv())["type"] == "invalid_session"
        await r.close()
        await attacker.close()
    run(go())


def test_a_logout_while_hype_api_was_unlinked_ends_the_session_at_relink(pg):
    sig = SignalDaemon(RESUME_WINDOW="30s")
    sig.wait_ready()
    linked = ApiDaemon(pg.dsn, SIGNAL_SOCKET=sig.socket_path)
    linked.wait_ready()
    wait_linked(sig)
    try:
        u, other = user(linked), user(linked)

        async def go():
            c = await Client.connect(sig, u["accessToken"])
            keep = await Client.connect(sig, other["accessToken"])
            assert linked.stop() == 0
            # Another hype-api, not linked to this hype-signal, logs the session out.
            lone = ApiDaemon(pg.dsn, migrate=False)
            lone.wait_ready()
            assert lone("POST", "/auth/logout", headers=bearer(u["accessToken"])).status_code == 200
            assert lone.stop() == 0
            again = ApiDaemon(pg.dsn, migrate=False, SIGNAL_SOCKET=sig.socket_path)
            again.wait_ready()
            try:
                with pytest.raises(websockets.ConnectionClosed) as e:
                    while True:
                        await c.recv(10)
                assert e.value.rcvd.code == 4001
                await keep.join(GENERAL)  # the other login was not touched
                await keep.close()
            finally:
                assert again.stop() == 0
        run(go())
    finally:
        linked.stop()
        sig.check_clean_exit()


def test_socket_io_socket_open_at_shutdown_is_freed(pg):
    """hype-signal stopping with Engine.IO sockets open frees them (a leak fails the sanitizer
    build's exit)."""
    sig = SignalDaemon()
    sig.wait_ready()
    sid = _eio_open(sig)
    assert _eio(sig, "POST", sid, '40{"token":"not-a-token"}').text == "ok"
    _eio_open(sig)
    sig.check_clean_exit()


def test_binary_attachments_need_an_authenticated_namespace(quick_ping_stack):
    """An Engine.IO client that has not authenticated cannot make hype-signal hold binary
    attachments for it (they are held until the packet is whole): it is closed at once, not
    after WS_AUTH_TIMEOUT (10 s here; a ping would come first)."""
    _, sig = quick_ping_stack
    sid = _eio_open(sig)
    r = _eio(sig, "POST", sid, '451-["upload",{"_placeholder":true,"num":0}]')
    assert r.status_code == 200
    r = _eio(sig, "GET", sid, timeout=3)
    assert r.text == "1" or "Session ID unknown" in r.text, r.text[:200]


def test_only_a_whole_session_id_resumes(stack):
    api, sig = stack
    u = user(api)

    async def go():
        c = await Client.connect(sig, u["accessToken"])
        session_id = c.ready["data"]["sessionId"]
        c.ws.transport.abort()
        await asyncio.sleep(0.3)
        r = await Client.connect(sig, u["accessToken"], f"&sessionId={session_id}EXTRA&seq=0", expect_ready=False)
        assert (await r.recv())["type"] == "invalid_session"
        await r.close()
    run(go())
