"""The WSGI application (gunicorn exoclaims.wsgi), with the garbage collector tuned for serving.

A page of claims makes thousands of short-lived objects; with the default thresholds CPython's
cycle collector ran several times per request, each time walking every long-lived object of the
loaded app, which cost a quarter of the time of /api/claims/ (docs/benchmarks.md). So: load the
URLconf (every view module) now, move everything loaded so far out of the collector's sight
(gc.freeze), and collect the youngest generation less often. Objects are still freed as soon as
nothing refers to them; only reference cycles wait a little longer.
EXOCLAIMS_GC_THRESHOLD="2000,10,10" restores CPython's default.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exoclaims.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports every view, so they are frozen too)
gc.freeze()
gc.set_threshold(*(int(n) for n in os.environ.get("EXOCLAIMS_GC_THRESHOLD", "50000,20,20").split(",")))
