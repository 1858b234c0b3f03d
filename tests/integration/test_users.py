"""Users routes of seed 000 (/api/users and the /api/v1 alias)."""

from hype import bearer, register, unique_name

FULL_KEYS = {"id", "username", "email", "displayName", "discriminator", "status", "customStatus", "avatarUrl",
             "avatar", "bio", "createdAt", "updatedAt"}


def test_list_hides_other_users_emails(api):
    me, _ = register(api)
    other, _ = register(api)
    r = api("GET", "/api/users", params={"limit": 1000})
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["meta"]["total"] >= 2
    users = {u["id"]: u for u in body["data"]}
    assert FULL_KEYS <= set(users[me["user"]["id"]])
    assert all(u["email"] is None for u in body["data"]), "anonymous callers see no addresses"
    r = api("GET", "/api/users", params={"limit": 1000}, headers=bearer(me["accessToken"]))
    users = {u["id"]: u for u in r.json()["data"]}
    assert users[me["user"]["id"]]["email"] == me["user"]["email"]
    assert users[other["user"]["id"]]["email"] is None


def test_list_pagination(api):
    for _ in range(3):
        register(api)
    total = api("GET", "/api/users").json()["meta"]["total"]
    page = api("GET", "/api/users", params={"limit": 2, "offset": 1}).json()
    assert page["meta"] == {"total": total, "limit": 2, "offset": 1}
    assert len(page["data"]) == 2
    ids = [u["id"] for u in api("GET", "/api/users", params={"limit": 3}).json()["data"]]
    assert [u["id"] for u in page["data"]] == ids[1:3]
    past = api("GET", "/api/users", params={"offset": total + 5}).json()
    assert past["data"] == [] and past["meta"]["total"] == total
    for bad in ({"limit": 0}, {"limit": "abc"}, {"limit": 100000}, {"offset": -1}):
        r = api("GET", "/api/users", params=bad)
        assert r.status_code == 400, bad
        assert r.json()["details"][0]["path"] == [next(iter(bad))]


def test_get_user(api):
    me, _ = register(api, displayName="Shown Name")
    uid = me["user"]["id"]
    r = api("GET", f"/api/users/{uid}")
    assert r.status_code == 200
    user = r.json()["data"]
    assert user["id"] == uid and user["displayName"] == "Shown Name" and user["email"] is None
    assert user["discriminator"] == user["username"][:4]
    assert user["avatar"] == user["avatarUrl"]
    assert api("GET", f"/api/users/{uid}", headers=bearer(me["accessToken"])).json()["data"]["email"]
    r = api("GET", "/api/users/123456789")
    assert r.status_code == 404 and r.json() == {"success": False, "error": "User not found"}
    assert api("GET", "/api/users/not-an-id").status_code == 404
    assert api("GET", f"/api/v1/users/{uid}").status_code == 200
    me_r = api("GET", "/api/users/me", headers=bearer(me["accessToken"]))
    assert me_r.status_code == 200 and me_r.json()["data"]["id"] == uid
    assert api("GET", "/api/users/me").status_code == 401


def test_update_own_profile(api):
    me, _ = register(api)
    uid, token = me["user"]["id"], me["accessToken"]
    new_name = unique_name("renamed")
    r = api("PUT", f"/api/users/{uid}", headers=bearer(token),
            json={"username": new_name, "displayName": "My Name", "bio": "Full-stack developer",
                  "avatarUrl": "https://i.example.com/abc123.png"})
    assert r.status_code == 200, r.text
    user = r.json()["data"]
    assert user["username"] == new_name and user["displayName"] == "My Name"
    assert user["bio"] == "Full-stack developer" and user["avatarUrl"] == "https://i.example.com/abc123.png"
    assert user["updatedAt"] >= user["createdAt"]
    # Absent fields stay; null clears a nullable one.
    r = api("PUT", f"/api/users/{uid}", headers=bearer(token), json={"avatarUrl": None})
    user = r.json()["data"]
    assert user["avatarUrl"] is None and user["displayName"] == "My Name"
    assert api("GET", f"/api/users/{uid}").json()["data"]["username"] == new_name


def test_update_errors(api):
    me, _ = register(api)
    other, _ = register(api)
    uid, token = me["user"]["id"], me["accessToken"]
    r = api("PUT", f"/api/users/{uid}", json={"bio": "x"})
    assert r.status_code == 401
    r = api("PUT", f"/api/users/{other['user']['id']}", headers=bearer(token), json={"bio": "x"})
    assert r.status_code == 403
    assert r.json()["error"] == "Forbidden: You can only update your own profile"
    r = api("PUT", f"/api/users/{uid}", headers=bearer(token), json={"username": other["user"]["username"]})
    assert r.status_code == 409 and r.json()["error"] == "Username already taken"
    r = api("PUT", f"/api/users/{uid}", headers=bearer(token),
            json={"username": "ab", "displayName": "", "bio": "b" * 501, "avatarUrl": "not a url"})
    assert r.status_code == 400
    codes = {d["path"][0]: d["code"] for d in r.json()["details"]}
    assert codes == {"username": "too_small", "displayName": "too_small", "bio": "too_big",
                     "avatarUrl": "invalid_string"}


def test_status(api):
    me, _ = register(api)
    other, _ = register(api)
    uid, token = me["user"]["id"], me["accessToken"]
    for status in ("idle", "dnd", "offline", "online"):
        r = api("PUT", f"/api/users/{uid}/status", headers=bearer(token), json={"status": status})
        assert r.status_code == 200 and r.json()["data"]["status"] == status
    r = api("PUT", f"/api/users/{uid}/status", headers=bearer(token),
            json={"status": "dnd", "customStatus": "in a meeting"})
    assert r.json()["data"]["customStatus"] == "in a meeting"
    assert api("GET", f"/api/users/{uid}").json()["data"]["status"] == "dnd"
    r = api("PUT", f"/api/users/{uid}/status", headers=bearer(token), json={"status": "away"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid status"
    assert r.json()["details"][0]["code"] == "invalid_enum_value"
    r = api("PUT", f"/api/users/{uid}/status", json={"status": "idle"})
    assert r.status_code == 401
    r = api("PUT", f"/api/users/{other['user']['id']}/status", headers=bearer(token), json={"status": "idle"})
    assert r.status_code == 403
