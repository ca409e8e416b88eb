"""The app's settings with no cache: every facet count and total is computed on each request, and
every name resolved (no process memo either).

For measuring what a reader sees on the first request after a write (bench/datasette_side_by_side.py
serves the app twice, once with these settings, to time uncached facet counts).
"""

from exoclaims import settings as app_settings

# Django reads a settings module's upper-case names: the app's, with the cache replaced.
globals().update({name: getattr(app_settings, name) for name in dir(app_settings) if name.isupper()})
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
VERSION_MEMO = False
