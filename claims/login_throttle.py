"""Brute-force protection for signing in: failed attempts are counted in the cache.

Two counters, each over LOGIN_LOCKOUT_SECONDS from the first failure: failures for one username
from one address (LOGIN_FAILURE_LIMIT, a guessing attack on one account) and failures from one
address whatever the username (LOGIN_ADDRESS_FAILURE_LIMIT, password spraying). Past either
limit, sign-in from that address is refused, even with the right password, with a message
saying why and for how long; counting per address means an attacker elsewhere cannot lock a
curator out.

``ThrottledModelBackend`` enforces it wherever Django authenticates a password (the sign-in
page, the admin's, DRF's token endpoint); ``LoginView`` adds the 429 status and Retry-After.
Counters live in the default cache: with a per-process cache (LocMemCache) each application
worker counts on its own, so the effective limit is at most the number of workers times it.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import ValidationError

THROTTLED = "throttled"


def _setting(name, default):
    return getattr(settings, name, default)


def client_address(request):
    """The client's address: REMOTE_ADDR, or the header a trusted proxy sets (CLIENT_IP_HEADER)."""
    header = _setting("CLIENT_IP_HEADER", "")
    address = request.META.get(header, "") if header else ""
    return address.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "") or "unknown"


class LoginThrottle:
    def __init__(self, request, username):
        address = client_address(request)
        self.username = str(username or "")
        digest = hashlib.sha256(f"{self.username.casefold()}\x00{address}".encode()).hexdigest()
        self.account_key = f"login-failures:account:{digest}"
        self.address_key = f"login-failures:address:{hashlib.sha256(address.encode()).hexdigest()}"
        self.seconds = _setting("LOGIN_LOCKOUT_SECONDS", 900)

    def is_locked(self):
        counts = cache.get_many([self.account_key, self.address_key])
        return counts.get(self.account_key, 0) >= _setting("LOGIN_FAILURE_LIMIT", 5) or counts.get(
            self.address_key, 0
        ) >= _setting("LOGIN_ADDRESS_FAILURE_LIMIT", 50)

    def record_failure(self):
        for key in (self.account_key, self.address_key):
            cache.add(key, 0, self.seconds)  # the window starts at the first failure
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr: start again
                cache.set(key, 1, self.seconds)

    def record_success(self):
        cache.delete(self.account_key)

    def refusal(self):
        minutes = max(1, round(self.seconds / 60))
        return ValidationError(
            f"Too many failed sign-in attempts for “{self.username}” from your address. Wait {minutes} "
            "minutes and try again, or ask an administrator to reset your password.",
            code=THROTTLED,
        )


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, refusing (with a ValidationError the login forms show) once throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # management commands and code that authenticates without a request
            return super().authenticate(request, username, password, **kwargs)
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        throttle = LoginThrottle(request, username)
        if throttle.is_locked():
            raise throttle.refusal()
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            throttle.record_failure()
        else:
            throttle.record_success()
        return user


class LoginView(auth_views.LoginView):
    """The sign-in page, answering 429 (with Retry-After) while the attempt is throttled."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(error.code == THROTTLED for error in form.non_field_errors().as_data()):
            response.status_code = 429
            response["Retry-After"] = str(_setting("LOGIN_LOCKOUT_SECONDS", 900))
        return response
