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
"""

import math

from rest_framework import throttling

from claims.login_throttle import client_address

POLICY = "anon"


class AnonRateThrottle(throttling.AnonRateThrottle):
    scope = POLICY
    num_requests: int  # parsed from the rate by SimpleRateThrottle.__init__
    duration: int

    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if self.rate is not None and self.key is not None:  # None: signed in, not throttled
            # DRF copies the view's headers onto its response, the 429 included.
            view.headers.update(self.rate_limit_headers())
        return allowed

    def rate_limit_headers(self):
        remaining = max(0, self.num_requests - len(self.history))
        # The window slides: the oldest request counted frees its place `duration` after it was made.
        reset = self.history[-1] + self.duration - self.now if self.history else self.duration
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.num_requests};w={self.duration}',
            "RateLimit": f'"{POLICY}";r={remaining};t={max(0, math.ceil(reset))}',
        }
