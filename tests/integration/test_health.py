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
