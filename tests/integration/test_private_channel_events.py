"""Live events about a channel reach exactly the members who may view it, as REST shows it: a
private channel's renames, overwrite changes, deletion and voice states stay away from members
its overwrites keep out; members who lose the view get channel_deleted; public channels still
reach everyone. Driven with python websockets on a full stack (hype-signal + hype-api)."""

import asyncio
import itertools
from types import SimpleNamespace

import pytest

from test_hostile_overwrites import everyone_of
from test_hostile_roles import SEND, VIEW, give, make_role, server_with
from test_signal_sessions import Client, post_message, run, start_stack, stop_stack

@pytest.fixture(scope="module")
def stack(pg):
    api, sig = start_stack(pg, RESUME_WINDOW="3s", WS_PING_INTERVAL="5s", WS_OUTPUT_LIMIT="1M")
    yield api, sig
    stop_stack(api, sig)


def channel(owner, sid, name, type_="TEXT"):
    r = owner("POST", f"/api/servers/{sid}/channels", json={"name": name, "type": type_})
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


def overwrite(who, sid, channel_id, target, **body):
    r = who("PUT", f"/api/servers/{sid}/channels/{channel_id}/permissions/{target}", json=body)
    assert r.status_code == 200, r.text


def scene(api, n_insiders=1):
    """Owner o, insiders (the first is a) holding the Insiders role, member b without it; a
    private text channel p (@everyone denied the view, Insiders allowed it), the server's public
    #general and voice channel."""
    o, members, sid = server_with(api, n_insiders + 1)
    *insiders, b = members
    role = make_role(o, sid, "Insiders", 0, position=1)
    for m in insiders:
        give(o, sid, m, role)
    channels = {c["name"]: c["id"] for c in o("GET", f"/api/servers/{sid}/channels").json()["data"]}
    s = SimpleNamespace(o=o, a=insiders[0], insiders=insiders, b=b, sid=sid, role=role,
                        everyone=everyone_of(o, sid), general=channels["general"], voice=channels["General"])
    s.p = private_channel(s, "secret")
    return s


def private_channel(s, name, type_="TEXT"):
    cid = channel(s.o, s.sid, name, type_)
    overwrite(s.o, s.sid, cid, s.everyone, type="role", deny=VIEW)
    overwrite(s.o, s.sid, cid, s.role, type="role", allow=VIEW)
    return cid


_markers = itertools.count(1)


async def connect(sig, s, *who, settle=True):
    """Connects who, then waits until each has received a public event published after every
    change of the scene so far: events about a channel follow their REST reply (the audience is
    read first), in order per server, so nothing of the setup can arrive later."""
    clients = [await Client.connect(sig, w.account["accessToken"]) for w in who]
    if not settle:  # who cannot view #general would never hear the marker
        return clients
    marker = f"sync-{next(_markers)}"
    rename(s, s.general, marker)
    for c in clients:
        await c.expect("channel_updated", where=lambda d: d["id"] == s.general and d["name"] == marker)
    return clients


async def close(*clients):
    # At once: a client with unread frames queued takes a while to finish its close handshake.
    await asyncio.gather(*(c.close() for c in clients))


async def before(c, type_, where):
    """The frames c receives until one of type_ matching where (returned last)."""
    seen = []
    while True:
        f = await c.recv()
        seen.append(f)
        if f["type"] == type_ and where(f["data"]):
            return seen


def about(channel_id, key="id"):
    return lambda d: d.get(key) == channel_id


def rename(s, channel_id, name):
    r = s.o("PATCH", f"/api/servers/{s.sid}/channels/{channel_id}", json={"name": name})
    assert r.status_code == 200, r.text


def assert_none(frames, type_, where):
    leaked = [f for f in frames if f["type"] == type_ and where(f["data"])]
    assert not leaked, leaked


def test_renaming_a_private_channel_reaches_only_who_may_view_it(stack):
    api, sig = stack
    s = scene(api)
    assert s.b("GET", f"/api/servers/{s.sid}/channels/{s.p}").status_code == 403

    async def go():
        o, a, b = await connect(sig, s, s.o, s.a, s.b)
        rename(s, s.p, "secret-renamed")
        for c in (o, a):
            f = await c.expect("channel_updated", where=about(s.p))
            assert f["data"]["name"] == "secret-renamed"
        await b.quiet("channel_updated", 0.5, where=about(s.p))
        # A public channel still reaches everyone; events of one server keep their order, so
        # anything b were to get about the private channel would come first.
        rename(s, s.p, "secret-again")
        rename(s, s.general, "lobby")
        for c in (o, a, b):
            seen = await before(c, "channel_updated", about(s.general))
            assert seen[-1]["data"]["name"] == "lobby"
        assert_none(seen, "channel_updated", about(s.p))
        await close(o, a, b)
    run(go())


def test_overwrite_changes_reach_only_who_may_view_the_channel(stack):
    api, sig = stack
    s = scene(api)

    async def go():
        o, a, b = await connect(sig, s, s.o, s.a, s.b)
        overwrite(s.o, s.sid, s.p, s.a.id, type="member", allow=SEND)
        for c in (o, a):
            f = await c.expect("channel_permissions_updated", where=about(s.p, "channelId"))
            assert f["data"]["overwrite"] == {"id": s.a.id, "type": "member", "allow": str(SEND), "deny": "0"}
            assert f["data"]["serverId"] == s.sid
        await b.quiet("channel_permissions_updated", 0.5)
        rename(s, s.general, "lobby")
        assert_none(await before(b, "channel_updated", about(s.general)), "channel_permissions_updated",
                    lambda d: True)
        await close(o, a, b)
    run(go())


def test_members_who_lose_the_view_get_channel_deleted(stack):
    api, sig = stack
    s = scene(api)

    async def go():
        o, a, b = await connect(sig, s, s.o, s.a, s.b)
        await a.join(s.p)
        post_message(api, s.o.account, s.p, "before")
        await a.expect("message", where=lambda d: d["content"] == "before")
        # A member overwrite takes a's view away: a learns the channel is gone for it.
        overwrite(s.o, s.sid, s.p, s.a.id, type="member", deny=VIEW)
        seen = await before(a, "channel_deleted", about(s.p))
        assert seen[-1]["data"] == {"id": s.p, "serverId": s.sid}
        assert_none(seen, "channel_permissions_updated", lambda d: True)
        await o.expect("channel_permissions_updated", where=about(s.p, "channelId"))
        # Nothing of it reaches a any more: neither its messages nor its changes.
        post_message(api, s.o.account, s.p, "after")
        rename(s, s.p, "hidden")
        await o.expect("channel_updated", where=about(s.p))
        rename(s, s.general, "lobby")
        for c in (a, b):
            seen = await before(c, "channel_updated", about(s.general))
            assert_none(seen, "channel_updated", about(s.p))
            assert_none(seen, "message", lambda d: True)
            assert_none(seen, "channel_permissions_updated", lambda d: True)
            assert_none(seen, "channel_deleted", lambda d: True)
        # Given back (the overwrite removed), a gets the change again.
        r = s.o("DELETE", f"/api/servers/{s.sid}/channels/{s.p}/permissions/{s.a.id}?type=member")
        assert r.status_code == 204, r.text
        f = await a.expect("channel_permissions_updated", where=about(s.p, "channelId"))
        assert f["data"]["removedId"] == s.a.id
        # Removing the role's overwrite takes the view from every insider, a included.
        r = s.o("DELETE", f"/api/servers/{s.sid}/channels/{s.p}/permissions/{s.role}")
        assert r.status_code == 204, r.text
        assert_none(await before(a, "channel_deleted", about(s.p)), "channel_permissions_updated",
                    lambda d: True)
        await o.expect("channel_permissions_updated", where=about(s.p, "channelId"))
        # b never learnt anything of it.
        rename(s, s.general, "lobby-2")
        seen = await before(b, "channel_updated", about(s.general))
        assert_none(seen, "channel_permissions_updated", lambda d: True)
        assert_none(seen, "channel_deleted", lambda d: True)
        await close(o, a, b)
    run(go())


def test_a_public_channel_made_private(stack):
    api, sig = stack
    s = scene(api)
    q = channel(s.o, s.sid, "was-public")

    async def go():
        o, a, b = await connect(sig, s, s.o, s.a, s.b)
        overwrite(s.o, s.sid, q, s.everyone, type="role", deny=VIEW)
        for c in (a, b):  # a's role does not allow it there
            f = await c.expect("channel_deleted", where=about(q))
            assert f["data"] == {"id": q, "serverId": s.sid}
        await o.expect("channel_permissions_updated", where=about(q, "channelId"))
        # Allowed again for the role: a sees the change, b still nothing.
        overwrite(s.o, s.sid, q, s.role, type="role", allow=VIEW)
        await a.expect("channel_permissions_updated", where=about(q, "channelId"))
        rename(s, s.general, "lobby")
        assert_none(await before(b, "channel_updated", about(s.general)), "channel_permissions_updated",
                    lambda d: True)
        # Public again (the @everyone deny removed): everyone gets it.
        r = s.o("DELETE", f"/api/servers/{s.sid}/channels/{q}/permissions/{s.everyone}?type=role")
        assert r.status_code == 204, r.text
        for c in (o, a, b):
            await c.expect("channel_permissions_updated", where=about(q, "channelId"))
        await close(o, a, b)
    run(go())


def test_deleting_a_private_channel_tells_only_who_could_view_it(stack):
    api, sig = stack
    s = scene(api)

    async def go():
        o, a, b = await connect(sig, s, s.o, s.a, s.b)
        await a.join(s.p)
        r = s.o("DELETE", f"/api/servers/{s.sid}/channels/{s.p}")
        assert r.status_code == 204, r.text
        for c in (o, a):
            f = await c.expect("channel_deleted", where=about(s.p))
            assert f["data"] == {"id": s.p, "serverId": s.sid}
        rename(s, s.general, "lobby")
        assert_none(await before(b, "channel_updated", about(s.general)), "channel_deleted", lambda d: True)
        # A public one: everyone.
        r = s.o("DELETE", f"/api/servers/{s.sid}/channels/{s.general}")
        assert r.status_code == 204, r.text
        for c in (o, a, b):
            await c.expect("channel_deleted", where=about(s.general))
        await close(o, a, b)
    run(go())


def test_channels_created_where_everyone_may_not_view(stack):
    """A server whose @everyone lacks the view: a new channel (no overwrites yet) is seen by the
    roles that grant it."""
    api, sig = stack
    s = scene(api)
    r = s.o("PATCH", f"/api/servers/{s.sid}/roles/{s.role}", json={"permissions": VIEW})
    assert r.status_code == 200, r.text
    r = s.o("PATCH", f"/api/servers/{s.sid}/roles/{s.everyone}", json={"permissions": SEND})
    assert r.status_code == 200, r.text

    async def go():
        o, a, b = await connect(sig, s, s.o, s.a, s.b, settle=False)
        created = channel(s.o, s.sid, "staff-only")
        for c in (o, a):
            await c.expect("channel_created", where=about(created))
        await b.quiet("channel_created", 0.5)
        await close(o, a, b)
    run(go())


def test_voice_states_of_a_private_voice_channel(stack):
    api, sig = stack
    s = scene(api)
    v = private_channel(s, "war-room", "VOICE")

    def voice(channel_id):
        r = s.o("PUT", "/api/voice/state", json={"channelId": channel_id, "isMuted": False, "isDeafened": False})
        assert r.status_code == 200, r.text

    by_o = lambda d: d["userId"] == s.o.id  # noqa: E731

    async def go():
        o, a, b = await connect(sig, s, s.o, s.a, s.b)
        voice(v)
        f = await a.expect("voice_state", where=by_o)
        assert f["data"]["channelId"] == v and f["data"]["serverId"] == s.sid
        await b.quiet("voice_state", 0.5, where=by_o)
        # Moving to the public voice channel: everyone sees the join, only a the leave.
        voice(s.voice)
        f = await a.expect("voice_state", where=by_o)
        assert f["data"]["channelId"] is None and f["data"]["previousChannelId"] == v
        f = await a.expect("voice_state", where=by_o)
        assert f["data"]["channelId"] == s.voice
        seen = await before(b, "voice_state", by_o)
        assert seen[-1]["data"]["channelId"] == s.voice
        assert_none(seen[:-1], "voice_state", lambda d: True)
        # And back, then out: b sees the leave of the public one, nothing of the private one.
        voice(v)
        voice(None)
        await a.expect("voice_state", where=lambda d: by_o(d) and d["channelId"] == v)
        f = await a.expect("voice_state", where=by_o)
        assert f["data"]["channelId"] is None and f["data"]["previousChannelId"] == v
        f = await b.expect("voice_state", where=by_o)
        assert f["data"]["channelId"] is None and f["data"]["previousChannelId"] == s.voice
        rename(s, s.general, "lobby")
        assert_none(await before(b, "channel_updated", about(s.general)), "voice_state", lambda d: True)
        await close(o, a, b)
    run(go())


def test_an_event_to_many_members(stack):
    """A private channel allowed to a role held by 50 members: the event goes to a list of users,
    every one of them gets it, and the member without the role does not."""
    api, sig = stack
    s = scene(api, n_insiders=50)

    async def go():
        clients = await connect(sig, s, *s.insiders)
        (b,) = await connect(sig, s, s.b)
        rename(s, s.p, "for-the-many")
        frames = await asyncio.gather(*(c.expect("channel_updated", where=about(s.p)) for c in clients))
        assert all(f["data"]["name"] == "for-the-many" for f in frames)
        rename(s, s.general, "lobby")
        assert_none(await before(b, "channel_updated", about(s.general)), "channel_updated", about(s.p))
        await close(b, *clients)
    run(go())


def test_live_subscriptions_are_rechecked_after_a_private_channel_changes(stack, pg):
    """The overwrite is written behind hype-api's back: the next change of the (private) channel,
    sent to who may view it, still makes hype-signal re-check the subscriptions of that server."""
    api, sig = stack
    s = scene(api)

    async def go():
        o, a = await connect(sig, s, s.o, s.a)
        await a.join(s.p)
        pg.psql("hype", f"INSERT INTO channel_overwrites (channel_id, target_type, target_id, allow, deny)"
                        f" VALUES ({s.p}, 'member', {s.a.id}, 0, {VIEW})")
        rename(s, s.p, "rechecked")
        await o.expect("channel_updated", where=about(s.p))
        seen = await before(a, "channel_access_revoked", about(s.p, "channelId"))
        assert_none(seen, "channel_updated", about(s.p))
        post_message(api, s.o.account, s.p, "not for a")
        await a.quiet("message", 0.5)
        await close(o, a)
    run(go())
