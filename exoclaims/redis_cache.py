"""Django's Redis cache with one client object per connection pool, made once.

Django's ``RedisCacheClient.get_client`` makes a new ``redis.Redis`` around the pool on every
cache call; building it (its response-callback tables) cost ~0.1 ms a call, and a read of the
API makes three or four calls (the throttle, the cached count): 3 % of a page of 50 claims at
10,000 claims (issue 16's profiles). A ``redis.Redis`` is safe to share between threads (each
command takes a connection from the pool), so one per pool is made and kept.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[object, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # private, not in the stubs
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class SharedClientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache``, its client made once per pool."""

    @cached_property
    def _cache(self):
        return SharedClientRedisCacheClient(self._servers, **self._options)  # type: ignore[attr-defined]
