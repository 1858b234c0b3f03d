"""Friends and blocks (seed 001), and deleting one's account."""

from hype import bearer, register
from test_servers import create_server


def auth(u):
    return bearer(u["accessToken"])


def test_request_accept_list_remove(api):
    a, _ = register(api)
    b, _ = register(api)
    r = api("POST", "/api/friends/request", headers=auth(a), json={"friendId": b["user"]["id"]})
    assert r.status_code == 201, r.text
    req = r.json()["data"]
    assert req["status"] == "pending" and req["friendId"] == b["user"]["id"]
    again = api("POST", "/api/friends/request", headers=auth(a), json={"friendId": b["user"]["id"]})
    assert again.status_code == 400 and again.json()["error"] == "Friend request already sent"
    incoming = api("GET", "/api/friends/requests", headers=auth(b)).json()["data"]
    assert [q["user"]["id"] for q in incoming["incoming"]] == [a["user"]["id"]] and incoming["outgoing"] == []
    outgoing = api("GET", "/api/friends/requests", headers=auth(a)).json()["data"]["outgoing"]
    assert outgoing[0]["id"] == req["id"]
    # Only the addressee accepts.
    assert api("POST", f"/api/friends/accept/{req['id']}", headers=auth(a)).status_code == 404
    assert api("POST", f"/api/friends/accept/{req['id']}", headers=auth(b)).status_code == 200
    friends = api("GET", "/api/friends", headers=auth(a)).json()["data"]
    assert [f["id"] for f in friends] == [b["user"]["id"]] and friends[0]["tag"] == b["user"]["username"][:4]
    r = api("POST", "/api/friends/request", headers=auth(b), json={"friendId": a["user"]["id"]})
    assert r.status_code == 400 and r.json()["error"] == "You are already friends"
    assert api("DELETE", f"/api/friends/{b['user']['id']}", headers=auth(a)).status_code == 200
    assert api("GET", "/api/friends", headers=auth(b)).json()["data"] == []
    assert api("DELETE", f"/api/friends/{b['user']['id']}", headers=auth(a)).status_code == 404


def test_mutual_requests_become_friends_and_declining(api):
    a, _ = register(api)
    b, _ = register(api)
    c, _ = register(api)
    api("POST", "/api/friends/request", headers=auth(a), json={"friendId": b["user"]["id"]})
    r = api("POST", "/api/friends/request", headers=auth(b), json={"friendId": a["user"]["id"]})
    assert r.status_code == 200 and r.json()["message"] == "Friend request accepted"
    assert [f["id"] for f in api("GET", "/api/friends", headers=auth(a)).json()["data"]] == [b["user"]["id"]]
    req = api("POST", "/api/friends/request", headers=auth(c), json={"friendId": a["user"]["id"]}).json()["data"]
    assert api("DELETE", f"/api/friends/{req['id']}", headers=auth(a)).status_code == 200  # declined
    assert api("GET", "/api/friends/requests", headers=auth(c)).json()["data"]["outgoing"] == []


def test_errors(api):
    a, _ = register(api)
    r = api("POST", "/api/friends/request", headers=auth(a), json={"friendId": a["user"]["id"]})
    assert r.status_code == 400 and r.json()["error"] == "You cannot add yourself"
    assert api("POST", "/api/friends/request", headers=auth(a), json={"friendId": "123456789"}).status_code == 404
    assert api("POST", "/api/friends/request", headers=auth(a), json={}).status_code == 400
    assert api("GET", "/api/friends").status_code == 401


def test_blocking(api):
    a, _ = register(api)
    b, _ = register(api)
    api("POST", "/api/friends/request", headers=auth(a), json={"friendId": b["user"]["id"]})
    assert api("POST", f"/api/friends/block/{a['user']['id']}", headers=auth(b)).status_code == 200
    assert api("GET", "/api/friends/requests", headers=auth(b)).json()["data"]["incoming"] == []
    blocked = api("GET", "/api/friends/blocked", headers=auth(b)).json()["data"]
    assert [u["id"] for u in blocked] == [a["user"]["id"]]
    # A blocked user cannot send requests, and neither can the blocker.
    r = api("POST", "/api/friends/request", headers=auth(a), json={"friendId": b["user"]["id"]})
    assert r.status_code == 403
    assert api("POST", "/api/friends/request", headers=auth(b), json={"friendId": a["user"]["id"]}).status_code == 403
    assert api("POST", f"/api/friends/block/{b['user']['id']}", headers=auth(b)).status_code == 400
    assert api("POST", "/api/friends/block/123456789", headers=auth(b)).status_code == 404
    assert api("DELETE", f"/api/friends/block/{a['user']['id']}", headers=auth(b)).status_code == 200
    assert api("POST", "/api/friends/request", headers=auth(a), json={"friendId": b["user"]["id"]}).status_code == 201


def test_delete_account(api):
    a, password = register(api)
    owner, _ = register(api)
    s = create_server(api, owner["accessToken"])
    r = api("DELETE", "/api/users", headers=auth(owner))
    assert r.status_code == 409, "owners hand their servers on first"
    assert api("DELETE", f"/api/servers/{s['id']}", headers=auth(owner)).status_code == 204
    assert api("DELETE", "/api/users", headers=auth(owner)).status_code == 200
    r = api("DELETE", "/api/users", headers=auth(a))
    assert r.status_code == 200 and r.json()["message"] == "User deleted successfully"
    assert api("GET", "/auth/me", headers=auth(a)).status_code == 401, "its tokens end with it"
    assert api("POST", "/auth/refresh", json={"refreshToken": a["refreshToken"]}).status_code == 401
    assert api("POST", "/auth/login", json={"username": a["user"]["username"], "password": password}).status_code == 401
    assert api("GET", f"/api/users/{a['user']['id']}").status_code == 404
    assert api("DELETE", "/api/users").status_code == 401
