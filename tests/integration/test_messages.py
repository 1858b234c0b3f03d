"""Messages (seeds 000 and 001): history with offset, page and cursors, send, edit, delete, search, reactions."""

import pytest

from hype import bearer, register
from test_servers import create_server

MESSAGE_KEYS = {"id", "content", "edited", "authorId", "channelId", "author", "reactions", "attachments",
                "createdAt", "updatedAt"}


@pytest.fixture
def room(api):
    """A fresh server with its owner, a member and the #general channel."""
    owner, _ = register(api)
    member, _ = register(api)
    s = create_server(api, owner["accessToken"])
    invite_sql = f"INSERT INTO server_members (server_id, user_id) VALUES ({s['id']}, {member['user']['id']})"
    channels = api("GET", f"/api/servers/{s['id']}/channels", headers=bearer(owner["accessToken"])).json()["data"]
    return {"owner": owner, "member": member, "server": s, "text": channels[0], "voice": channels[1],
            "join": invite_sql}


def send(api, who, channel, content, **extra):
    r = api("POST", "/api/messages", headers=bearer(who["accessToken"]),
            json=dict({"content": content, "channelId": channel["id"]}, **extra))
    assert r.status_code == 201, r.text
    return r.json()["data"]


def history(api, who, channel, **params):
    r = api("GET", "/api/messages", headers=bearer(who["accessToken"]), params=dict(params, channelId=channel["id"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_send_shape_and_attachments(api, room):
    m = send(api, room["owner"], room["text"], "Hello, world!",
             attachments=[{"filename": "cat.png", "url": "https://cdn.example.com/cat.png", "size": 2048,
                           "mimeType": "image/png"}])
    assert MESSAGE_KEYS <= set(m)
    assert m["content"] == "Hello, world!" and m["edited"] is False and m["reactions"] == []
    assert m["author"]["id"] == room["owner"]["user"]["id"] and m["channelId"] == room["text"]["id"]
    assert m["attachments"][0]["filename"] == "cat.png" and m["attachments"][0]["size"] == 2048
    got = api("GET", f"/api/messages/{m['id']}", headers=bearer(room["owner"]["accessToken"])).json()["data"]
    assert got["attachments"] == m["attachments"]
    ch = api("GET", f"/api/servers/{room['server']['id']}/channels/{room['text']['id']}",
             headers=bearer(room["owner"]["accessToken"])).json()["data"]
    assert ch["_count"]["messages"] == 1


def test_send_validation_and_permissions(api, room, pg):
    owner, member = room["owner"], room["member"]
    post = lambda who, body: api("POST", "/api/messages", headers=bearer(who["accessToken"]), json=body)
    cid = room["text"]["id"]
    assert post(owner, {"content": "", "channelId": cid}).status_code == 400
    r = post(owner, {"content": "x" * 2001, "channelId": cid})
    assert r.status_code == 400 and r.json()["details"][0]["maximum"] == 2000
    assert post(owner, {"content": "x" * 2000, "channelId": cid}).status_code == 201
    assert post(owner, {"content": "x"}).status_code == 400
    r = post(owner, {"content": "x", "channelId": cid, "attachments": [{"filename": "a", "url": "ftp://x",
                                                                         "size": 1, "mimeType": "a/b"}]})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["attachments", 0, "url"]
    many = [{"filename": "a", "url": "https://a.b/c", "size": 1, "mimeType": "a/b"}] * 11
    assert post(owner, {"content": "x", "channelId": cid, "attachments": many}).status_code == 400
    assert post(owner, {"content": "x", "channelId": room["voice"]["id"]}).status_code == 400
    assert post(owner, {"content": "x", "channelId": "123456789"}).status_code == 404
    assert api("POST", "/api/messages", json={"content": "x", "channelId": cid}).status_code == 401
    r = post(member, {"content": "x", "channelId": cid})
    assert r.status_code == 403 and r.json()["error"] == "You are not a member of this server"
    pg.psql("hype", room["join"])
    assert post(member, {"content": "now a member", "channelId": cid}).status_code == 201


def test_read_requires_membership(api, room, pg):
    send(api, room["owner"], room["text"], "secret plans")
    r = api("GET", "/api/messages", headers=bearer(room["member"]["accessToken"]),
            params={"channelId": room["text"]["id"]})
    assert r.status_code == 403
    assert api("GET", "/api/messages", params={"channelId": room["text"]["id"]}).status_code == 401
    r = api("GET", "/api/messages", headers=bearer(room["owner"]["accessToken"]), params={"channelId": "987654321"})
    assert r.status_code == 404
    r = api("GET", "/api/messages", headers=bearer(room["owner"]["accessToken"]))
    assert r.status_code == 400 and r.json()["error"] == "channelId is required"
    r = api("GET", "/api/messages", headers=bearer(room["owner"]["accessToken"]),
            params={"channelId": room["voice"]["id"]})
    assert r.status_code == 400


def test_offset_page_and_cursor_pagination(api, room):
    owner, text = room["owner"], room["text"]
    assert history(api, owner, text)["data"] == []
    ids = [send(api, owner, text, f"message {i}")["id"] for i in range(25)]
    page = history(api, owner, text, limit=10)
    assert page["meta"] == {"total": 25, "limit": 10, "offset": 0}
    assert [m["id"] for m in page["data"]] == ids[15:], "the newest page, oldest first"
    page = history(api, owner, text, limit=10, offset=20)
    assert [m["id"] for m in page["data"]] == ids[:5]
    page = history(api, owner, text, limit=10, page=3)
    assert page["meta"]["page"] == 3 and page["meta"]["totalPages"] == 3
    assert [m["id"] for m in page["data"]] == ids[:5], "the last page is the partial one"
    assert history(api, owner, text, limit=10, page=4)["data"] == []
    # Walking back with "before" visits every message exactly once.
    seen, cursor = [], None
    while True:
        params = {"limit": 7} | ({"before": cursor} if cursor else {})
        batch = history(api, owner, text, **params)["data"]
        if not batch:
            break
        seen = [m["id"] for m in batch] + seen
        cursor = batch[0]["id"]
    assert seen == ids
    after = history(api, owner, text, limit=5, after=ids[9])
    assert [m["id"] for m in after["data"]] == ids[10:15] and after["meta"]["after"] == ids[9]
    r = api("GET", "/api/messages", headers=bearer(owner["accessToken"]),
            params={"channelId": text["id"], "before": ids[3], "after": ids[1]})
    assert r.status_code == 400
    r = api("GET", "/api/messages", headers=bearer(owner["accessToken"]), params={"channelId": text["id"], "limit": 101})
    assert r.status_code == 400


def test_edit_and_delete(api, room, pg):
    owner, member, text = room["owner"], room["member"], room["text"]
    pg.psql("hype", room["join"])
    mine = send(api, member, text, "typo")
    r = api("PUT", f"/api/messages/{mine['id']}", headers=bearer(member["accessToken"]), json={"content": "fixed"})
    assert r.status_code == 200 and r.json()["data"]["content"] == "fixed" and r.json()["data"]["edited"] is True
    r = api("PUT", f"/api/messages/{mine['id']}", headers=bearer(owner["accessToken"]), json={"content": "hijack"})
    assert r.status_code == 403 and r.json()["error"] == "Forbidden: You can only edit your own messages"
    theirs = send(api, owner, text, "owner speaking")
    r = api("DELETE", f"/api/messages/{theirs['id']}", headers=bearer(member["accessToken"]))
    assert r.status_code == 403
    r = api("DELETE", f"/api/messages/{mine['id']}", headers=bearer(member["accessToken"]))
    assert r.status_code == 200 and r.json()["data"] == {"id": mine["id"], "channelId": text["id"]}
    assert api("GET", f"/api/messages/{mine['id']}", headers=bearer(member["accessToken"])).status_code == 404
    assert api("PUT", f"/api/messages/{mine['id']}", headers=bearer(member["accessToken"]),
               json={"content": "again"}).status_code == 404
    # The owner moderates: anyone's message goes.
    other = send(api, member, text, "spam")
    assert api("DELETE", f"/api/messages/{other['id']}", headers=bearer(owner["accessToken"])).status_code == 200
    page = history(api, owner, text)
    assert [m["content"] for m in page["data"]] == ["owner speaking"] and page["meta"]["total"] == 1
    stored = pg.psql("hype", f"SELECT count(*) FROM messages WHERE id = {mine['id']} AND deleted_at IS NOT NULL")
    assert stored == "1", "deletion is soft"


def test_search_is_ranked(api, room):
    owner, text = room["owner"], room["text"]
    send(api, owner, text, "an apple and a banana")
    best = send(api, owner, text, "apple apple apple pie")
    send(api, owner, text, "cherry only")
    r = api("GET", "/api/messages/search", headers=bearer(owner["accessToken"]),
            params={"channelId": text["id"], "query": "apple"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["total"] == 2 and body["data"][0]["id"] == best["id"]
    assert {m["content"] for m in body["data"]} == {"an apple and a banana", "apple apple apple pie"}
    r = api("GET", "/api/messages/search", headers=bearer(owner["accessToken"]),
            params={"channelId": text["id"], "query": "apple", "limit": 1, "page": 2})
    assert r.json()["meta"]["totalPages"] == 2 and len(r.json()["data"]) == 1
    r = api("GET", "/api/messages/search", headers=bearer(owner["accessToken"]), params={"channelId": text["id"]})
    assert r.status_code == 400
    r = api("GET", "/api/messages/search", headers=bearer(room["member"]["accessToken"]),
            params={"channelId": text["id"], "query": "apple"})
    assert r.status_code == 403


def test_reactions(api, room, pg):
    owner, member, text = room["owner"], room["member"], room["text"]
    pg.psql("hype", room["join"])
    m = send(api, owner, text, "react to me")
    url = f"/api/messages/{m['id']}/reactions"
    r = api("POST", url, headers=bearer(member["accessToken"]), json={"emoji": "👍"})
    assert r.status_code == 200, r.text
    reactions = r.json()["data"]["reactions"]
    assert len(reactions) == 1 and reactions[0]["emoji"] == "👍"
    assert reactions[0]["user"]["id"] == member["user"]["id"]
    api("POST", url, headers=bearer(member["accessToken"]), json={"emoji": "👍"})  # same reaction again
    r = api("POST", url, headers=bearer(owner["accessToken"]), json={"emoji": "👍"})
    assert len(r.json()["data"]["reactions"]) == 2
    r = api("DELETE", f"{url}/%F0%9F%91%8D", headers=bearer(member["accessToken"]))
    assert r.status_code == 200
    assert [x["user"]["id"] for x in r.json()["data"]["reactions"]] == [owner["user"]["id"]]
    assert api("POST", url, headers=bearer(member["accessToken"]), json={"emoji": ""}).status_code == 400
    assert api("POST", url, json={"emoji": "x"}).status_code == 401
