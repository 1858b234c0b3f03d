"""Channels under servers (seeds 000 and 001), with permission checks and private channels."""

from hype import bearer, register
from test_servers import create_server

CHANNEL_KEYS = {"id", "name", "type", "topic", "position", "serverId", "userLimit", "bitrate", "server",
                "createdBy", "_count", "createdAt", "updatedAt"}


def default_server(api):
    return [x for x in api("GET", "/api/servers").json()["data"] if x["name"] == "Hype Community"][0]


def test_default_channels_are_public(api):
    s = default_server(api)
    r = api("GET", f"/api/servers/{s['id']}/channels")
    assert r.status_code == 200
    chans = r.json()["data"]
    assert [c["name"] for c in chans] == ["general", "announcements", "General Voice", "Gaming"]
    general, voice = chans[0], chans[2]
    assert CHANNEL_KEYS <= set(general)
    assert general["type"] == "TEXT" and general["topic"] == "General discussion" and general["bitrate"] is None
    assert voice["type"] == "VOICE" and voice["bitrate"] == 64
    # The counts are the channel's own, whatever other tests posted there before this one.
    member, _ = register(api)
    total = api("GET", "/api/messages", headers=bearer(member["accessToken"]),
                params={"channelId": general["id"], "limit": 1}).json()["meta"]["total"]
    assert general["_count"]["messages"] == total
    assert set(general["_count"]) == {"messages", "voiceStates"}
    assert general["server"] == {"id": s["id"], "name": "Hype Community"}
    one = api("GET", f"/api/servers/{s['id']}/channels/{general['id']}")
    assert one.status_code == 200 and one.json()["data"]["id"] == general["id"]


def test_create_update_delete(api):
    owner, _ = register(api)
    token = owner["accessToken"]
    s = create_server(api, token)
    base = f"/api/servers/{s['id']}/channels"
    r = api("POST", base, headers=bearer(token), json={"name": "lounge", "type": "voice", "userLimit": 5})
    assert r.status_code == 201, r.text
    c = r.json()["data"]
    assert c["type"] == "VOICE" and c["bitrate"] == 64 and c["userLimit"] == 5 and c["position"] == 2
    assert c["createdBy"]["id"] == owner["user"]["id"]
    r = api("POST", base, headers=bearer(token), json={"name": "news", "type": "ANNOUNCEMENT", "topic": "t",
                                                      "bitrate": 96})
    assert r.status_code == 201 and r.json()["data"]["bitrate"] is None, "bitrate is for voice channels"
    r = api("PUT", f"{base}/{c['id']}", headers=bearer(token), json={"name": "Lounge", "bitrate": 128})
    assert r.status_code == 200
    assert r.json()["data"]["name"] == "Lounge" and r.json()["data"]["bitrate"] == 128
    assert [x["name"] for x in api("GET", base, headers=bearer(token)).json()["data"]] == \
        ["general", "General", "Lounge", "news"]
    r = api("DELETE", f"{base}/{c['id']}", headers=bearer(token))
    assert r.status_code == 204
    assert api("GET", f"{base}/{c['id']}", headers=bearer(token)).status_code == 404
    assert api("DELETE", f"{base}/{c['id']}", headers=bearer(token)).status_code == 404


def test_validation_and_permissions(api):
    owner, _ = register(api)
    other, _ = register(api)
    s = create_server(api, owner["accessToken"])
    base = f"/api/servers/{s['id']}/channels"
    r = api("POST", base, headers=bearer(owner["accessToken"]), json={"name": "x", "type": "video"})
    assert r.status_code == 400 and r.json()["details"][0]["code"] == "invalid_enum_value"
    r = api("POST", base, headers=bearer(owner["accessToken"]), json={"name": "", "bitrate": 1000})
    assert r.status_code == 400
    r = api("POST", base, headers=bearer(other["accessToken"]), json={"name": "mine"})
    assert r.status_code == 403
    assert api("POST", base, json={"name": "anon"}).status_code == 401
    first = api("GET", base, headers=bearer(owner["accessToken"])).json()["data"][0]
    r = api("PUT", f"{base}/{first['id']}", headers=bearer(other["accessToken"]), json={"name": "x"})
    assert r.status_code == 403
    r = api("DELETE", f"{base}/{first['id']}", headers=bearer(other["accessToken"]))
    assert r.status_code == 403
    assert api("GET", "/api/servers/987654321/channels").status_code == 404
    # A channel id of another server is not found under this one.
    d = default_server(api)
    general = api("GET", f"/api/servers/{d['id']}/channels").json()["data"][0]
    assert api("GET", f"{base}/{general['id']}", headers=bearer(owner["accessToken"])).status_code == 404


def test_private_channel(api, pg):
    owner, _ = register(api)
    member, _ = register(api)
    s = create_server(api, owner["accessToken"])
    base = f"/api/servers/{s['id']}/channels"
    c = api("POST", base, headers=bearer(owner["accessToken"]), json={"name": "staff"}).json()["data"]
    everyone = pg.psql("hype", f"SELECT id FROM roles WHERE server_id = {s['id']} AND is_everyone")
    pg.psql("hype", f"INSERT INTO server_members (server_id, user_id) VALUES ({s['id']}, {member['user']['id']})")
    pg.psql("hype", f"INSERT INTO channel_overwrites VALUES ({c['id']}, 'role', {everyone}, 0, 1024)")
    names = [x["name"] for x in api("GET", base, headers=bearer(member["accessToken"])).json()["data"]]
    assert "staff" not in names and "general" in names
    assert api("GET", f"{base}/{c['id']}", headers=bearer(member["accessToken"])).status_code == 403
    assert api("GET", f"{base}/{c['id']}").status_code == 401
    names = [x["name"] for x in api("GET", base, headers=bearer(owner["accessToken"])).json()["data"]]
    assert "staff" in names
    # A member overwrite lets this one member in again.
    pg.psql("hype", f"INSERT INTO channel_overwrites VALUES ({c['id']}, 'member', {member['user']['id']}, 1024, 0)")
    assert api("GET", f"{base}/{c['id']}", headers=bearer(member["accessToken"])).status_code == 200


def test_permission_overwrites_api(api):
    """Private channels made over the API: overwrites for @everyone, a role and a member."""
    owner, _ = register(api)
    member, _ = register(api)
    outsider, _ = register(api)
    s = create_server(api, owner["accessToken"])
    sid = s["id"]
    base = f"/api/servers/{sid}/channels"
    c = api("POST", base, headers=bearer(owner["accessToken"]), json={"name": "vault"}).json()["data"]
    roles = api("GET", f"/api/servers/{sid}/roles", headers=bearer(owner["accessToken"])).json()["data"]
    everyone = [r for r in roles if r["name"] == "@everyone"][0]["id"]
    inv = api("POST", f"/api/invite/{sid}/invite", headers=bearer(owner["accessToken"]), json={}).json()["data"]
    token = inv.get("token") or inv["invite"]["token"]
    assert api("POST", f"/api/invite/invite/{token}/accept", headers=bearer(member["accessToken"])).status_code == 200
    perms = f"{base}/{c['id']}/permissions"
    # Deny view to @everyone: the channel disappears for the member.
    r = api("PUT", f"{perms}/{everyone}", headers=bearer(owner["accessToken"]),
            json={"type": "role", "allow": 0, "deny": "1024"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"id": everyone, "type": "role", "allow": "0", "deny": "1024"}
    assert api("GET", f"{base}/{c['id']}", headers=bearer(member["accessToken"])).status_code == 403
    assert api("GET", f"/api/channels/{c['id']}/access", headers=bearer(member["accessToken"])).status_code == 403
    # A member overwrite lets that member in.
    r = api("PUT", f"{perms}/{member['user']['id']}", headers=bearer(owner["accessToken"]),
            json={"type": "member", "allow": 1024 | 2048})
    assert r.status_code == 200
    assert api("GET", f"{base}/{c['id']}", headers=bearer(member["accessToken"])).status_code == 200
    access = api("GET", f"/api/channels/{c['id']}/access", headers=bearer(member["accessToken"])).json()["data"]
    assert access["serverId"] == sid and int(access["permissions"]) & 1024
    listed = api("GET", perms, headers=bearer(member["accessToken"])).json()["data"]
    assert {o["type"] for o in listed} == {"role", "member"}
    # Who may not: a member without manage-roles, an outsider, bad input, foreign targets.
    assert api("PUT", f"{perms}/{everyone}", headers=bearer(member["accessToken"]),
               json={"type": "role", "deny": 0}).status_code == 403
    assert api("GET", perms, headers=bearer(outsider["accessToken"])).status_code == 403
    assert api("PUT", f"{perms}/{everyone}", headers=bearer(owner["accessToken"]),
               json={"type": "team"}).status_code == 400
    assert api("PUT", f"{perms}/{everyone}", headers=bearer(owner["accessToken"]),
               json={"type": "role", "allow": 1024, "deny": 1024}).status_code == 400
    assert api("PUT", f"{perms}/{everyone}", headers=bearer(owner["accessToken"]),
               json={"type": "role", "allow": "lots"}).status_code == 400
    assert api("PUT", f"{perms}/{outsider['user']['id']}", headers=bearer(owner["accessToken"]),
               json={"type": "member", "allow": 1024}).status_code == 404
    assert api("PUT", f"/api/servers/1/channels/{c['id']}/permissions/{everyone}",
               headers=bearer(owner["accessToken"]), json={"type": "role"}).status_code == 404
    # Removing the member overwrite shuts the member out again.
    assert api("DELETE", f"{perms}/{member['user']['id']}?type=member",
               headers=bearer(owner["accessToken"])).status_code == 204
    assert api("DELETE", f"{perms}/{member['user']['id']}", headers=bearer(owner["accessToken"])).status_code == 404
    assert api("GET", f"{base}/{c['id']}", headers=bearer(member["accessToken"])).status_code == 403


def test_flat_channel_routes_of_seed_000(api):
    owner, _ = register(api)
    d = default_server(api)
    flat = api("GET", "/api/channels")
    assert flat.status_code == 200
    assert [c["name"] for c in flat.json()["data"]] == ["general", "announcements", "General Voice", "Gaming"]
    s = create_server(api, owner["accessToken"])
    mine = api("GET", "/api/channels", headers=bearer(owner["accessToken"]), params={"serverId": s["id"]}).json()["data"]
    assert [c["name"] for c in mine] == ["general", "General"]
    r = api("POST", "/api/channels", headers=bearer(owner["accessToken"]),
            json={"name": "flat-made", "type": "text", "serverId": s["id"]})
    assert r.status_code == 201 and r.json()["data"]["serverId"] == s["id"]
    c = r.json()["data"]
    assert api("GET", f"/api/channels/{c['id']}", headers=bearer(owner["accessToken"])).json()["data"]["name"] == "flat-made"
    r = api("PUT", f"/api/channels/{c['id']}", headers=bearer(owner["accessToken"]), json={"topic": "flat"})
    assert r.status_code == 200 and r.json()["data"]["topic"] == "flat"
    # Creating in the default server needs its manage-channels permission, which members lack.
    r = api("POST", "/api/channels", headers=bearer(owner["accessToken"]), json={"name": "nope"})
    assert r.status_code == 403
    assert api("DELETE", f"/api/channels/{c['id']}", headers=bearer(owner["accessToken"])).status_code == 204
    assert api("GET", f"/api/channels/{c['id']}", headers=bearer(owner["accessToken"])).status_code == 404
    general = api("GET", f"/api/servers/{d['id']}/channels").json()["data"][0]
    assert api("DELETE", f"/api/channels/{general['id']}", headers=bearer(owner["accessToken"])).status_code == 403
