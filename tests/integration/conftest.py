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
    # Whatever the tests threw at it, the daemon must have survived, stopped cleanly on SIGTERM,
    # and never written a secret or a password to its log.
    daemon.check_clean_exit((ACCESS_SECRET, REFRESH_SECRET, "correct-horse-battery", "wrong-password-123"))
