"""Hostile and broken input: every case gets a clear 4xx JSON error and the daemon stays healthy."""

import json
import subprocess

import pytest

from hype import bearer, json_body, parse_raw_response, raw_http, register, unique_name

JSON = {"Content-Type": "application/json"}


def post_raw(api, path, data, headers=None):
    return api("POST", path, data=data, headers=dict(JSON, **(headers or {})))


@pytest.mark.parametrize("body, reason", [
    (b'{"username": "abc", ', "Invalid JSON: unexpected end of input"),
    (b'{"username": "abc"} trailing', "Invalid JSON: unexpected data after the value"),
    (b"{'single': 'quotes'}", "Invalid JSON: syntax error"),
    (b'{"a": 01}', "Invalid JSON: syntax error"),
    (b"\xef\xbb\xbf{}", "Invalid JSON: syntax error"),
])
def test_malformed_json(api, body, reason):
    r = post_raw(api, "/auth/register", body)
    assert r.status_code == 400
    assert r.json() == {"success": False, "error": reason}


@pytest.mark.parametrize("body, received", [
    (b"[]", "array"), (b'"text"', "string"), (b"42", "number"), (b"true", "boolean"), (b"null", None),
])
def test_non_object_bodies(api, body, received):
    r = post_raw(api, "/auth/login", body)
    assert r.status_code == 400, r.text
    if received:
        d = r.json()["details"][0]
        assert d["code"] == "invalid_type" and d["expected"] == "object" and d["received"] == received
        assert d["path"] == []


def test_wrong_types(api):
    r = api("POST", "/auth/register", json={"username": 123, "password": ["x"], "email": None})
    assert r.status_code == 400
    details = {d["path"][0]: d for d in r.json()["details"]}
    assert details["username"]["message"] == "Expected string, received number"
    assert details["password"]["received"] == "array"
    assert details["email"]["received"] == "null"


@pytest.mark.parametrize("body", [
    b'{"username": "\xff\xfe", "password": "abcdefghij"}',           # not UTF-8 at all
    b'{"username": "\xc0\xafab", "password": "abcdefghij"}',         # overlong encoding
    b'{"username": "\xed\xa0\x80ab", "password": "abcdefghij"}',     # UTF-16 surrogate
])
def test_invalid_utf8(api, body):
    r = post_raw(api, "/auth/register", body)
    assert r.status_code == 400 and r.json()["error"] == "Invalid JSON: invalid UTF-8"


def test_escaped_lone_surrogate_is_rejected_or_counted(api):
    # "\ud800" is valid JSON text but not a valid string; it must never reach PostgreSQL as garbage.
    r = post_raw(api, "/auth/register", b'{"username": "ab\\ud800cd", "password": "abcdefghij"}')
    assert r.status_code == 400


def test_overlong_fields(api):
    r = api("POST", "/auth/register", json={"username": unique_name(), "password": "p" * 10_000,
                                            "email": ("e" * 300) + "@example.com"})
    assert r.status_code == 400
    paths = {d["path"][0] for d in r.json()["details"]}
    assert paths == {"password", "email"}
    me, _ = register(api)
    r = api("PUT", f"/api/users/{me['user']['id']}", headers=bearer(me["accessToken"]), json={"bio": "é" * 501})
    assert r.status_code == 400 and r.json()["details"][0]["maximum"] == 500
    r = api("PUT", f"/api/users/{me['user']['id']}", headers=bearer(me["accessToken"]), json={"bio": "é" * 500})
    assert r.status_code == 200, "limits count characters, not bytes"


def test_deeply_nested_json(api):
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    r = post_raw(api, "/auth/login", deep)
    assert r.status_code == 400 and r.json()["error"] == "Invalid JSON: nesting too deep"
    arrays = b"[" * 100_000 + b"]" * 100_000
    r = post_raw(api, "/auth/login", arrays)
    assert r.status_code == 400


def test_body_over_limit_is_413_json(api):
    big = b'{"username": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    r = post_raw(api, "/auth/register", big)
    assert r.status_code == 413
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"success": False, "error": "Request body too large"}


def test_body_over_limit_with_expect_continue_via_curl(api, tmp_path):
    f = tmp_path / "big.json"
    f.write_bytes(b'{"x":"' + b"a" * (2 * 1024 * 1024) + b'"}')
    out = subprocess.run(["curl", "-sS", "-X", "POST", api.url + "/auth/register", "-H",
                          "Content-Type: application/json", "--data-binary", f"@{f}", "-w", "\n%{http_code}"],
                         capture_output=True, text=True, timeout=30)
    body, code = out.stdout.rsplit("\n", 1)
    assert code == "413" and json.loads(body)["error"] == "Request body too large"


def test_chunked_body_over_limit(api):
    def chunks():
        for _ in range(40):
            yield b"a" * 65536
    r = api("POST", "/auth/register", data=chunks(), headers=JSON)
    assert r.status_code == 413


def test_chunked_body_within_limit(api):
    name = unique_name()
    payload = json.dumps({"username": name, "password": "correct-horse-battery"}).encode()
    r = api("POST", "/auth/register", data=iter([payload[:10], payload[10:]]), headers=JSON)
    assert r.status_code == 201, r.text


def test_wrong_content_type(api):
    r = api("POST", "/auth/login", data="email=a@b.co&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and r.json()["error"] == "Content-Type must be application/json"
    r = api("POST", "/auth/login", data='{"email":"a@b.co","password":"x"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = api("POST", "/auth/login", data='{"email":"nobody@b.co","password":"x"}',
            headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 401


def test_unknown_route_and_method(api):
    r = api("GET", "/api/nothing-here")
    assert r.status_code == 404 and r.json() == {"success": False, "error": "Route not found"}
    r = api("DELETE", "/auth/login")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


@pytest.mark.parametrize("raw, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /health HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n", 431),
])
def test_broken_http(api, raw, status):
    got, headers, body = parse_raw_response(raw_http(api.port, raw))
    assert got == status
    assert headers["content-type"].startswith("application/json")
    assert json_body(body)["success"] is False


def test_bad_path_encoding(api):
    # Sent raw: HTTP libraries would re-encode the broken escape.
    status, _, body = parse_raw_response(raw_http(api.port, b"GET /api/users/%zz HTTP/1.1\r\nHost: x\r\n"
                                                                b"Connection: close\r\n\r\n"))
    assert status == 400 and json_body(body)["error"] == "Malformed path parameter"
    status, _, _ = parse_raw_response(raw_http(api.port, b"GET /api/users/1%00 HTTP/1.1\r\nHost: x\r\n"
                                                           b"Connection: close\r\n\r\n"))
    assert status == 400


def test_daemon_still_healthy_after_all_that(api):
    r = api("GET", "/health")
    assert r.status_code == 200 and r.json()["data"]["database"] == "up"
    assert api.alive()


def test_database_error_is_a_json_500_and_nothing_breaks(api, pg):
    # A trigger makes PostgreSQL fail this one insert, as a broken constraint or disk would.
    pg.psql("hype", """
        CREATE FUNCTION fail_for_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.username = 'doomed_user' THEN RAISE EXCEPTION 'simulated failure'; END IF;
        RETURN NEW; END $$;
        CREATE TRIGGER fail_for_doomed BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION fail_for_doomed();
    """)
    try:
        r = api("POST", "/auth/register", json={"username": "doomed_user", "password": "correct-horse-battery"})
        assert r.status_code == 500
        assert r.json() == {"success": False, "error": "Internal server error"}
        assert "simulated failure" not in r.text, "database messages are logged, not shown to clients"
        assert pg.psql("hype", "SELECT count(*) FROM users WHERE username = 'doomed_user'") == "0"
        register(api)  # the next request is served normally
    finally:
        pg.psql("hype", "DROP TRIGGER fail_for_doomed ON users; DROP FUNCTION fail_for_doomed()")
    assert "simulated failure" in api.read_log()
