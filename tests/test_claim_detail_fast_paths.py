"""The claim detail's fast paths (issue 16): the anonymous rate counted in one Redis round trip, and
the claim read by a statement written once (claims.selectors.claim_for_display), each giving what
the slower way gave.
"""

import secrets

import pytest
import redis
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import AnonRateThrottle

from claims.models import Claim
from exoclaims.settings import cache_from_url
from tests.local_redis import require_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings, monkeypatch):
    """The cache is Redis, as in production, under a prefix of this test's own; counts round trips."""
    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": cache_from_url("redis://127.0.0.1:6379/11")["BACKEND"],  # production's
            "LOCATION": "redis://127.0.0.1:6379/11",
            "KEY_PREFIX": f"test-{secrets.token_hex(8)}",
        }
    }
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    commands = []
    execute = redis.Redis.execute_command

    def counted(client, *args, **options):
        commands.append(args[0])
        return execute(client, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    yield commands
    cache.clear()


def test_with_redis_each_anonymous_request_is_counted_in_one_round_trip(client, redis_cache):
    answers = []
    for _ in range(4):
        redis_cache.clear()
        answers.append(client.get("/api/sections/"))
        # The script (EVALSHA; SCRIPT LOAD and EVALSHA again the first time Redis sees it).
        assert redis_cache in (["EVALSHA"], ["EVALSHA", "SCRIPT LOAD", "EVALSHA"])
    assert [response.status_code for response in answers] == [200, 200, 200, 429]
    assert {response["RateLimit-Policy"] for response in answers} == {'"anon";q=3;w=60'}
    assert [response["RateLimit"].split(";")[1] for response in answers] == ["r=2", "r=1", "r=0", "r=0"]
    reset = int(answers[-1]["RateLimit"].split(";t=")[1])
    assert 0 < reset <= 60 and 0 < int(answers[-1]["Retry-After"]) <= 60


def test_with_redis_each_client_address_has_its_own_count(client, redis_cache, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    first = [client.get("/api/sections/", headers={"X-Real-IP": "198.51.100.1"}) for _ in range(3)]
    other = client.get("/api/sections/", headers={"X-Real-IP": "198.51.100.2"})
    assert [response["RateLimit"].split(";")[1] for response in first] == ["r=2", "r=1", "r=0"]
    assert other.status_code == 200 and other["RateLimit"].split(";")[1] == "r=2"


def test_with_redis_signed_in_clients_are_not_counted(reader_client, redis_cache):
    assert {reader_client.get("/api/sections/").status_code for _ in range(5)} == {200}
    assert "EVALSHA" not in redis_cache


def test_a_claim_reads_as_it_does_in_the_list(client):
    """The detail reads the claim by its public id (claim_for_display), the list by the page's ids
    (read_page, itself checked against the ORM in test_read_model.py): the same JSON, for every
    claim of the review (with and without a mechanism, cited and not)."""
    listed, page = [], client.get("/api/claims/", {"page_size": 500}).json()
    while True:
        listed += page["results"]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert len(listed) == Claim.objects.count() > 50
    assert {claim["mechanism"] is None for claim in listed} == {True, False}
    assert {claim["cited"] for claim in listed} == {True, False}
    for shown in listed:
        cache.clear()
        assert client.get(f"/api/claims/{shown['id']}/").json() == shown


def test_the_redis_cache_makes_its_client_once_and_answers_as_djangos(redis_cache):
    """REDIS_URL selects Django's Redis cache with one client object per pool (exoclaims.redis_cache):
    Django's own made one on every call. Values, misses and deletes behave as before."""
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    assert backend._cache.get_client() is backend._cache.get_client(write=True)
    assert cache.get("absent", "default") == "default"
    cache.set("counts", {"drug": [("doxorubicin", 3)]}, 30)
    assert cache.get("counts") == {"drug": [("doxorubicin", 3)]}
    assert cache.delete("counts") and cache.get("counts") is None
    assert redis_cache.count("SET") == 1 and redis_cache.count("GET") == 3
