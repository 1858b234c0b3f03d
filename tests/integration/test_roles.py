"""Roles (seed 001): CRUD, assignment, the permission bitfield, hierarchy and delegation."""

from hype import bearer, register
from test_servers import create_server

MANAGE_ROLES = 1 << 28
KICK = 1 << 1
MANAGE_MESSAGES = 1 << 13
VIEW = 1 << 10


def make_server_with_members(api):
    owner, _ = register(api)
    mod, _ = register(api)
    user, _ = register(api)
    s = create_server(api, owner["accessToken"])
    for u in (mod, user):
        api("POST", f"/api/serverMembers/{s['id']}/members", headers=bearer(owner["accessToken"]),
            json={"userId": u["user"]["id"]})
    return owner, mod, user, s


def test_crud_and_shape(api):
    owner, mod, user, s = make_server_with_members(api)
    base = f"/api/servers/{s['id']}/roles"
    roles = api("GET", base, headers=bearer(user["accessToken"])).json()["data"]
    assert [r["name"] for r in roles] == ["@everyone"] and roles[0]["isEveryone"] is True
    assert int(roles[0]["permissions"]) & VIEW
    r = api("POST", base, headers=bearer(owner["accessToken"]),
            json={"name": "Mods", "color": "#FF0000", "permissions": MANAGE_MESSAGES | KICK, "position": 5,
                  "isHoisted": True})
    assert r.status_code == 201, r.text
    role = r.json()["data"]
    assert role["color"] == "#FF0000" and role["permissions"] == str(MANAGE_MESSAGES | KICK)
    assert role["position"] == 5 and role["isHoisted"] is True and role["isMentionable"] is False
    r = api("PATCH", f"{base}/{role['id']}", headers=bearer(owner["accessToken"]),
            json={"name": "Moderators", "permissions": str(MANAGE_MESSAGES), "color": 255})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Moderators"
    assert r.json()["data"]["permissions"] == str(MANAGE_MESSAGES) and r.json()["data"]["color"] == "#0000FF"
    listed = api("GET", base, headers=bearer(owner["accessToken"])).json()["data"]
    assert [x["name"] for x in listed] == ["Moderators", "@everyone"]
    assert api("DELETE", f"{base}/{role['id']}", headers=bearer(owner["accessToken"])).status_code == 204
    assert api("DELETE", f"{base}/{role['id']}", headers=bearer(owner["accessToken"])).status_code == 404
    everyone = listed[1]["id"]
    r = api("DELETE", f"{base}/{everyone}", headers=bearer(owner["accessToken"]))
    assert r.status_code == 400 and r.json()["error"] == "The @everyone role cannot be deleted"


def test_validation(api):
    owner, mod, user, s = make_server_with_members(api)
    base = f"/api/servers/{s['id']}/roles"
    for body in ({"name": "x", "color": "red"}, {"name": "x", "permissions": -1},
                 {"name": "x", "permissions": "12abc"}, {"name": "x", "permissions": 1 << 40},
                 {"name": ""}, {"name": "x", "position": 0}):
        assert api("POST", base, headers=bearer(owner["accessToken"]), json=body).status_code == 400, body


def test_assignment_grants_permissions(api):
    owner, mod, user, s = make_server_with_members(api)
    base = f"/api/servers/{s['id']}/roles"
    role = api("POST", base, headers=bearer(owner["accessToken"]),
               json={"name": "Kickers", "permissions": KICK | MANAGE_ROLES, "position": 3}).json()["data"]
    members_url = f"/api/serverMembers/{s['id']}/members"
    # Without the role, the moderator cannot kick.
    assert api("DELETE", f"{members_url}/{user['user']['id']}", headers=bearer(mod["accessToken"])).status_code == 403
    r = api("POST", f"{base}/members/{mod['user']['id']}/roles/{role['id']}", headers=bearer(owner["accessToken"]))
    assert r.status_code == 201
    member = [m for m in api("GET", members_url, headers=bearer(owner["accessToken"])).json()["data"]
              if m["userId"] == mod["user"]["id"]][0]
    assert member["roles"] == [role["id"]] and member["role"] == "moderator"
    assert api("DELETE", f"{members_url}/{user['user']['id']}", headers=bearer(mod["accessToken"])).status_code == 204
    # Taking the role away takes the power with it.
    r = api("DELETE", f"{base}/members/{mod['user']['id']}/roles/{role['id']}", headers=bearer(owner["accessToken"]))
    assert r.status_code == 204
    assert api("POST", base, headers=bearer(mod["accessToken"]), json={"name": "x"}).status_code == 403
    r = api("POST", f"{base}/members/123456789/roles/{role['id']}", headers=bearer(owner["accessToken"]))
    assert r.status_code == 404


def test_hierarchy_and_delegation(api):
    owner, mod, user, s = make_server_with_members(api)
    base = f"/api/servers/{s['id']}/roles"
    high = api("POST", base, headers=bearer(owner["accessToken"]),
               json={"name": "Admins", "permissions": MANAGE_ROLES | KICK, "position": 10}).json()["data"]
    managers = api("POST", base, headers=bearer(owner["accessToken"]),
                   json={"name": "Managers", "permissions": MANAGE_ROLES, "position": 5}).json()["data"]
    api("POST", f"{base}/members/{mod['user']['id']}/roles/{managers['id']}", headers=bearer(owner["accessToken"]))
    # Below its own role the manager may work...
    r = api("POST", base, headers=bearer(mod["accessToken"]), json={"name": "Helpers", "position": 2})
    assert r.status_code == 201, r.text
    helpers = r.json()["data"]
    assert api("PATCH", f"{base}/{helpers['id']}", headers=bearer(mod["accessToken"]),
               json={"name": "Helpers!"}).status_code == 200
    # ...but not at or above it, nor hand out what it does not hold.
    r = api("POST", base, headers=bearer(mod["accessToken"]), json={"name": "Equal", "position": 5})
    assert r.status_code == 403
    r = api("PATCH", f"{base}/{high['id']}", headers=bearer(mod["accessToken"]), json={"name": "Mine"})
    assert r.status_code == 403 and r.json()["error"] == "You cannot manage a role at or above your highest role"
    assert api("DELETE", f"{base}/{managers['id']}", headers=bearer(mod["accessToken"])).status_code == 403
    r = api("POST", base, headers=bearer(mod["accessToken"]), json={"name": "Kick", "position": 1, "permissions": KICK})
    assert r.status_code == 403 and r.json()["error"] == "You cannot grant permissions you do not have"
    r = api("POST", f"{base}/members/{user['user']['id']}/roles/{high['id']}", headers=bearer(mod["accessToken"]))
    assert r.status_code == 403
    r = api("POST", f"{base}/members/{user['user']['id']}/roles/{helpers['id']}", headers=bearer(mod["accessToken"]))
    assert r.status_code == 201
    assert api("GET", base, headers=bearer(register(api)[0]["accessToken"])).status_code == 403
