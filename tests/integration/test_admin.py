"""Admin API (seed 001), global roles, blocking, the audit log, and hype-api --create-admin."""

import pytest

from hype import bearer, register, run_api_cli
from test_servers import create_server


@pytest.fixture(scope="module")
def admin(api):
    data, password = register(api)
    r = run_api_cli("--create-admin", data["user"]["username"], env=api.env)
    assert r.returncode == 0, r.stderr
    return data


def auth(u):
    return bearer(u["accessToken"])


def test_create_admin_cli_errors(api):
    r = run_api_cli("--create-admin", "no_such_person_anywhere", env=api.env)
    assert r.returncode != 0 and "no account named" in r.stderr


def test_roles_gate_the_admin_api(api, admin):
    user, _ = register(api)
    assert api("GET", "/api/admin/stats", headers=auth(user)).status_code == 403
    assert api("GET", "/api/admin/users", headers=auth(user)).status_code == 403
    assert api("GET", "/api/admin/stats").status_code == 401
    stats = api("GET", "/api/admin/stats", headers=auth(admin)).json()["data"]
    assert stats["users"]["total"] >= 2 and stats["users"]["byRole"]["admin"] >= 1
    assert set(stats) == {"users", "servers", "channels", "messages"}
    r = api("PUT", f"/api/admin/users/{user['user']['id']}", headers=auth(admin), json={"role": "moderator"})
    assert r.status_code == 200 and r.json()["data"]["role"] == "moderator"
    assert api("GET", "/api/admin/users", headers=auth(user)).status_code == 200, "moderators may look"
    assert api("GET", "/api/admin/stats", headers=auth(user)).status_code == 403, "but not everything"
    r = api("PUT", f"/api/admin/users/{admin['user']['id']}", headers=auth(admin), json={"role": "user"})
    assert r.status_code == 400


def test_user_listing_filters(api, admin):
    u, _ = register(api)
    page = api("GET", "/api/admin/users", headers=auth(admin), params={"search": u["user"]["username"]}).json()
    assert [x["id"] for x in page["data"]] == [u["user"]["id"]] and page["data"][0]["email"] == u["user"]["email"]
    assert page["meta"]["total"] == 1 and page["meta"]["page"] == 1
    admins = api("GET", "/api/admin/users", headers=auth(admin), params={"role": "admin"}).json()["data"]
    assert admin["user"]["id"] in [x["id"] for x in admins] and all(x["role"] == "admin" for x in admins)
    limited = api("GET", "/api/admin/users", headers=auth(admin), params={"limit": 2, "page": 2}).json()
    assert len(limited["data"]) <= 2 and limited["meta"]["limit"] == 2
    assert api("GET", "/api/admin/users", headers=auth(admin), params={"role": "king"}).status_code == 400
    one = api("GET", f"/api/admin/users/{u['user']['id']}", headers=auth(admin))
    assert one.status_code == 200 and one.json()["data"]["isActive"] is True
    assert api("GET", "/api/admin/users/123456789", headers=auth(admin)).status_code == 404


def test_blocking_an_account(api, admin):
    u, password = register(api)
    r = api("PUT", f"/api/admin/users/{u['user']['id']}", headers=auth(admin), json={"isActive": False})
    assert r.status_code == 200 and r.json()["data"]["isBlocked"] is True
    assert api("GET", "/auth/me", headers=auth(u)).status_code == 401, "its sessions end at once"
    r = api("POST", "/auth/login", json={"username": u["user"]["username"], "password": password})
    assert r.status_code == 403 and r.json()["error"] == "Account is blocked"
    r = api("POST", "/auth/login", json={"username": u["user"]["username"], "password": "not-the-password"})
    assert r.status_code == 401, "the block is only revealed to who knows the password"
    blocked = api("GET", "/api/admin/users", headers=auth(admin), params={"status": "blocked"}).json()["data"]
    assert u["user"]["id"] in [x["id"] for x in blocked]
    api("PUT", f"/api/admin/users/{u['user']['id']}", headers=auth(admin), json={"isBlocked": False})
    assert api("POST", "/auth/login", json={"username": u["user"]["username"], "password": password}).status_code == 200


def test_servers_block_delete_and_logs(api, admin):
    owner, _ = register(api)
    s = create_server(api, owner["accessToken"], name="Shady Place")
    listed = api("GET", "/api/admin/servers", headers=auth(admin), params={"search": "shady"}).json()["data"]
    assert [x["id"] for x in listed] == [s["id"]]
    url = f"/api/admin/servers/{s['id']}"
    assert api("POST", f"{url}/block", headers=auth(admin), json={"reason": "no"}).status_code == 400
    r = api("POST", f"{url}/block", headers=auth(admin), json={"reason": "spam ring"})
    assert r.status_code == 200 and r.json()["data"]["isBlocked"] is True
    assert r.json()["data"]["blockedReason"] == "spam ring"
    assert api("GET", f"/api/servers/{s['id']}").status_code == 403
    assert api("POST", f"{url}/unblock", headers=auth(admin)).status_code == 200
    assert api("GET", f"/api/servers/{s['id']}").status_code == 200
    r = api("DELETE", f"/api/admin/users/{owner['user']['id']}", headers=auth(admin))
    assert r.status_code == 409, "an owner's account goes after its servers"
    assert api("DELETE", url, headers=auth(admin)).status_code == 204
    assert api("GET", f"/api/servers/{s['id']}").status_code == 404
    assert api("DELETE", f"/api/admin/users/{owner['user']['id']}", headers=auth(admin)).status_code == 204
    logs = api("GET", "/api/admin/logs", headers=auth(admin), params={"limit": 100}).json()["data"]
    actions = [(l["action"], l["targetId"]) for l in logs]
    for entry in [("server.block", s["id"]), ("server.unblock", s["id"]), ("server.delete", s["id"]),
                  ("user.delete", owner["user"]["id"])]:
        assert entry in actions, entry
    block = [l for l in logs if l["action"] == "server.block" and l["targetId"] == s["id"]][0]
    assert block["actor"]["id"] == admin["user"]["id"] and block["details"]["reason"] == "spam ring"
    default = [x for x in api("GET", "/api/servers").json()["data"] if x["name"] == "Hype Community"][0]
    assert api("DELETE", f"/api/admin/servers/{default['id']}", headers=auth(admin)).status_code == 404


def test_moderation_actions_are_audited(api, admin, pg):
    owner, _ = register(api)
    member, _ = register(api)
    s = create_server(api, owner["accessToken"])
    api("POST", f"/api/serverMembers/{s['id']}/members", headers=auth(owner), json={"userId": member["user"]["id"]})
    general = api("GET", f"/api/servers/{s['id']}/channels", headers=auth(owner)).json()["data"][0]
    m = api("POST", "/api/messages", headers=auth(member), json={"content": "rule-breaking", "channelId": general["id"]}).json()["data"]
    own = api("POST", "/api/messages", headers=auth(member), json={"content": "mine", "channelId": general["id"]}).json()["data"]
    assert api("DELETE", f"/api/messages/{own['id']}", headers=auth(member)).status_code == 200
    assert api("DELETE", f"/api/messages/{m['id']}", headers=auth(owner)).status_code == 200
    assert api("DELETE", f"/api/serverMembers/{s['id']}/members/{member['user']['id']}", headers=auth(owner)).status_code == 204
    logs = api("GET", "/api/admin/logs", headers=auth(admin), params={"limit": 100}).json()["data"]
    actions = {(l["action"], l["targetId"]) for l in logs}
    assert ("message.delete", m["id"]) in actions
    assert ("message.delete", own["id"]) not in actions, "deleting your own message is no moderation"
    assert ("member.kick", member["user"]["id"]) in actions


def test_role_changes_are_audited(api, admin):
    owner, _ = register(api)
    member, _ = register(api)
    s = create_server(api, owner["accessToken"])
    sid = s["id"]
    api("POST", f"/api/serverMembers/{sid}/members", headers=auth(owner), json={"userId": member["user"]["id"]})
    role = api("POST", f"/api/servers/{sid}/roles", headers=auth(owner),
               json={"name": "mods", "permissions": "8192"}).json()["data"]
    assert api("PATCH", f"/api/servers/{sid}/roles/{role['id']}", headers=auth(owner),
               json={"name": "moderators"}).status_code == 200
    url = f"/api/servers/{sid}/roles/members/{member['user']['id']}/roles/{role['id']}"
    assert api("POST", url, headers=auth(owner)).status_code == 201
    assert api("DELETE", url, headers=auth(owner)).status_code == 204
    assert api("DELETE", f"/api/servers/{sid}/roles/{role['id']}", headers=auth(owner)).status_code == 204
    logs = api("GET", "/api/admin/logs", headers=auth(admin), params={"limit": 100}).json()["data"]
    mine = [(l["action"], l["targetId"]) for l in logs if l["actor"] and l["actor"]["id"] == owner["user"]["id"]]
    for entry in [("role.create", role["id"]), ("role.update", role["id"]), ("role.delete", role["id"]),
                  ("role.assign", member["user"]["id"]), ("role.unassign", member["user"]["id"])]:
        assert entry in mine, entry
    created = [l for l in logs if l["action"] == "role.create" and l["targetId"] == role["id"]][0]
    assert created["details"] == {"serverId": sid, "name": "mods", "permissions": "8192"}
