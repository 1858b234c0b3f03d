"""Server members (seed 001): list, add, nickname, kick and leave, ownership transfer."""

from hype import bearer, register
from test_servers import create_server


def members(api, who, s):
    r = api("GET", f"/api/serverMembers/{s['id']}/members", headers=bearer(who["accessToken"]))
    assert r.status_code == 200, r.text
    return {m["userId"]: m for m in r.json()["data"]}


def test_list_add_and_roles(api):
    owner, _ = register(api)
    other, _ = register(api)
    s = create_server(api, owner["accessToken"])
    ms = members(api, owner, s)
    me = ms[owner["user"]["id"]]
    assert me["role"] == "owner" and me["user"]["username"] == owner["user"]["username"] and me["roles"] == []
    assert api("GET", f"/api/serverMembers/{s['id']}/members", headers=bearer(other["accessToken"])).status_code == 403
    url = f"/api/serverMembers/{s['id']}/members"
    r = api("POST", url, headers=bearer(owner["accessToken"]), json={"userId": other["user"]["id"]})
    assert r.status_code == 201 and r.json()["data"]["role"] == "member"
    assert api("POST", url, headers=bearer(owner["accessToken"]), json={"userId": other["user"]["id"]}).status_code == 409
    assert api("POST", url, headers=bearer(owner["accessToken"]), json={"userId": "123456789"}).status_code == 404
    third, _ = register(api)
    assert api("POST", url, headers=bearer(other["accessToken"]), json={"userId": third["user"]["id"]}).status_code == 403
    assert set(members(api, other, s)) == {owner["user"]["id"], other["user"]["id"]}


def test_nicknames(api):
    owner, _ = register(api)
    other, _ = register(api)
    s = create_server(api, owner["accessToken"])
    api("POST", f"/api/serverMembers/{s['id']}/members", headers=bearer(owner["accessToken"]),
        json={"userId": other["user"]["id"]})
    url = f"/api/serverMembers/{s['id']}/members"
    r = api("PUT", f"{url}/{other['user']['id']}", headers=bearer(other["accessToken"]), json={"nickname": "Nick"})
    assert r.status_code == 200 and r.json()["data"]["nickname"] == "Nick"
    r = api("PUT", f"{url}/{owner['user']['id']}", headers=bearer(other["accessToken"]), json={"nickname": "Boss"})
    assert r.status_code == 403
    r = api("PUT", f"{url}/{other['user']['id']}", headers=bearer(owner["accessToken"]), json={"nickname": None})
    assert r.status_code == 200 and r.json()["data"]["nickname"] is None


def test_kick_leave_and_transfer(api):
    owner, _ = register(api)
    a, _ = register(api)
    b, _ = register(api)
    s = create_server(api, owner["accessToken"])
    url = f"/api/serverMembers/{s['id']}/members"
    for u in (a, b):
        api("POST", url, headers=bearer(owner["accessToken"]), json={"userId": u["user"]["id"]})
    assert api("DELETE", f"{url}/{b['user']['id']}", headers=bearer(a["accessToken"])).status_code == 403
    assert api("DELETE", f"{url}/{owner['user']['id']}", headers=bearer(owner["accessToken"])).status_code == 403
    assert api("DELETE", f"{url}/{b['user']['id']}", headers=bearer(owner["accessToken"])).status_code == 204
    assert api("DELETE", f"{url}/{b['user']['id']}", headers=bearer(owner["accessToken"])).status_code == 404
    owner_url = f"/api/serverMembers/{s['id']}/owner"
    assert api("POST", owner_url, headers=bearer(a["accessToken"]), json={"userId": a["user"]["id"]}).status_code == 403
    r = api("POST", owner_url, headers=bearer(owner["accessToken"]), json={"userId": b["user"]["id"]})
    assert r.status_code == 400, "b was kicked: not a member"
    r = api("POST", owner_url, headers=bearer(owner["accessToken"]), json={"userId": a["user"]["id"]})
    assert r.status_code == 200 and r.json()["data"]["ownerId"] == a["user"]["id"]
    assert api("GET", f"/api/servers/{s['id']}").json()["data"]["ownerId"] == a["user"]["id"]
    assert api("DELETE", f"/api/servers/{s['id']}", headers=bearer(owner["accessToken"])).status_code == 403
    # The former owner is an ordinary member now and may leave.
    assert api("DELETE", f"{url}/{owner['user']['id']}", headers=bearer(owner["accessToken"])).status_code == 204
    assert set(members(api, a, s)) == {a["user"]["id"]}
