"""Fixtures shared by the integration tests: one PostgreSQL cluster and one hype-api for the run."""

import pytest

from hype import ACCESS_SECRET, REFRESH_SECRET, ApiDaemon, PostgresCluster


@pytest.fixture(scope="session")
def pg():
    cluster = PostgresCluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def api(pg):
    daemon = ApiDaemon(pg.dsn)
    daemon.wait_ready()
    yield daemon
    alive = daemon.alive()
    rc = daemon.stop()
    log = daemon.read_log()
    # Whatever the tests threw at it, the daemon must have survived, stopped cleanly on SIGTERM,
    # and never written a secret or a password to its log.
    assert alive, f"hype-api died during the tests:\n{log[-4000:]}"
    assert rc == 0, f"hype-api exited with {rc} on SIGTERM:\n{log[-4000:]}"
    for secret in (ACCESS_SECRET, REFRESH_SECRET, "correct-horse-battery", "wrong-password-123"):
        assert secret not in log, f"a secret reached the log: {secret!r}"
    assert "runtime error" not in log and "AddressSanitizer" not in log, log[-4000:]
