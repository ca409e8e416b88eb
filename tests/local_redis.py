"""The Redis server tests use where production would (127.0.0.1:6379, as on the CI machines)."""

import os
import socket

import pytest

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def require_redis():
    """Skip the test when no Redis answers here; in CI (CI=true), where one runs, fail instead."""
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return
    except OSError:
        message = f"no Redis on {REDIS_HOST}:{REDIS_PORT}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
