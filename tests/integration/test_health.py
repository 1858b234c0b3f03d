"""GET /health, GET /api, keep-alive, and behaviour when PostgreSQL goes away and comes back."""

import time

import requests

from hype import ApiDaemon, PostgresCluster, register


def test_health_reports_database(api):
    r = api("GET", "/health")
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["status"] == "ok" and data["database"] == "up"
    assert data["databasePool"]["connected"] >= 1


def test_api_info_lists_every_route(api):
    r = api("GET", "/api")
    assert r.status_code == 200
    endpoints = {(e["method"], e["path"]) for e in r.json()["data"]["endpoints"]}
    for route in [("POST", "/auth/register"), ("POST", "/auth/login"), ("POST", "/auth/guest"),
                  ("POST", "/auth/refresh"), ("GET", "/auth/me"), ("POST", "/auth/logout"),
                  ("GET", "/api/users"), ("GET", "/api/users/:id"), ("PUT", "/api/users/:id"),
                  ("PUT", "/api/users/:id/status"), ("GET", "/health")]:
        assert route in endpoints
    # Every listed endpoint is actually dispatched (no 404 "Route not found").
    for method, path in endpoints:
        r = requests.request(method, api.url + path.replace(":id", "1"), timeout=10)
        assert r.status_code != 404 or r.json()["error"] != "Route not found", (method, path)


def test_keep_alive_connection_serves_many_requests(api):
    with requests.Session() as s:
        for _ in range(50):
            assert s.get(api.url + "/health", timeout=5).status_code == 200


def test_head_request(api):
    r = requests.head(api.url + "/health", timeout=5)
    assert r.status_code == 200 and r.text == ""


def test_database_outage_and_recovery():
    pg = PostgresCluster()
    daemon = ApiDaemon(pg.dsn, DB_QUEUE_TIMEOUT="1s")
    try:
        daemon.wait_ready()
        register(daemon)
        pg.stop("fast")
        r = daemon("GET", "/health")
        assert r.status_code == 503
        assert r.json()["data"]["database"] == "down"
        r = daemon("POST", "/auth/login", json={"email": "a@example.com", "password": "whatever123"})
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        pg.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if daemon("GET", "/health").status_code == 200:
                break
            time.sleep(0.2)
        assert daemon("GET", "/health").status_code == 200
        register(daemon)
        assert daemon.alive()
    finally:
        rc = daemon.stop()
        pg.destroy()
    assert rc == 0, daemon.read_log()[-3000:]


def test_openapi_document_matches_what_is_dispatched(api):
    r = api("GET", "/api-docs")
    assert r.status_code == 200
    doc = r.json()  # the raw OpenAPI document, as documentation tools expect it
    assert doc["openapi"].startswith("3.") and doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    ops = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    for expected in [("POST", "/auth/register"), ("GET", "/api/users/{id}"), ("POST", "/api/servers"),
                     ("GET", "/api/servers/{serverId}/channels/{channelId}"), ("GET", "/api/messages/search"),
                     ("POST", "/api/invite/invite/{token}/accept"), ("DELETE", "/api/serverMembers/{serverId}/members/{memberId}"),
                     ("PATCH", "/api/servers/{serverId}/roles/{roleId}"), ("GET", "/api-docs")]:
        assert expected in ops, expected
    register_op = doc["paths"]["/auth/register"]["post"]
    schema = register_op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["username"]["maxLength"] == 32 and "password" in schema["required"]
    assert "security" in doc["paths"]["/auth/me"]["get"]
    # Every documented operation is dispatched: never "Route not found" nor 405.
    for method, path in ops:
        url = path.replace("{", "").replace("}", "")
        resp = requests.request(method, api.url + url, timeout=10)
        assert resp.status_code != 405, (method, path)
        assert not (resp.status_code == 404 and resp.json().get("error") == "Route not found"), (method, path)


def test_prometheus_metrics(api):
    api("GET", "/api/users")
    api("GET", "/api/no-such-route")
    r = api("GET", "/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    lines = text.splitlines()
    count = [l for l in lines if l.startswith('hype_http_requests_total{method="GET",route="/api/users",status="200"}')]
    assert count and int(count[0].split()[-1]) >= 1
    assert any('route="unmatched",status="404"' in l for l in lines)
    assert any(l.startswith("hype_http_request_duration_seconds_bucket{") and 'le="+Inf"' in l for l in lines)
    assert any(l.startswith('hype_db_pool_connections{state="connected"}') for l in lines)
    # Each family is declared once and its samples are contiguous, as Prometheus requires.
    families = [l.split()[2] for l in lines if l.startswith("# TYPE")]
    assert len(families) == len(set(families))
    order = []
    for l in lines:
        if l and not l.startswith("#"):
            name = l.split("{")[0].split()[0]
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[: -len(suffix)] in families:
                    name = name[: -len(suffix)]
            if not order or order[-1] != name:
                order.append(name)
    assert len(order) == len(set(order)), order
