"""Holes a hostile review found in hype-api: bad credentials on optional-auth routes, kicked authors,
non-members reading or changing servers, JWT crit headers, invite bounds, overlong query values,
and the log of a second stop signal."""

import signal

import pytest

from hype import (ACCESS_SECRET, ApiDaemon, bearer, json_body, parse_raw_response, raw_http, register,
                  run_api_cli)
from test_auth import decode_claims, make_jwt
from test_channels import default_server
from test_invites import make_invite
from test_servers import create_server

VIEW, SEND, ADD_REACTIONS, ADMINISTRATOR = 1 << 10, 1 << 11, 1 << 6, 1 << 3
MANAGE_CHANNELS, MANAGE_SERVER = 1 << 4, 1 << 5


def auth(u):
    return bearer(u["accessToken"])


def add_member(api, owner, server, user):
    r = api("POST", f"/api/serverMembers/{server['id']}/members", headers=auth(owner),
            json={"userId": user["user"]["id"]})
    assert r.status_code in (200, 201), r.text


def kick(api, owner, server, user):
    r = api("DELETE", f"/api/serverMembers/{server['id']}/members/{user['user']['id']}", headers=auth(owner))
    assert r.status_code == 204, r.text


def text_channel(api, who, server):
    chans = api("GET", f"/api/servers/{server['id']}/channels", headers=auth(who)).json()["data"]
    return [c for c in chans if c["type"] == "TEXT"][0]


def send(api, who, channel, content):
    r = api("POST", "/api/messages", headers=auth(who), json={"content": content, "channelId": channel["id"]})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def set_everyone(pg, server, permissions):
    pg.psql("hype", f"UPDATE roles SET permissions = {permissions} WHERE server_id = {server['id']} AND is_everyone")


# ---- A: optional auth never turns a bad credential into anonymity ----

OPTIONAL_ROUTES = ["/api/servers", "/api/users", "/api/channels"]


def test_optional_auth_refuses_a_revoked_token(api):
    me, _ = register(api)
    assert api("GET", "/api/servers", headers=auth(me)).status_code == 200
    assert api("POST", "/auth/logout", headers=auth(me)).status_code == 200
    for path in OPTIONAL_ROUTES:
        r = api("GET", path, headers=auth(me))
        assert r.status_code == 401, (path, r.text)
        assert r.json() == {"success": False, "error": "Session has been revoked"}
    # Without any credential the same routes are the anonymous view.
    for path in OPTIONAL_ROUTES:
        assert api("GET", path).status_code == 200, path


def test_optional_auth_refuses_expired_malformed_and_foreign_credentials(api):
    me, _ = register(api)
    s = default_server(api)
    claims = decode_claims(me["accessToken"])
    expired = make_jwt(dict(claims, iat=1000, exp=2000), ACCESS_SECRET)
    cases = [
        (bearer(expired), "Token expired"),
        (bearer("a.b.c"), "Invalid token"),
        (bearer(make_jwt(claims, "some-other-secret-that-is-long-enough")), "Invalid token"),
        ({"Authorization": "Bearer"}, "Not authenticated"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Not authenticated"),
        ({"Authorization": ""}, "Not authenticated"),
    ]
    for path in [f"/api/servers/{s['id']}", f"/api/servers/{s['id']}/channels", "/api/users/me"]:
        for headers, message in cases:
            r = api("GET", path, headers=headers)
            assert r.status_code == 401 and r.json()["error"] == message, (path, headers, r.text)


# ---- B: editing, deleting and reacting need membership and the channel's permissions ----

def test_kicked_author_cannot_edit_delete_or_react(api):
    owner, _ = register(api)
    author, _ = register(api)
    s = create_server(api, owner["accessToken"])
    add_member(api, owner, s, author)
    ch = text_channel(api, owner, s)
    m = send(api, author, ch, "before the kick")
    r = api("POST", f"/api/messages/{m['id']}/reactions", headers=auth(author), json={"emoji": "x"})
    assert r.status_code == 200, r.text
    kick(api, owner, s, author)
    r = api("PUT", f"/api/messages/{m['id']}", headers=auth(author), json={"content": "after the kick"})
    assert r.status_code == 403 and r.json()["error"] == "You are not a member of this server", r.text
    assert api("DELETE", f"/api/messages/{m['id']}", headers=auth(author)).status_code == 403
    r = api("POST", f"/api/messages/{m['id']}/reactions", headers=auth(author), json={"emoji": "y"})
    assert r.status_code == 403
    assert api("DELETE", f"/api/messages/{m['id']}/reactions/x", headers=auth(author)).status_code == 403
    got = api("GET", f"/api/messages/{m['id']}", headers=auth(owner)).json()["data"]
    assert got["content"] == "before the kick" and got["edited"] is False
    assert [x["emoji"] for x in got["reactions"]] == ["x"]


def test_author_who_lost_the_channel_cannot_touch_messages(api):
    owner, _ = register(api)
    author, _ = register(api)
    s = create_server(api, owner["accessToken"])
    add_member(api, owner, s, author)
    ch = text_channel(api, owner, s)
    perms = f"/api/servers/{s['id']}/channels/{ch['id']}/permissions/{author['user']['id']}"
    kept, gone = send(api, author, ch, "kept"), send(api, author, ch, "gone")
    api("POST", f"/api/messages/{kept['id']}/reactions", headers=auth(author), json={"emoji": "x"})

    def overwrite(deny):
        r = api("PUT", perms, headers=auth(owner), json={"type": "member", "allow": 0, "deny": deny})
        assert r.status_code == 200, r.text

    # Without send: no edits, but the author may still delete and un-react.
    overwrite(SEND)
    r = api("PUT", f"/api/messages/{kept['id']}", headers=auth(author), json={"content": "edited"})
    assert r.status_code == 403 and r.json()["error"] == "Missing permissions"
    assert api("DELETE", f"/api/messages/{gone['id']}", headers=auth(author)).status_code == 200
    # Without add-reactions: no new reaction; removing one's own is still allowed.
    overwrite(ADD_REACTIONS)
    r = api("POST", f"/api/messages/{kept['id']}/reactions", headers=auth(author), json={"emoji": "y"})
    assert r.status_code == 403
    assert api("DELETE", f"/api/messages/{kept['id']}/reactions/x", headers=auth(author)).status_code == 200
    # Without view: nothing at all.
    overwrite(VIEW)
    r = api("PUT", f"/api/messages/{kept['id']}", headers=auth(author), json={"content": "edited"})
    assert r.status_code == 403
    assert api("DELETE", f"/api/messages/{kept['id']}", headers=auth(author)).status_code == 403
    r = api("POST", f"/api/messages/{kept['id']}/reactions", headers=auth(author), json={"emoji": "z"})
    assert r.status_code == 403
    got = api("GET", f"/api/messages/{kept['id']}", headers=auth(owner)).json()["data"]
    assert got["content"] == "kept" and got["reactions"] == []
