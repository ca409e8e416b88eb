"""The anonymous API rate: counted per client address, announced in RateLimit headers.

The address is the one the sign-in throttle counts (claims.login_throttle.client_address):
REMOTE_ADDR, or the header a trusted proxy sets when EXOCLAIMS_CLIENT_IP_HEADER names one. DRF's
own AnonRateThrottle keyed on X-Forwarded-For whenever a request carried it, so a client could
send a new value with each request and never be counted.

Every anonymous response says where the client stands, in the fields of the IETF draft
"RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers-10), beside the
Retry-After of a 429:

    RateLimit-Policy: "anon";q=3000;w=3600   (3000 requests a 3600-second window)
    RateLimit: "anon";r=2999;t=3600          (2999 left; t seconds until one more is free)

The window slides as DRF's SimpleRateThrottle keeps it: a log of the times of the requests
counted, newest first, the ones older than the window dropped. With the Redis cache
(REDIS_URL) the log is a Redis list, read and written by one script in one round trip
(``COUNT_SCRIPT``); DRF's own way, a ``get`` of the whole log and a ``set`` of it, took two,
each with a new client object, and two workers answering the same client at once could both
read the log before either wrote it back (one request went uncounted). With any other cache
(the database cache by default) the log is DRF's.
"""

import math

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script
from rest_framework import throttling

from claims.login_throttle import client_address

POLICY = "anon"

# KEYS[1]: the client's log (a list, newest first). ARGV: now, window (s), limit. Drops the times
# that left the window, counts the request when there is room, and answers {1 if counted else 0,
# the times in the window, the oldest of them ("" for none)}: DRF's steps, the times kept as
# the same decimal text so that the sums below are the same doubles in Lua and Python.
COUNT_SCRIPT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local oldest = redis.call('LINDEX', KEYS[1], -1)
while oldest and tonumber(oldest) <= now - window do
  redis.call('RPOP', KEYS[1])
  oldest = redis.call('LINDEX', KEYS[1], -1)
end
local counted = redis.call('LLEN', KEYS[1])
if counted >= limit then
  return {0, counted, oldest or ''}
end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], window)
return {1, counted + 1, oldest or ARGV[1]}
"""
_script: Script | None = None


class AnonRateThrottle(throttling.AnonRateThrottle):
    scope = POLICY
    num_requests: int  # parsed from the rate by SimpleRateThrottle.__init__
    duration: int
    counted = 0  # requests in the window, this one included when allowed
    oldest: float | None = None  # when the oldest of them was made

    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        # DRF's cache is django.core.cache.cache, a proxy of the default cache's backend.
        backend = caches[DEFAULT_CACHE_ALIAS]
        if self.cache is default_cache and isinstance(backend, RedisCache):
            allowed = self._count_in_redis(request, view, backend)
        else:
            allowed = super().allow_request(request, view)
            if self.rate is not None and self.key is not None:
                self.counted = len(self.history)
                self.oldest = self.history[-1] if self.history else None
        if self.rate is not None and self.key is not None:  # None: signed in, not throttled
            # DRF copies the view's headers onto its response, the 429 included.
            view.headers.update(self.rate_limit_headers())
        return allowed

    def _count_in_redis(self, request, view, cache):
        """SimpleRateThrottle.allow_request with the log in a Redis list: one round trip."""
        global _script
        self.key = None if self.rate is None else self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        # Not DRF's key: that one holds a pickled list, which the list commands refuse.
        key = cache.make_and_validate_key(f"{self.key}:log")
        # The cache's own client (exoclaims.redis_cache keeps one per pool); like every cache
        # write, to the first server listed.
        client = cache._cache.get_client(key, write=True)
        if _script is None:
            _script = Script(client, COUNT_SCRIPT)
        allowed, counted, oldest = _script(
            keys=[key], args=[repr(self.now), self.duration, self.num_requests], client=client
        )
        self.counted, self.oldest = int(counted), float(oldest) if oldest else None
        return bool(allowed)

    def wait(self):
        # SimpleRateThrottle.wait from the count and the oldest time rather than the whole log.
        remaining = self.duration if self.oldest is None else self.duration - (self.now - self.oldest)
        available = self.num_requests - self.counted + 1
        return None if available <= 0 else remaining / available

    def rate_limit_headers(self):
        remaining = max(0, self.num_requests - self.counted)
        # The window slides: the oldest request counted frees its place `duration` after it was made.
        reset = self.duration if self.oldest is None else self.oldest + self.duration - self.now
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.num_requests};w={self.duration}',
            "RateLimit": f'"{POLICY}";r={remaining};t={max(0, math.ceil(reset))}',
        }
