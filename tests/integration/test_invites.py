"""Invites (seed 001): create, public lookup, accept (maxUses holds under concurrency), list, revoke."""

import concurrent.futures

from hype import bearer, register
from test_servers import create_server


def make_invite(api, who, server, **body):
    r = api("POST", f"/api/invite/{server['id']}/invite", headers=bearer(who["accessToken"]), json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]["invite"]


def test_create_lookup_accept(api):
    owner, _ = register(api)
    guest, _ = register(api)
    s = create_server(api, owner["accessToken"], description="come in")
    inv = make_invite(api, owner, s, maxUses=10, expiresAt="2099-12-31T23:59:59.000Z")
    assert inv["uses"] == 0 and inv["maxUses"] == 10 and inv["expiresAt"] == "2099-12-31T23:59:59.000Z"
    assert inv["serverId"] == s["id"] and len(inv["token"]) == 12
    r = api("GET", f"/api/invite/invite/{inv['token']}")
    assert r.status_code == 200
    assert r.json()["data"]["server"]["name"] == s["name"] and r.json()["data"]["server"]["memberCount"] == 1
    r = api("POST", f"/api/invite/invite/{inv['token']}/accept", headers=bearer(guest["accessToken"]))
    assert r.status_code == 200 and r.json()["message"] == "User added to server"
    r = api("POST", f"/api/invite/invite/{inv['token']}/accept", headers=bearer(guest["accessToken"]))
    assert r.status_code == 200 and r.json()["data"]["joined"] is False
    assert api("GET", f"/api/invite/invite/{inv['token']}").json()["data"]["invite"]["uses"] == 1
    mine = api("GET", "/api/servers", headers=bearer(guest["accessToken"])).json()["data"]
    assert s["id"] in [x["id"] for x in mine]
    assert api("GET", "/api/invite/invite/nonexistent-token").status_code == 404
    assert api("POST", f"/api/invite/invite/{inv['token']}/accept").status_code == 401


def test_create_rules(api):
    owner, _ = register(api)
    outsider, _ = register(api)
    s = create_server(api, owner["accessToken"])
    url = f"/api/invite/{s['id']}/invite"
    assert api("POST", url, headers=bearer(outsider["accessToken"]), json={}).status_code == 403
    assert api("POST", url, json={}).status_code == 401
    r = api("POST", url, headers=bearer(owner["accessToken"]), json={"maxUses": 0, "expiresAt": "soon"})
    assert r.status_code == 400 and {d["path"][0] for d in r.json()["details"]} == {"maxUses", "expiresAt"}
    assert api("POST", "/api/invite/1234567/invite", headers=bearer(owner["accessToken"]), json={}).status_code == 404


def test_max_uses_under_concurrent_accepts(api):
    owner, _ = register(api)
    s = create_server(api, owner["accessToken"])
    inv = make_invite(api, owner, s, maxUses=5)
    users = [register(api)[0] for _ in range(20)]

    def accept(u):
        return api("POST", f"/api/invite/invite/{inv['token']}/accept", headers=bearer(u["accessToken"]))

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(accept, users))
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 5 and codes.count(410) == 15, codes
    assert all(r.json()["error"] == "Invite has reached its maximum uses" for r in results if r.status_code == 410)
    after = api("GET", f"/api/invite/invite/{inv['token']}").json()["data"]
    assert after["invite"]["uses"] == 5 and after["server"]["memberCount"] == 6


def test_expired_and_blocked(api, pg):
    owner, _ = register(api)
    guest, _ = register(api)
    s = create_server(api, owner["accessToken"])
    # An invite cannot be created expired (400): age one in the database instead.
    old = make_invite(api, owner, s, expiresAt="2999-01-01T00:00:00Z")
    pg.psql("hype", f"UPDATE invites SET expires_at = '2020-01-01T00:00:00Z' WHERE id = {old['id']}")
    r = api("POST", f"/api/invite/invite/{old['token']}/accept", headers=bearer(guest["accessToken"]))
    assert r.status_code == 410 and r.json()["error"] == "Invite has expired"
    fresh = make_invite(api, owner, s)
    pg.psql("hype", f"UPDATE servers SET is_blocked = true WHERE id = {s['id']}")
    r = api("POST", f"/api/invite/invite/{fresh['token']}/accept", headers=bearer(guest["accessToken"]))
    assert r.status_code == 403
    assert api("GET", f"/api/invite/invite/{fresh['token']}").status_code == 404


def test_list_and_revoke(api):
    owner, _ = register(api)
    member, _ = register(api)
    s = create_server(api, owner["accessToken"])
    inv = make_invite(api, owner, s)
    api("POST", f"/api/invite/invite/{inv['token']}/accept", headers=bearer(member["accessToken"]))
    mine = make_invite(api, member, s)  # members may invite (@everyone has create-invite)
    r = api("GET", f"/api/invite/{s['id']}/invites", headers=bearer(owner["accessToken"]))
    assert r.status_code == 200 and {i["id"] for i in r.json()["data"]} == {inv["id"], mine["id"]}
    assert api("GET", f"/api/invite/{s['id']}/invites", headers=bearer(member["accessToken"])).status_code == 403
    assert api("DELETE", f"/api/invite/{inv['id']}", headers=bearer(member["accessToken"])).status_code == 403
    assert api("DELETE", f"/api/invite/{mine['id']}", headers=bearer(member["accessToken"])).status_code == 204
    assert api("DELETE", f"/api/invite/{inv['id']}", headers=bearer(owner["accessToken"])).status_code == 204
    assert api("GET", f"/api/invite/invite/{inv['token']}").status_code == 404
    assert api("DELETE", f"/api/invite/{inv['id']}", headers=bearer(owner["accessToken"])).status_code == 404
