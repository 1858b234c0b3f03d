"""Auth routes of seed 000 (/auth/* and the /api/auth/* alias) against real PostgreSQL."""

import base64
import concurrent.futures
import hashlib
import hmac
import json
import statistics
import time

import requests

from hype import ACCESS_SECRET, REFRESH_SECRET, bearer, register, unique_name

USER_KEYS = {"id", "username", "email", "displayName", "avatarUrl", "status", "createdAt"}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims, secret, alg="HS256"):
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing = f"{header}.{payload}".encode()
    sig = b64url(hmac.new(secret.encode(), signing, hashlib.sha256).digest()) if alg == "HS256" else ""
    return f"{header}.{payload}.{sig}"


def decode_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_iso_ms(ts):
    # 2025-10-23T10:30:00.000Z
    assert len(ts) == 24 and ts[10] == "T" and ts[19] == "." and ts.endswith("Z"), ts


# ---- register ----

def test_register_returns_user_and_token_pair(api):
    name = unique_name("Reg")
    r = api("POST", "/auth/register", json={"username": name, "email": f"{name}@Example.com",
                                            "password": "correct-horse-battery"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["success"] is True
    data = body["data"]
    assert USER_KEYS <= set(data["user"])
    user = data["user"]
    assert user["username"] == name and user["email"] == f"{name}@Example.com"
    assert user["status"] == "online" and user["displayName"] is None and user["avatarUrl"] is None
    assert user["id"].isdigit()
    assert_iso_ms(user["createdAt"])
    access, refresh = data["accessToken"], data["refreshToken"]
    assert access != refresh
    claims = decode_claims(access)
    assert claims["userId"] == user["id"] and claims["username"] == name
    assert claims["exp"] - claims["iat"] == 15 * 60
    rclaims = decode_claims(refresh)
    assert rclaims["exp"] - rclaims["iat"] == 7 * 24 * 3600
    # Clients of seeds 001/002 read a single "token".
    assert body["token"] == access
    me = api("GET", "/auth/me", headers=bearer(access))
    assert me.status_code == 200 and me.json()["data"]["user"]["id"] == user["id"]


def test_register_never_stores_the_password(api, pg):
    data, password = register(api)
    stored = pg.psql("hype", f"SELECT password_hash FROM users WHERE id = {data['user']['id']}")
    assert stored.startswith("$argon2id$") and password not in stored


def test_register_validation_details(api):
    r = api("POST", "/auth/register", json={"username": "ab", "email": "not-an-email", "password": "short"})
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False and body["error"] == "Validation failed"
    by_path = {tuple(d["path"]): d for d in body["details"]}
    assert by_path[("username",)]["code"] == "too_small"
    assert by_path[("username",)]["minimum"] == 3
    assert by_path[("username",)]["message"] == "String must contain at least 3 character(s)"
    assert by_path[("email",)]["code"] == "invalid_string"
    assert by_path[("password",)]["code"] == "too_small" and by_path[("password",)]["minimum"] == 8


def test_register_rejects_bad_usernames_and_missing_fields(api):
    r = api("POST", "/auth/register", json={"username": "bad name!", "password": "correct-horse"})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["username"]
    r = api("POST", "/auth/register", json={"username": "x" * 33, "password": "correct-horse"})
    assert r.status_code == 400 and r.json()["details"][0]["code"] == "too_big"
    r = api("POST", "/auth/register", json={})
    assert r.status_code == 400
    missing = {d["path"][0] for d in r.json()["details"] if d["message"] == "Required"}
    assert missing == {"username", "password"}
    r = api("POST", "/auth/register", json={"username": unique_name(), "password": "p" * 129})
    assert r.status_code == 400 and r.json()["details"][0]["maximum"] == 128


def test_register_duplicate_username_and_email(api):
    data, _ = register(api)
    name = data["user"]["username"]
    r = api("POST", "/auth/register", json={"username": name.upper(), "email": "other@example.com",
                                            "password": "correct-horse-battery"})
    assert r.status_code == 400 and r.json()["error"] == "Username already taken"
    r = api("POST", "/auth/register", json={"username": unique_name(), "email": data["user"]["email"].upper(),
                                            "password": "correct-horse-battery"})
    assert r.status_code == 400 and r.json()["error"] == "Email already registered"


def test_register_without_email_as_seed_002_clients_do(api):
    data, password = register(api, email=False)
    assert data["user"]["email"] is None
    r = api("POST", "/api/auth/login", json={"username": data["user"]["username"], "password": password})
    assert r.status_code == 200


def test_concurrent_registrations_of_one_username(api):
    name = unique_name("race")

    def attempt(i):
        return api("POST", "/auth/register", json={"username": name, "email": f"race{i}_{name}@example.com",
                                                   "password": "correct-horse-battery"})

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1, codes
    assert codes.count(400) == 19, codes
    for r in results:
        if r.status_code == 400:
            assert r.json()["error"] == "Username already taken"


# ---- login ----

def test_login_by_email_and_by_username(api):
    data, password = register(api)
    user = data["user"]
    r = api("POST", "/auth/login", json={"email": user["email"], "password": password})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["user"]["id"] == user["id"] and d["user"]["status"] == "online"
    assert d["accessToken"] and d["refreshToken"]
    r = api("POST", "/auth/login", json={"username": user["username"], "password": password})
    assert r.status_code == 200 and r.json()["data"]["user"]["id"] == user["id"]


def test_login_failures_look_the_same(api):
    data, _ = register(api)
    wrong = api("POST", "/auth/login", json={"email": data["user"]["email"], "password": "wrong-password-123"})
    unknown = api("POST", "/auth/login", json={"email": "nobody-here@example.com", "password": "wrong-password-123"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"success": False, "error": "Invalid email or password"}


def test_login_failures_take_about_the_same_time(api):
    data, _ = register(api)

    def timed(body):
        t = time.perf_counter()
        r = api("POST", "/auth/login", json=body)
        assert r.status_code == 401
        return time.perf_counter() - t

    # Interleaved, so that whatever else the machine does (a sanitizer build, a busy CI core)
    # weighs on both kinds alike; medians of 15 each.
    wrong, unknown = [], []
    for _ in range(15):
        wrong.append(timed({"email": data["user"]["email"], "password": "wrong-password-123"}))
        unknown.append(timed({"email": "ghost@example.com", "password": "wrong-password-123"}))
    ratio = statistics.median(wrong) / statistics.median(unknown)
    # Both paths run one argon2id verification; without the dummy hash the unknown user would
    # answer many times faster.
    assert 0.5 < ratio < 2.0, (wrong, unknown)


def test_login_validation(api):
    r = api("POST", "/auth/login", json={"password": "x"})
    assert r.status_code == 400 and r.json()["details"][0]["message"] == "Email or username is required"
    r = api("POST", "/auth/login", json={"email": "a@b.co"})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["password"]
    r = api("POST", "/auth/login", json={"email": "not-an-email", "password": "x"})
    assert r.status_code == 400


def test_login_many_in_parallel_does_not_stall_other_requests(api):
    data, password = register(api)
    body = {"email": data["user"]["email"], "password": password}
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        logins = [pool.submit(api, "POST", "/auth/login", json=body) for _ in range(32)]
        # While argon2id runs on the thread pool, cheap requests keep being served.
        health = [api("GET", "/health") for _ in range(5)]
        results = [f.result() for f in logins]
    assert all(r.status_code == 200 for r in results)
    assert all(h.status_code == 200 for h in health)


# ---- guest ----

def test_guest_login(api):
    name = unique_name("guest")
    r = api("POST", "/auth/guest", json={"username": name})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["user"]["username"] == name and d["user"]["email"] is None and d["user"]["isGuest"] is True
    assert d["user"]["status"] == "online"
    me = api("GET", "/auth/me", headers=bearer(d["accessToken"]))
    assert me.status_code == 200
    r = api("POST", "/auth/guest", json={"username": name})
    assert r.status_code == 400 and r.json()["error"] == "Username already taken"
    r = api("POST", "/auth/guest", json={"username": "g"})
    assert r.status_code == 400
    # A guest has no password: logging in as one fails like any wrong password.
    r = api("POST", "/auth/login", json={"username": name, "password": "anything-at-all"})
    assert r.status_code == 401


# ---- refresh ----

def test_refresh_rotates_and_detects_reuse(api):
    data, _ = register(api)
    first = data["refreshToken"]
    r = api("POST", "/auth/refresh", json={"refreshToken": first})
    assert r.status_code == 200, r.text
    pair = r.json()["data"]
    second, access2 = pair["refreshToken"], pair["accessToken"]
    assert second != first
    assert api("GET", "/auth/me", headers=bearer(access2)).status_code == 200

    r = api("POST", "/auth/refresh", json={"refreshToken": second})
    assert r.status_code == 200
    third, access3 = r.json()["data"]["refreshToken"], r.json()["data"]["accessToken"]

    # Presenting a used token means theft: the whole family is revoked.
    r = api("POST", "/auth/refresh", json={"refreshToken": first})
    assert r.status_code == 401
    r = api("POST", "/auth/refresh", json={"refreshToken": third})
    assert r.status_code == 401 and r.json()["error"] == "Invalid refresh token"
    r = api("GET", "/auth/me", headers=bearer(access3))
    assert r.status_code == 401


def test_refresh_reuse_only_revokes_that_family(api):
    data, password = register(api)
    other = api("POST", "/auth/login", json={"email": data["user"]["email"], "password": password}).json()["data"]
    api("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]})
    assert api("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]}).status_code == 401
    r = api("POST", "/auth/refresh", json={"refreshToken": other["refreshToken"]})
    assert r.status_code == 200


def test_tokens_are_not_interchangeable(api):
    data, _ = register(api)
    r = api("POST", "/auth/refresh", json={"refreshToken": data["accessToken"]})
    assert r.status_code == 401 and r.json()["error"] == "Invalid refresh token"
    r = api("GET", "/auth/me", headers=bearer(data["refreshToken"]))
    assert r.status_code == 401


def test_refresh_errors(api):
    data, _ = register(api)
    claims = decode_claims(data["refreshToken"])
    expired = make_jwt(dict(claims, iat=1000, exp=2000), REFRESH_SECRET)
    r = api("POST", "/auth/refresh", json={"refreshToken": expired})
    assert r.status_code == 401 and r.json()["error"] == "Refresh token expired"
    forged = make_jwt(claims, "not-the-refresh-secret-but-32-bytes-long")
    assert api("POST", "/auth/refresh", json={"refreshToken": forged}).status_code == 401
    assert api("POST", "/auth/refresh", json={"refreshToken": "garbage"}).status_code == 401
    r = api("POST", "/auth/refresh", json={})
    assert r.status_code == 400
    r = api("POST", "/auth/refresh", json={"refreshToken": 42})
    assert r.status_code == 400 and r.json()["details"][0]["code"] == "invalid_type"


# ---- me and bearer checks ----

def test_me_requires_a_valid_access_token(api):
    r = api("GET", "/auth/me")
    assert r.status_code == 401 and r.json() == {"success": False, "error": "Not authenticated"}
    assert api("GET", "/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert api("GET", "/auth/me", headers=bearer("a.b.c")).status_code == 401

    data, _ = register(api)
    claims = decode_claims(data["accessToken"])
    expired = make_jwt(dict(claims, iat=1000, exp=2000), ACCESS_SECRET)
    r = api("GET", "/auth/me", headers=bearer(expired))
    assert r.status_code == 401 and r.json()["error"] == "Token expired"
    none_alg = make_jwt(claims, ACCESS_SECRET, alg="none")
    assert api("GET", "/auth/me", headers=bearer(none_alg)).status_code == 401
    tampered = make_jwt(dict(claims, userId="1", sub="1"), "some-other-secret-that-is-long-enough")
    assert api("GET", "/auth/me", headers=bearer(tampered)).status_code == 401


def test_me_of_a_deleted_user_is_404(api, pg):
    data, _ = register(api)
    pg.psql("hype", f"DELETE FROM users WHERE id = {data['user']['id']}")
    r = api("GET", "/auth/me", headers=bearer(data["accessToken"]))
    assert r.status_code == 404 and r.json()["error"] == "User not found"


# ---- logout ----

def test_logout_revokes_the_session(api):
    data, password = register(api)
    other = api("POST", "/auth/login", json={"email": data["user"]["email"], "password": password}).json()["data"]
    r = api("POST", "/auth/logout", headers=bearer(data["accessToken"]))
    assert r.status_code == 200 and r.json() == {"success": True, "message": "Logged out successfully"}
    assert api("GET", "/auth/me", headers=bearer(data["accessToken"])).status_code == 401
    assert api("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]}).status_code == 401
    # Another session of the same user is untouched.
    assert api("GET", "/auth/me", headers=bearer(other["accessToken"])).status_code == 200
    assert api("POST", "/auth/logout").status_code == 401


# ---- aliases ----

def test_api_auth_and_v1_aliases(api):
    name = unique_name()
    r = api("POST", "/api/auth/register", json={"username": name, "password": "correct-horse-battery"})
    assert r.status_code == 201
    token = r.json()["data"]["accessToken"]
    assert api("GET", "/api/auth/me", headers=bearer(token)).status_code == 200
    assert api("GET", "/api/v1/auth/me", headers=bearer(token)).status_code == 200
    r = api("POST", "/api/v1/auth/login", json={"username": name, "password": "correct-horse-battery"})
    assert r.status_code == 200


def test_real_curl_client(api):
    import subprocess
    name = unique_name("curl")
    out = subprocess.run(["curl", "-sS", "-X", "POST", f"{api.url}/auth/register",
                          "-H", "Content-Type: application/json",
                          "-d", json.dumps({"username": name, "password": "correct-horse-battery"}),
                          "-w", "\n%{http_code}"], capture_output=True, text=True, check=True).stdout
    body, code = out.rsplit("\n", 1)
    assert code == "201" and json.loads(body)["data"]["user"]["username"] == name
    assert isinstance(requests.get(api.url + "/health", timeout=5).json()["data"], dict)
