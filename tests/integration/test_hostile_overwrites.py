"""What a hostile member with Manage Roles tries with a channel's permission overwrites: the same
hierarchy as kicks and role assignments (members and roles below its own only, never the owner),
and delegation on the way out too (no removing or rewriting an overwrite carrying what it lacks)."""

from test_hostile_roles import ADMINISTRATOR, MANAGE_CHANNELS, MANAGE_ROLES, SEND, VIEW, give, make_role, \
    server_with

BELOW_MEMBER = "You can only act on members whose highest role is below yours"
OWNER = "You cannot act on the server owner"
ROLE_ABOVE = "You cannot manage the overwrite of a role at or above your highest role"
LACKING = "You cannot manage an overwrite with permissions you do not have"


def everyone_of(owner, sid):
    return [x for x in owner("GET", f"/api/servers/{sid}/roles").json()["data"] if x["isEveryone"]][0]["id"]


def moderated(api, n_members):
    """An owner, a moderator (Manage Roles at position 2), n_members more, a channel's
    permissions URL, the server id."""
    owner, (mod, *members), sid = server_with(api, 1 + n_members)
    give(owner, sid, mod, make_role(owner, sid, "Mods", MANAGE_ROLES, position=2))
    r = owner("POST", f"/api/servers/{sid}/channels", json={"name": "backroom"})
    assert r.status_code == 201, r.text
    return owner, mod, members, f"/api/servers/{sid}/channels/{r.json()['data']['id']}/permissions", sid


def overwrites(owner, perms):
    return {(o["type"], o["id"]): (int(o["allow"]), int(o["deny"])) for o in owner("GET", perms).json()["data"]}


def refused(r, error):
    assert r.status_code == 403, r.text
    assert r.json() == {"success": False, "error": error}


def test_member_overwrites_follow_the_hierarchy(api):
    owner, mod, (senior, plain), perms, sid = moderated(api, 2)
    give(owner, sid, senior, make_role(owner, sid, "Seniors", 0, position=5))
    shut_out = {"type": "member", "deny": VIEW | SEND}
    refused(mod("PUT", f"{perms}/{senior.id}", json=shut_out), BELOW_MEMBER)
    refused(mod("PUT", f"{perms}/{owner.id}", json=shut_out), OWNER)
    assert overwrites(owner, perms) == {}
    assert senior("GET", perms).status_code == 200, "the senior still sees the channel"
    # Below it, and itself, the moderator may.
    assert mod("PUT", f"{perms}/{plain.id}", json=shut_out).status_code == 200
    assert plain("GET", perms).status_code == 403
    assert mod("PUT", f"{perms}/{mod.id}", json={"type": "member", "allow": SEND}).status_code == 200
    # Removing follows the same hierarchy.
    for target in (senior, owner):
        r = owner("PUT", f"{perms}/{target.id}", json={"type": "member", "allow": SEND})
        assert r.status_code == 200, r.text
    refused(mod("DELETE", f"{perms}/{senior.id}?type=member"), BELOW_MEMBER)
    refused(mod("DELETE", f"{perms}/{owner.id}"), OWNER)
    assert overwrites(owner, perms) == {("member", senior.id): (SEND, 0), ("member", owner.id): (SEND, 0),
                                        ("member", plain.id): (0, VIEW | SEND), ("member", mod.id): (SEND, 0)}
    assert mod("DELETE", f"{perms}/{plain.id}?type=member").status_code == 204
    assert mod("DELETE", f"{perms}/{mod.id}").status_code == 204
    assert mod("DELETE", f"{perms}/{plain.id}").status_code == 404
    # The owner is above everyone.
    assert owner("PUT", f"{perms}/{senior.id}", json=shut_out).status_code == 200
    assert owner("DELETE", f"{perms}/{senior.id}").status_code == 204
    assert owner("DELETE", f"{perms}/{owner.id}?type=member").status_code == 204
    assert overwrites(owner, perms) == {}


def test_role_overwrites_follow_the_hierarchy(api):
    owner, mod, _, perms, sid = moderated(api, 0)
    seniors = make_role(owner, sid, "Seniors", 0, position=5)
    peers = make_role(owner, sid, "Peers", 0, position=2)
    mods = [x["id"] for x in owner("GET", f"/api/servers/{sid}/roles").json()["data"] if x["name"] == "Mods"][0]
    helpers = make_role(owner, sid, "Helpers", 0, position=1)
    everyone = everyone_of(owner, sid)
    deny = {"type": "role", "deny": SEND}
    for role in (seniors, peers, mods):
        refused(mod("PUT", f"{perms}/{role}", json=deny), ROLE_ABOVE)
    assert overwrites(owner, perms) == {}
    r = mod("PUT", f"{perms}/123456789", json=deny)
    assert r.status_code == 404 and r.json()["error"] == "No such role or member in this server"
    assert mod("PUT", f"{perms}/{helpers}", json=deny).status_code == 200
    assert mod("PUT", f"{perms}/{everyone}", json={"type": "role", "allow": SEND}).status_code == 200
    # Removing follows the same hierarchy.
    for role in (seniors, peers, mods):
        assert owner("PUT", f"{perms}/{role}", json={"type": "role", "allow": VIEW}).status_code == 200
        refused(mod("DELETE", f"{perms}/{role}?type=role"), ROLE_ABOVE)
        refused(mod("DELETE", f"{perms}/{role}"), ROLE_ABOVE)
    assert len(overwrites(owner, perms)) == 5
    assert mod("DELETE", f"{perms}/{helpers}?type=role").status_code == 204
    assert mod("DELETE", f"{perms}/{everyone}").status_code == 204
    for role in (seniors, peers, mods):
        assert owner("DELETE", f"{perms}/{role}").status_code == 204
    assert overwrites(owner, perms) == {}


def test_everyone_is_below_every_manager(api):
    # Manage Roles from @everyone alone: no role of its own, so only @everyone's overwrite.
    owner, (member,), sid = server_with(api, 1)
    everyone = everyone_of(owner, sid)
    r = owner("PATCH", f"/api/servers/{sid}/roles/{everyone}", json={"permissions": VIEW | SEND | MANAGE_ROLES})
    assert r.status_code == 200, r.text
    helpers = make_role(owner, sid, "Helpers", 0, position=1)
    c = owner("POST", f"/api/servers/{sid}/channels", json={"name": "open"}).json()["data"]["id"]
    perms = f"/api/servers/{sid}/channels/{c}/permissions"
    refused(member("PUT", f"{perms}/{helpers}", json={"type": "role", "deny": SEND}), ROLE_ABOVE)
    assert member("PUT", f"{perms}/{everyone}", json={"type": "role", "allow": SEND}).status_code == 200
    assert member("DELETE", f"{perms}/{everyone}?type=role").status_code == 204


def test_removing_an_overwrite_takes_its_permissions(api):
    owner, mod, (plain, admin), perms, sid = moderated(api, 2)
    helpers = make_role(owner, sid, "Helpers", 0, position=1)
    give(owner, sid, admin, make_role(owner, sid, "Admins", ADMINISTRATOR, position=8))
    # The owner denies Manage Channels to a role and allows it to a member: the moderator lacks it.
    assert owner("PUT", f"{perms}/{helpers}", json={"type": "role", "deny": MANAGE_CHANNELS}).status_code == 200
    assert owner("PUT", f"{perms}/{plain.id}", json={"type": "member", "allow": MANAGE_CHANNELS}).status_code == 200
    before = overwrites(owner, perms)
    refused(mod("DELETE", f"{perms}/{helpers}?type=role"), LACKING)
    refused(mod("DELETE", f"{perms}/{plain.id}"), LACKING)
    # Rewriting it to nothing is removing it too.
    refused(mod("PUT", f"{perms}/{helpers}", json={"type": "role"}), LACKING)
    refused(mod("PUT", f"{perms}/{plain.id}", json={"type": "member", "deny": SEND}), LACKING)
    assert overwrites(owner, perms) == before
    r = mod("DELETE", f"{perms}/{helpers}?type=member")
    assert r.status_code == 404 and r.json()["error"] == "Overwrite not found"
    # An administrator holds everything; so does the moderator once it holds Manage Channels.
    assert admin("DELETE", f"{perms}/{helpers}").status_code == 204
    mods = [x["id"] for x in owner("GET", f"/api/servers/{sid}/roles").json()["data"] if x["name"] == "Mods"][0]
    r = owner("PATCH", f"/api/servers/{sid}/roles/{mods}", json={"permissions": MANAGE_ROLES | MANAGE_CHANNELS})
    assert r.status_code == 200, r.text
    assert mod("PUT", f"{perms}/{plain.id}", json={"type": "member", "deny": SEND}).status_code == 200
    assert mod("DELETE", f"{perms}/{plain.id}").status_code == 204
    assert owner("PUT", f"{perms}/{helpers}", json={"type": "role", "allow": MANAGE_CHANNELS}).status_code == 200
    assert owner("DELETE", f"{perms}/{helpers}").status_code == 204
    assert overwrites(owner, perms) == {}


def test_overwrites_of_former_members_and_deleted_roles(api):
    owner, mod, (senior,), perms, sid = moderated(api, 1)
    seniors = make_role(owner, sid, "Seniors", 0, position=5)
    give(owner, sid, senior, seniors)
    assert owner("PUT", f"{perms}/{senior.id}", json={"type": "member", "allow": SEND}).status_code == 200
    assert owner("PUT", f"{perms}/{seniors}", json={"type": "role", "allow": SEND}).status_code == 200
    refused(mod("DELETE", f"{perms}/{senior.id}"), BELOW_MEMBER)
    refused(mod("DELETE", f"{perms}/{seniors}"), ROLE_ABOVE)
    # A deleted role takes its overwrites with it.
    assert ("role", seniors) in overwrites(owner, perms)
    assert owner("DELETE", f"/api/servers/{sid}/roles/{seniors}").status_code == 204
    assert ("role", seniors) not in overwrites(owner, perms)
    assert mod("DELETE", f"{perms}/{seniors}").status_code == 404
    # A member who left keeps its overwrite (it applies again if it comes back); nobody outranks
    # the moderator there any more: it may be cleaned up, and not written.
    assert senior("DELETE", f"/api/serverMembers/{sid}/members/{senior.id}").status_code == 204
    r = mod("PUT", f"{perms}/{senior.id}", json={"type": "member", "allow": SEND})
    assert r.status_code == 404 and r.json()["error"] == "No such role or member in this server"
    assert mod("DELETE", f"{perms}/{senior.id}").status_code == 204
    assert overwrites(owner, perms) == {}
