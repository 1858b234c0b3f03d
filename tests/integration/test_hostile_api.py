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


# ---- C: a server's channels are its members' business ----

def test_channels_of_a_server_are_for_members(api, pg):
    owner, _ = register(api)
    member, _ = register(api)
    outsider, _ = register(api)
    s = create_server(api, owner["accessToken"])
    add_member(api, owner, s, member)
    ch = text_channel(api, owner, s)
    reads = [f"/api/servers/{s['id']}/channels", f"/api/servers/{s['id']}/channels/{ch['id']}",
             f"/api/channels?serverId={s['id']}", f"/api/channels/{ch['id']}"]
    for path in reads:
        assert api("GET", path, headers=auth(member)).status_code == 200, path
        r = api("GET", path, headers=auth(outsider))
        assert r.status_code == 403 and r.json()["error"] == "You are not a member of this server", (path, r.text)
        r = api("GET", path)
        assert r.status_code == 401 and r.json()["error"] == "Not authenticated", (path, r.text)
    # The default server is the exception: anyone, anonymous or a signed-in non-member (one who
    # left it), sees the channels @everyone may view there, and only those.
    d = default_server(api)
    chans = api("GET", f"/api/servers/{d['id']}/channels").json()["data"]
    hidden = chans[-1]
    everyone = pg.psql("hype", f"SELECT id FROM roles WHERE server_id = {d['id']} AND is_everyone")
    leaver, _ = register(api)
    kick(api, leaver, d, leaver)  # leaves the default server: a signed-in non-member
    pg.psql("hype", f"INSERT INTO channel_overwrites VALUES ({hidden['id']}, 'role', {everyone}, 0, {VIEW})")
    try:
        for who, status in ((None, 401), (leaver, 403)):
            headers = auth(who) if who else {}
            names = [c["name"] for c in api("GET", f"/api/servers/{d['id']}/channels", headers=headers).json()["data"]]
            assert names == [c["name"] for c in chans[:-1]]
            flat = [c["name"] for c in api("GET", "/api/channels", headers=headers).json()["data"]]
            assert flat == names
            assert api("GET", f"/api/channels/{chans[0]['id']}", headers=headers).status_code == 200
            assert api("GET", f"/api/channels/{hidden['id']}", headers=headers).status_code == status
            assert api("GET", f"/api/servers/{d['id']}/channels/{hidden['id']}",
                       headers=headers).status_code == status
    finally:
        pg.psql("hype", f"DELETE FROM channel_overwrites WHERE channel_id = {hidden['id']}")


def test_non_members_cannot_change_a_server_whatever_everyone_holds(api, pg):
    owner, _ = register(api)
    outsider, _ = register(api)
    s = create_server(api, owner["accessToken"])
    ch = text_channel(api, owner, s)
    base = f"/api/servers/{s['id']}/channels"
    set_everyone(pg, s, VIEW | SEND | MANAGE_CHANNELS | MANAGE_SERVER)
    writes = [
        ("POST", base, {"name": "squat"}),
        ("PUT", f"{base}/{ch['id']}", {"name": "renamed"}),
        ("PATCH", f"{base}/{ch['id']}", {"topic": "mine"}),
        ("POST", "/api/channels", {"name": "squat", "serverId": s["id"]}),
        ("PUT", f"/api/channels/{ch['id']}", {"name": "renamed"}),
        ("PUT", f"/api/servers/{s['id']}", {"name": "taken over"}),
        ("PATCH", f"/api/servers/{s['id']}", {"description": "taken over"}),
        ("DELETE", f"{base}/{ch['id']}", None),
        ("DELETE", f"/api/channels/{ch['id']}", None),
    ]
    for method, path, body in writes:
        r = api(method, path, headers=auth(outsider), json=body)
        assert r.status_code == 403 and r.json()["error"] == "You are not a member of this server", (method, path, r.text)
    # With administrator for @everyone, an outsider still may not delete the server or its parts.
    set_everyone(pg, s, ADMINISTRATOR)
    assert api("DELETE", f"/api/servers/{s['id']}", headers=auth(outsider)).status_code == 403
    assert api("DELETE", f"{base}/{ch['id']}", headers=auth(outsider)).status_code == 403
    r = api("PUT", f"{base}/{ch['id']}/permissions/{outsider['user']['id']}", headers=auth(outsider),
            json={"type": "member", "allow": VIEW})
    assert r.status_code == 403
    assert api("POST", f"/api/invite/{s['id']}/invite", headers=auth(outsider), json={}).status_code == 403
    m = send(api, owner, ch, "the owner's")
    assert api("DELETE", f"/api/messages/{m['id']}", headers=auth(outsider)).status_code == 403
    voice = [c for c in api("GET", base, headers=auth(owner)).json()["data"] if c["type"] == "VOICE"][0]
    r = api("PUT", "/api/voice/state", headers=auth(outsider), json={"channelId": voice["id"]})
    assert r.status_code == 403
    # Nothing changed.
    got = api("GET", f"/api/servers/{s['id']}", headers=auth(owner)).json()["data"]
    assert got["name"] == s["name"] and got["description"] == s["description"]
    assert [c["name"] for c in api("GET", base, headers=auth(owner)).json()["data"]] == ["general", "General"]
    # Anonymous callers are told to sign in.
    assert api("PUT", f"/api/servers/{s['id']}", json={"name": "x"}).status_code == 401


def test_kicked_creator_cannot_revoke_an_invite(api):
    owner, _ = register(api)
    creator, _ = register(api)
    s = create_server(api, owner["accessToken"])
    add_member(api, owner, s, creator)
    inv = make_invite(api, creator, s)
    kick(api, owner, s, creator)
    r = api("DELETE", f"/api/invite/{inv['id']}", headers=auth(creator))
    assert r.status_code == 403 and r.json()["error"] == "You are not a member of this server"
    assert api("GET", f"/api/invite/invite/{inv['token']}").status_code == 200


# ---- D: JWT crit, invite bounds, query values ----

def jwt_with_header(header, claims, secret):
    import base64
    import hashlib
    import hmac
    import json

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    sig = b64(hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest())
    return f"{signing}.{sig}"


def test_jwt_with_critical_extensions_is_refused(api):
    me, _ = register(api)
    claims = decode_claims(me["accessToken"])
    plain = jwt_with_header({"alg": "HS256", "typ": "JWT"}, claims, ACCESS_SECRET)
    assert api("GET", "/auth/me", headers=bearer(plain)).status_code == 200, "the crafting itself is sound"
    for crit in (["exp"], [], "exp"):
        token = jwt_with_header({"alg": "HS256", "typ": "JWT", "crit": crit}, claims, ACCESS_SECRET)
        r = api("GET", "/auth/me", headers=bearer(token))
        assert r.status_code == 401 and r.json()["error"] == "Invalid token", (crit, r.text)
        assert api("GET", "/api/servers", headers=bearer(token)).status_code == 401


def test_invite_expiry_must_be_a_future_date(api):
    owner, _ = register(api)
    s = create_server(api, owner["accessToken"])
    url = f"/api/invite/{s['id']}/invite"
    r = api("POST", url, headers=auth(owner), json={"expiresAt": "2020-01-01T00:00:00Z"})
    assert r.status_code == 400, r.text
    assert [d["path"] for d in r.json()["details"]] == [["expiresAt"]]
    assert r.json()["details"][0]["message"] == "Must be in the future"
    # A date that does not exist is a validation error, not a database failure.
    for bad in ("2999-02-31T00:00:00Z", "2999-04-31T00:00:00Z", "2999-02-29T00:00:00Z"):
        r = api("POST", url, headers=auth(owner), json={"expiresAt": bad})
        assert r.status_code == 400 and r.json()["details"][0]["path"] == ["expiresAt"], (bad, r.text)
    r = api("POST", url, headers=auth(owner), json={"expiresAt": "2996-02-29T23:30:00.5-01:00", "maxUses": 100000})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["invite"]["expiresAt"] == "2996-03-01T00:30:00.500Z"
    r = api("POST", url, headers=auth(owner), json={"maxUses": 100001})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["maxUses"]


@pytest.fixture(scope="module")
def admin(api):
    data, _ = register(api)
    r = run_api_cli("--create-admin", data["user"]["username"], env=api.env)
    assert r.returncode == 0, r.stderr
    return data


def test_overlong_query_value_is_414_not_absent(api, admin):
    r = api("GET", "/api/admin/users", headers=auth(admin), params={"search": "x" * 2000})
    assert r.status_code == 414, r.text
    body = r.json()
    assert body["success"] is False and body["details"][0]["path"] == ["search"]
    assert body["details"][0]["maximum"] == 1024
    assert api("GET", "/api/admin/users", headers=auth(admin), params={"search": "x" * 1024}).status_code == 200
    owner, _ = register(api)
    s = create_server(api, owner["accessToken"])
    ch = text_channel(api, owner, s)
    r = api("GET", "/api/messages", headers=auth(owner), params={"channelId": ch["id"], "before": "1" * 1500})
    assert r.status_code == 414 and r.json()["details"][0]["path"] == ["before"], r.text
    r = api("GET", "/api/messages", headers=auth(owner), params={"channelId": "1" * 1500})
    assert r.status_code == 414, r.text


def raw_get(api, target, headers=None):
    """GET through a raw socket, so that no client library re-encodes the target."""
    lines = [f"GET {target} HTTP/1.1", "Host: x", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    status, _, body = parse_raw_response(raw_http(api.port, ("\r\n".join(lines) + "\r\n\r\n").encode()))
    return status, json_body(body)


def test_badly_encoded_query_value_is_400_not_absent(api, admin):
    owner, _ = register(api)
    s = create_server(api, owner["accessToken"])
    ch = text_channel(api, owner, s)
    cases = [
        (auth(admin), "/api/admin/users?search=%00", "search"),  # NUL
        (auth(admin), "/api/admin/users?search=%ff", "search"),  # not UTF-8: PostgreSQL would refuse it
        (auth(admin), "/api/admin/users?role=admin&search=%zz", "search"),
        (auth(owner), f"/api/messages?channelId={ch['id']}&before=%4", "before"),
        (auth(owner), f"/api/messages?channelId={ch['id']}&%e2%28=1", "%e2%28"),
        ({}, "/api/servers?limit=%", "limit"),
    ]
    for headers, target, name in cases:
        status, body = raw_get(api, target, headers)
        assert status == 400, (target, body)
        assert body["error"] == "Malformed query parameter" and body["details"][0]["path"] == [name], (target, body)
    status, body = raw_get(api, f"/api/messages?channelId={ch['id']}&before=%31", auth(owner))
    assert status == 200, body


# ---- E: hype-api says what a second stop signal did ----

def test_second_sigterm_is_logged_as_such(pg):
    daemon = ApiDaemon(pg.dsn)
    try:
        daemon.wait_ready()
        import socket
        # A request still arriving keeps the drain waiting.
        sock = socket.create_connection(("127.0.0.1", daemon.port))
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        assert daemon("GET", "/health").status_code == 200
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.notify.wait_for("STOPPING=1", 10) is not None
        daemon.proc.send_signal(signal.SIGTERM)
        rc = daemon.proc.wait(10)
        sock.close()
    finally:
        daemon.stop()
    log = daemon.read_log()
    assert rc == 0, log
    assert "received SIGTERM again: exiting now with 1 connection still open" in log, log
    assert "15 s" not in log and "exiting anyway" not in log, log
    assert "runtime error" not in log and "AddressSanitizer" not in log, log


# ---- found by the hostile pass on these fixes ----

def test_channel_changes_follow_the_channels_overwrites_and_commit_nothing_when_refused(api):
    """A member with manage-channels server-wide, denied it (or the view) in one channel by an
    overwrite, can neither rename nor delete that channel, by either route; nothing is written."""
    owner, _ = register(api)
    mod, _ = register(api)
    s = create_server(api, owner["accessToken"])
    add_member(api, owner, s, mod)
    role = api("POST", f"/api/servers/{s['id']}/roles", headers=auth(owner),
               json={"name": "chanmod", "permissions": str(MANAGE_CHANNELS | VIEW), "position": 1}).json()["data"]
    r = api("POST", f"/api/servers/{s['id']}/roles/members/{mod['user']['id']}/roles/{role['id']}", headers=auth(owner))
    assert r.status_code == 201, r.text
    ch = text_channel(api, owner, s)
    nested, flat = f"/api/servers/{s['id']}/channels/{ch['id']}", f"/api/channels/{ch['id']}"
    assert api("PATCH", nested, headers=auth(mod), json={"topic": "allowed"}).status_code == 200
    for deny in (MANAGE_CHANNELS, VIEW):
        r = api("PUT", f"/api/servers/{s['id']}/channels/{ch['id']}/permissions/{mod['user']['id']}",
                headers=auth(owner), json={"type": "member", "allow": 0, "deny": deny})
        assert r.status_code == 200, r.text
        for path in (nested, flat):
            r = api("PATCH", path, headers=auth(mod), json={"name": "renamed-by-mod"})
            assert r.status_code == 403, r.text
            assert api("DELETE", path, headers=auth(mod)).status_code == 403
    got = api("GET", nested, headers=auth(owner))
    assert got.status_code == 200 and got.json()["data"]["name"] == ch["name"], "a refused change was written"
    # A channel of another server under this server's path is not found.
    other = create_server(api, owner["accessToken"])
    r = api("PATCH", f"/api/servers/{other['id']}/channels/{ch['id']}", headers=auth(owner), json={"name": "x"})
    assert r.status_code == 404


def test_internal_routes_do_not_exist_over_the_network_however_spelled(api):
    for path in ("/internal/gateway-session", "//internal/gateway-session", "///internal/sessions-check",
                 "/internal//gateway-session", "/internal/realtime-reset"):
        for method in ("GET", "POST", "PUT", "DELETE", "OPTIONS"):
            r = api(method, path, headers={"Origin": "http://example.com"})
            assert r.status_code == 404, (method, path, r.status_code, r.headers.get("Allow"))
            assert "Allow" not in r.headers
