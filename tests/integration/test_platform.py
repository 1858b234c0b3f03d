"""Platform behaviour: rate limits (per address, per user, stricter on auth) and CORS."""

import time

import pytest

from hype import ApiDaemon, bearer, register, unique_name


@pytest.fixture(scope="module")
def limited(pg):
    daemon = ApiDaemon(pg.dsn, RATE_LIMIT="8", RATE_LIMIT_AUTH="3", RATE_LIMIT_WINDOW="60s",
                       CORS_ORIGIN="https://app.example.com, https://admin.example.com")
    daemon.wait_ready()
    yield daemon
    assert daemon.stop() == 0


def test_headers_on_every_response(api):
    r = api("GET", "/api/users")
    for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After"):
        assert h in r.headers
    assert int(r.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert r.headers["X-RateLimit-Bucket"] == "api"
    assert "X-RateLimit-Limit" not in api("GET", "/health").headers, "health probes are not limited"


def test_auth_routes_are_stricter_and_answer_429(limited):
    codes = []
    for _ in range(5):
        r = limited("POST", "/auth/login", json={"email": "nobody@example.com", "password": "wrong-password-123"})
        codes.append(r.status_code)
    assert codes == [401, 401, 401, 429, 429]
    assert r.headers["X-RateLimit-Bucket"] == "auth" and r.headers["X-RateLimit-Remaining"] == "0"
    retry = int(r.headers["Retry-After"])
    assert 0 < retry <= 60
    assert r.json() == {"success": False, "error": "Too many requests", "retry_after": retry}
    assert limited("GET", "/health").status_code == 200


def test_general_limit_per_address(limited):
    statuses = [limited("GET", "/api/users").status_code for _ in range(10)]
    assert statuses.count(429) >= 2 and statuses[0] == 200


def test_cors(api, limited):
    r = api("GET", "/api/users", headers={"Origin": "https://anywhere.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Remaining" in r.headers["Access-Control-Expose-Headers"]
    r = limited("GET", "/health", headers={"Origin": "https://admin.example.com"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"
    assert r.headers["Access-Control-Allow-Credentials"] == "true" and r.headers["Vary"] == "Origin"
    r = limited("GET", "/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = api("OPTIONS", "/api/messages/123", headers={"Origin": "https://x.example",
                                                     "Access-Control-Request-Method": "PUT"})
    assert r.status_code == 204
    methods = {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "PUT", "DELETE", "OPTIONS"} <= methods
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    assert api("OPTIONS", "/api/nothing").status_code == 404


@pytest.fixture(scope="module")
def proxied(pg):
    daemon = ApiDaemon(pg.dsn, RATE_LIMIT="4", RATE_LIMIT_WINDOW="60s", TRUST_PROXY="127.0.0.1, ::1")
    daemon.wait_ready()
    yield daemon
    assert daemon.stop() == 0


def test_limits_follow_the_client_behind_a_trusted_proxy(proxied):
    """Behind a trusted proxy each client (its X-Forwarded-For) has its own budget; addresses
    the client itself prepends cannot shift it to another bucket."""
    def hits(xff, n):
        return [proxied("GET", "/api/servers", headers={"X-Forwarded-For": xff}).status_code for _ in range(n)]
    assert hits("203.0.113.7", 6) == [200] * 4 + [429] * 2
    assert hits("198.51.100.9", 1) == [200], "another client is not held back"
    # A spoofed first hop changes nothing: the proxy appended the real address last.
    assert hits("10.9.9.9, 203.0.113.7", 1) == [429]


def test_limit_per_user_across_addresses(proxied):
    u, _ = register(proxied)
    codes = [proxied("GET", "/api/servers", headers={**bearer(u["accessToken"]), "X-Forwarded-For": f"192.0.2.{i}"}).status_code
             for i in range(6)]
    assert codes[:4] == [200] * 4 and codes[4:] == [429, 429], "one user, many addresses: one budget"


def test_signed_in_responses_report_one_decision(api):
    """Address and user are both counted, but the headers appear once: the tighter budget."""
    u, _ = register(api)
    r = api("GET", "/api/servers", headers=bearer(u["accessToken"]))
    for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Bucket"):
        assert "," not in r.headers[h], f"{h} sent twice: {r.headers[h]}"
    r2 = api("GET", "/api/servers", headers=bearer(u["accessToken"]))
    assert int(r2.headers["X-RateLimit-Remaining"]) < int(r.headers["X-RateLimit-Remaining"])
