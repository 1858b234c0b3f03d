"""Servers (seeds 000 and 001): the seeded default server, creation, listing, update, deletion."""

from hype import bearer, register, unique_name

SERVER_KEYS = {"id", "name", "description", "iconUrl", "bannerUrl", "ownerId", "owner", "_count",
               "createdAt", "updatedAt"}


def create_server(api, token, **fields):
    body = {"name": unique_name("srv")}
    body.update(fields)
    r = api("POST", "/api/servers", headers=bearer(token), json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def test_default_server_is_seeded_and_new_users_join_it(api):
    r = api("GET", "/api/servers")
    assert r.status_code == 200
    default = [s for s in r.json()["data"] if s["name"] == "Hype Community"]
    assert len(default) == 1
    s = default[0]
    assert SERVER_KEYS <= set(s)
    assert s["owner"]["username"] == "system" and s["_count"]["channels"] == 4
    me, _ = register(api)
    mine = api("GET", "/api/servers", headers=bearer(me["accessToken"])).json()["data"]
    assert [x["name"] for x in mine] == ["Hype Community"]
    assert api("GET", f"/api/servers/{s['id']}").json()["data"]["_count"]["members"] >= 2


def test_create_and_list(api):
    me, _ = register(api)
    s = create_server(api, me["accessToken"], description="A place", iconUrl="https://i.example.com/x.png")
    assert s["ownerId"] == me["user"]["id"] and s["owner"]["username"] == me["user"]["username"]
    assert s["_count"] == {"members": 1, "channels": 2}
    assert s["icon"] == s["iconUrl"] == "https://i.example.com/x.png"
    mine = api("GET", "/api/servers", headers=bearer(me["accessToken"])).json()
    assert s["id"] in [x["id"] for x in mine["data"]] and mine["meta"]["total"] == 2
    other, _ = register(api)
    theirs = api("GET", "/api/servers", headers=bearer(other["accessToken"])).json()["data"]
    assert s["id"] not in [x["id"] for x in theirs], "signed-in lists show only your own servers"
    public = api("GET", "/api/servers", params={"limit": 1000}).json()["data"]
    assert s["id"] in [x["id"] for x in public]
    got = api("GET", f"/api/servers/{s['id']}").json()["data"]
    assert got["name"] == s["name"] and got["_count"]["channels"] == 2


def test_create_validation_and_auth(api):
    me, _ = register(api)
    assert api("POST", "/api/servers", json={"name": "x"}).status_code == 401
    r = api("POST", "/api/servers", headers=bearer(me["accessToken"]), json={"name": "", "iconUrl": "nope"})
    assert r.status_code == 400
    assert {d["path"][0] for d in r.json()["details"]} == {"name", "iconUrl"}
    r = api("POST", "/api/servers", headers=bearer(me["accessToken"]), json={})
    assert r.status_code == 400 and r.json()["details"][0]["message"] == "Required"


def test_get_unknown_and_blocked(api, pg):
    assert api("GET", "/api/servers/123456789").status_code == 404
    assert api("GET", "/api/servers/not-an-id").json() == {"success": False, "error": "Server not found"}
    me, _ = register(api)
    s = create_server(api, me["accessToken"])
    pg.psql("hype", f"UPDATE servers SET is_blocked = true WHERE id = {s['id']}")
    r = api("GET", f"/api/servers/{s['id']}", headers=bearer(me["accessToken"]))
    assert r.status_code == 403 and r.json()["error"] == "Server is blocked"
    public = api("GET", "/api/servers", params={"limit": 1000}).json()["data"]
    assert s["id"] not in [x["id"] for x in public]


def test_update_permissions(api):
    owner, _ = register(api)
    other, _ = register(api)
    s = create_server(api, owner["accessToken"])
    r = api("PUT", f"/api/servers/{s['id']}", headers=bearer(owner["accessToken"]),
            json={"name": "Renamed", "description": None})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Renamed"
    assert r.json()["data"]["description"] is None
    r = api("PATCH", f"/api/servers/{s['id']}", headers=bearer(owner["accessToken"]), json={"icon": "https://a.b/c.png"})
    assert r.status_code == 200 and r.json()["data"]["iconUrl"] == "https://a.b/c.png"
    r = api("PUT", f"/api/servers/{s['id']}", headers=bearer(other["accessToken"]), json={"name": "Mine now"})
    assert r.status_code == 403 and r.json()["error"] == "You are not a member of this server"
    assert api("PUT", f"/api/servers/{s['id']}", json={"name": "x"}).status_code == 401
    assert api("GET", f"/api/servers/{s['id']}").json()["data"]["name"] == "Renamed"


def test_delete(api):
    owner, _ = register(api)
    other, _ = register(api)
    s = create_server(api, owner["accessToken"])
    assert api("DELETE", f"/api/servers/{s['id']}", headers=bearer(other["accessToken"])).status_code == 403
    r = api("DELETE", f"/api/servers/{s['id']}", headers=bearer(owner["accessToken"]))
    assert r.status_code == 204 and r.text == ""
    assert api("GET", f"/api/servers/{s['id']}").status_code == 404
    assert api("GET", f"/api/servers/{s['id']}/channels", headers=bearer(owner["accessToken"])).status_code == 404
    default = [x for x in api("GET", "/api/servers").json()["data"] if x["name"] == "Hype Community"][0]
    r = api("DELETE", f"/api/servers/{default['id']}", headers=bearer(owner["accessToken"]))
    assert r.status_code == 403


def test_v1_alias(api):
    assert api("GET", "/api/v1/servers").status_code == 200
