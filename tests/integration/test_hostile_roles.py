"""What a hostile member tries with roles, kicks, nicknames and sheer numbers: role delegation,
the hierarchy between members, and the limits on roles per server and overwrites per channel."""

from concurrent.futures import ThreadPoolExecutor

import requests

from hype import bearer, register
from test_servers import create_server

KICK = 1 << 1
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
VIEW = 1 << 10
SEND = 1 << 11
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28

ROLES_MAX = 250  # per server, @everyone not counted
OVERWRITES_MAX = 500  # per channel


class Client:
    """One user's keep-alive connection to hype-api (hundreds of requests stay fast)."""

    def __init__(self, api, account):
        self.api, self.account, self.session = api, account, requests.Session()
        self.id = account["user"]["id"]

    def __call__(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.api.url + path, headers=bearer(self.account["accessToken"]), **kw)


def server_with(api, n_members):
    """An owner, n_members members, the server; as Clients."""
    owner = Client(api, register(api)[0])
    s = create_server(api, owner.account["accessToken"])
    members = []
    for _ in range(n_members):
        m = Client(api, register(api)[0])
        r = owner("POST", f"/api/serverMembers/{s['id']}/members", json={"userId": m.id})
        assert r.status_code == 201, r.text
        members.append(m)
    return owner, members, s["id"]


def make_role(who, sid, name, permissions=0, position=1):
    r = who("POST", f"/api/servers/{sid}/roles", json={"name": name, "permissions": permissions, "position": position})
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


def assign_url(sid, user_id, role_id):
    return f"/api/servers/{sid}/roles/members/{user_id}/roles/{role_id}"


def give(who, sid, target, role_id):
    r = who("POST", assign_url(sid, target.id, role_id))
    assert r.status_code == 201, r.text


# ---- 3. delegation: assigning or removing a role takes every permission it carries ----

def test_manage_roles_cannot_assign_itself_administrator(api):
    owner, (mod, user), sid = server_with(api, 2)
    admin = make_role(owner, sid, "Admin", ADMINISTRATOR, position=1)
    managers = make_role(owner, sid, "Managers", MANAGE_ROLES, position=2)
    give(owner, sid, mod, managers)
    # The Administrator role sits below the manager's own, but carries what it does not hold.
    r = mod("POST", assign_url(sid, mod.id, admin))
    assert r.status_code == 403, r.text
    assert r.json() == {"success": False, "error": "You cannot manage a role with permissions you do not have"}
    assert mod("POST", assign_url(sid, user.id, admin)).status_code == 403
    assert mod("DELETE", f"/api/servers/{sid}").status_code == 403
    assert owner("GET", f"/api/servers/{sid}").status_code == 200, "the owner's server survives"
    # Nor can it take the role from someone who holds it (the owner gave it).
    give(owner, sid, user, admin)
    assert mod("DELETE", assign_url(sid, user.id, admin)).status_code == 403
    # With the delegation satisfied the same routes work, on itself and on others.
    kickers = make_role(owner, sid, "Kickers", KICK, position=1)
    assert mod("POST", assign_url(sid, mod.id, kickers)).status_code == 403
    r = owner("PATCH", f"/api/servers/{sid}/roles/{managers}", json={"permissions": MANAGE_ROLES | KICK})
    assert r.status_code == 200, r.text
    assert mod("POST", assign_url(sid, mod.id, kickers)).status_code == 201
    helper = make_role(owner, sid, "Helper", 0, position=1)
    assert mod("POST", assign_url(sid, owner.id, helper)).status_code == 403, "nobody changes the owner's roles"
    assert owner("DELETE", assign_url(sid, user.id, admin)).status_code == 204
    assert mod("POST", assign_url(sid, user.id, kickers)).status_code == 201
    assert mod("DELETE", assign_url(sid, user.id, kickers)).status_code == 204
    # An administrator (not the owner) holds every permission and may hand out the role.
    assert owner("POST", assign_url(sid, user.id, admin)).status_code == 201
    assert owner("PATCH", f"/api/servers/{sid}/roles/{admin}", json={"position": 5}).status_code == 200
    assert user("POST", assign_url(sid, mod.id, admin)).status_code == 403, "not below its own highest role"
    assert user("POST", assign_url(sid, mod.id, kickers)).status_code == 201


def test_editing_or_deleting_a_role_takes_its_permissions_too(api):
    owner, (mod,), sid = server_with(api, 1)
    admin = make_role(owner, sid, "Admin", ADMINISTRATOR, position=1)
    managers = make_role(owner, sid, "Managers", MANAGE_ROLES, position=2)
    give(owner, sid, mod, managers)
    r = mod("PATCH", f"/api/servers/{sid}/roles/{admin}", json={"permissions": 0})
    assert r.status_code == 403, "taking Administrator away from a role is managing it"
    assert mod("DELETE", f"/api/servers/{sid}/roles/{admin}").status_code == 403
    roles = {x["id"]: x for x in owner("GET", f"/api/servers/{sid}/roles").json()["data"]}
    assert roles[admin]["permissions"] == str(ADMINISTRATOR)
    plain = make_role(owner, sid, "Plain", 0, position=1)
    assert mod("PATCH", f"/api/servers/{sid}/roles/{plain}", json={"permissions": ADMINISTRATOR}).status_code == 403
    assert mod("PATCH", f"/api/servers/{sid}/roles/{plain}", json={"name": "Plainer"}).status_code == 200
    assert mod("DELETE", f"/api/servers/{sid}/roles/{plain}").status_code == 204


# ---- 4. the hierarchy between members: kick, nickname, roles ----

def test_kick_needs_a_higher_role(api):
    owner, (admin, kicker, peer, plain), sid = server_with(api, 4)
    url = f"/api/serverMembers/{sid}/members"
    admins = make_role(owner, sid, "Admins", ADMINISTRATOR, position=8)
    kickers = make_role(owner, sid, "Kickers", KICK, position=1)
    give(owner, sid, admin, admins)
    give(owner, sid, kicker, kickers)
    give(owner, sid, peer, kickers)
    r = kicker("DELETE", f"{url}/{admin.id}")
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "You can only act on members whose highest role is below yours"
    assert kicker("DELETE", f"{url}/{peer.id}").status_code == 403, "an equal is not below"
    assert kicker("DELETE", f"{url}/{owner.id}").status_code == 403
    assert admin("DELETE", f"{url}/{owner.id}").status_code == 403, "the owner is above everyone"
    assert kicker("DELETE", f"{url}/123456789").status_code == 404
    assert kicker("DELETE", f"{url}/{plain.id}").status_code == 204
    assert admin("DELETE", f"{url}/{peer.id}").status_code == 204
    members = {m["userId"] for m in owner("GET", url).json()["data"]}
    assert members == {owner.id, admin.id, kicker.id}
    assert kicker("DELETE", f"{url}/{kicker.id}").status_code == 204, "leaving is no kick"
    assert owner("DELETE", f"{url}/{admin.id}").status_code == 204


def test_nicknames_follow_the_hierarchy(api):
    owner, (mod, senior, plain), sid = server_with(api, 3)
    url = f"/api/serverMembers/{sid}/members"
    mods = make_role(owner, sid, "Mods", MANAGE_NICKNAMES, position=2)
    seniors = make_role(owner, sid, "Seniors", 0, position=5)
    give(owner, sid, mod, mods)
    give(owner, sid, senior, seniors)
    r = mod("PUT", f"{url}/{owner.id}", json={"nickname": "Boss"})
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "You cannot act on the server owner"
    assert mod("PUT", f"{url}/{senior.id}", json={"nickname": "Old"}).status_code == 403
    assert mod("PUT", f"{url}/123456789", json={"nickname": "Ghost"}).status_code == 404
    r = mod("PUT", f"{url}/{plain.id}", json={"nickname": "Newbie"})
    assert r.status_code == 200 and r.json()["data"]["nickname"] == "Newbie"
    assert mod("PUT", f"{url}/{mod.id}", json={"nickname": "Me"}).status_code == 200
    assert plain("PUT", f"{url}/{plain.id}", json={"nickname": "Mine"}).status_code == 200
    assert owner("PUT", f"{url}/{senior.id}", json={"nickname": "Sir"}).status_code == 200
    nick = {m["userId"]: m["nickname"] for m in owner("GET", url).json()["data"]}
    assert nick[owner.id] is None and nick[senior.id] == "Sir" and nick[plain.id] == "Mine"


def test_role_changes_follow_the_hierarchy(api):
    owner, (manager, senior, plain), sid = server_with(api, 3)
    managers = make_role(owner, sid, "Managers", MANAGE_ROLES, position=5)
    seniors = make_role(owner, sid, "Seniors", 0, position=6)
    helpers = make_role(owner, sid, "Helpers", 0, position=1)
    give(owner, sid, manager, managers)
    give(owner, sid, senior, seniors)
    give(owner, sid, senior, helpers)
    assert manager("POST", assign_url(sid, senior.id, helpers)).status_code == 403
    assert manager("DELETE", assign_url(sid, senior.id, helpers)).status_code == 403
    assert manager("POST", assign_url(sid, owner.id, helpers)).status_code == 403
    assert manager("POST", assign_url(sid, "123456789", helpers)).status_code == 404
    assert manager("POST", assign_url(sid, manager.id, helpers)).status_code == 201, "yourself"
    assert manager("POST", assign_url(sid, plain.id, helpers)).status_code == 201
    assert manager("DELETE", assign_url(sid, plain.id, helpers)).status_code == 204
    assert owner("DELETE", assign_url(sid, senior.id, helpers)).status_code == 204


# ---- 5. limits where the data is written, and a computation that copes with all of it ----

def test_role_cap_holds_under_concurrent_creates(api):
    owner, (member, other), sid = server_with(api, 2)
    base = f"/api/servers/{sid}/roles"
    ids = [make_role(owner, sid, f"r{i}") for i in range(ROLES_MAX - 10)]

    def create(i):
        # One connection per request: they race in the daemon and in PostgreSQL.
        return requests.post(api.url + base, headers=bearer(owner.account["accessToken"]),
                             json={"name": f"race{i}"}, timeout=30)

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(create, range(30)))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 10 + [400] * 20, codes
    ids += [r.json()["data"]["id"] for r in results if r.status_code == 201]
    r = owner("POST", base, json={"name": "one too many"})
    assert r.status_code == 400
    assert r.json() == {"success": False, "error": f"A server can have at most {ROLES_MAX} roles"}
    roles = owner("GET", base).json()["data"]
    assert len(roles) == ROLES_MAX + 1, "and @everyone"
    # One role of them all carries a permission: a member holding every role gets it.
    r = owner("PATCH", f"{base}/{ids[-1]}", json={"permissions": MANAGE_CHANNELS})
    assert r.status_code == 200
    for role_id in ids:
        give(owner, sid, member, role_id)
        give(owner, sid, owner, role_id)
    listed = owner("GET", f"/api/serverMembers/{sid}/members").json()["data"]
    assert len([m for m in listed if m["userId"] == member.id][0]["roles"]) == ROLES_MAX
    assert member("GET", base).status_code == 200
    r = member("POST", f"/api/servers/{sid}/channels", json={"name": "made-by-a-250-role-member"})
    assert r.status_code == 201, r.text
    assert other("POST", f"/api/servers/{sid}/channels", json={"name": "nope"}).status_code == 403
    # The owner holding all of them still works the server.
    assert owner("GET", base).status_code == 200
    assert owner("DELETE", f"{base}/{ids[0]}").status_code == 204
    assert owner("POST", base, json={"name": "room again"}).status_code == 201


def fill_overwrites(pg, channel_id, n):
    """n member overwrites for ids no member has (the API takes only real targets; these are cheap)."""
    pg.psql("hype", f"INSERT INTO channel_overwrites (channel_id, target_type, target_id, allow, deny)"
                    f" SELECT {channel_id}, 'member', 9000000000 + g, {SEND}, 0 FROM generate_series(1, {n}) g")


def test_many_overwrites_keep_a_private_channel_visible(api, pg):
    owner, (member, outsider), sid = server_with(api, 2)
    base = f"/api/servers/{sid}/channels"
    c = owner("POST", base, json={"name": "crowded"}).json()["data"]["id"]
    everyone = [x for x in owner("GET", f"/api/servers/{sid}/roles").json()["data"] if x["isEveryone"]][0]["id"]
    perms = f"{base}/{c}/permissions"
    assert owner("PUT", f"{perms}/{everyone}", json={"type": "role", "deny": VIEW}).status_code == 200
    assert owner("PUT", f"{perms}/{member.id}", json={"type": "member", "allow": VIEW}).status_code == 200
    fill_overwrites(pg, c, OVERWRITES_MAX - 2)
    assert len(owner("GET", perms).json()["data"]) == OVERWRITES_MAX
    assert member("GET", f"{base}/{c}").status_code == 200
    assert c in [x["id"] for x in member("GET", base).json()["data"]]
    access = member("GET", f"/api/channels/{c}/access")
    assert access.status_code == 200 and int(access.json()["data"]["permissions"]) & VIEW
    assert outsider("GET", f"{base}/{c}").status_code == 403, "no overwrite lets the others in"
    # The channel is full: a new target is refused, an existing one may still change.
    r = owner("PUT", f"{perms}/{outsider.id}", json={"type": "member", "allow": VIEW})
    assert r.status_code == 400
    assert r.json() == {"success": False,
                        "error": f"A channel can have at most {OVERWRITES_MAX} permission overwrites"}
    assert outsider("GET", f"{base}/{c}").status_code == 403
    assert owner("PUT", f"{perms}/{member.id}", json={"type": "member", "allow": VIEW | SEND}).status_code == 200
    assert owner("DELETE", f"{perms}/9000000001?type=member").status_code == 204
    assert owner("PUT", f"{perms}/{outsider.id}", json={"type": "member", "allow": VIEW}).status_code == 200
    assert outsider("GET", f"{base}/{c}").status_code == 200


def test_overwrite_cap_holds_under_concurrent_writes(api, pg):
    owner, _, sid = server_with(api, 0)
    roles = [make_role(owner, sid, f"o{i}") for i in range(10)]
    c = owner("POST", f"/api/servers/{sid}/channels", json={"name": "race"}).json()["data"]["id"]
    fill_overwrites(pg, c, OVERWRITES_MAX - 4)

    def put(role_id):
        return requests.put(f"{api.url}/api/servers/{sid}/channels/{c}/permissions/{role_id}",
                            headers=bearer(owner.account["accessToken"]), json={"type": "role", "allow": SEND},
                            timeout=30)

    with ThreadPoolExecutor(10) as pool:
        codes = sorted(r.status_code for r in pool.map(put, roles))
    assert codes == [200] * 4 + [400] * 6, codes
    assert pg.psql("hype", f"SELECT count(*) FROM channel_overwrites WHERE channel_id = {c}") == str(OVERWRITES_MAX)
