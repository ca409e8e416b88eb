"""ExoClaims settings: one module, every deploy-time value read from the environment.

Without DATABASE_URL the site runs on an SQLite file in the project directory, so a fresh
checkout works with nothing to install; production sets DATABASE_URL=postgres://…
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default=False):
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (got {value!r})")


def envint(name, default):
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {value!r})") from None


def envlist(name, default=()):
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


def database_from_url(url, base_dir=BASE_DIR):
    """Translate DATABASE_URL into Django's DATABASES['default'] (empty: the SQLite file)."""
    # Persistent connections for both: opening the SQLite file on every request was a third of a
    # small API read (issue 16); PostgreSQL's are checked before reuse, so a restart is survived.
    conn_max_age = envint("DATABASE_CONN_MAX_AGE", 60)
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": base_dir / "db.sqlite3",
            "CONN_MAX_AGE": conn_max_age,
        }
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative.db or sqlite:////absolute/path.db
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ImproperlyConfigured("DATABASE_URL sqlite:/// needs a file path")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "CONN_MAX_AGE": conn_max_age}
    if parts.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        # Server-side binding with psycopg's automatic prepared statements: a statement of fixed
        # shape (a claim by its id, its relations, the data version) run this many times on a
        # connection is prepared and no longer planned on every request, which was half of a
        # claim's time on PostgreSQL (issue 16). 0 turns both off (e.g. behind a pooler that
        # cannot keep prepared statements).
        prepare = envint("DATABASE_PREPARE_THRESHOLD", 1)
        if prepare < 0:
            raise ImproperlyConfigured(f"DATABASE_PREPARE_THRESHOLD must be 0 or more (got {prepare})")
        binding = {"server_side_binding": True, "prepare_threshold": prepare} if prepare else {}
        # With them, one generic plan per prepared statement from its first run. PostgreSQL's
        # default planned each one five more times with its parameters before settling on the
        # generic plan, which it then chose for every statement the pages run but one (whose
        # generic plan is as fast): a page statement takes 1-4 ms to plan, so a new connection's
        # first requests took 3-7 ms for a claim that takes 1.7 (issue 16). Entity ids and search
        # words are written into the statements (claims.filters, claims.models.claim), so no plan
        # depends on which drug or word a parameter holds.
        generic = " -c plan_cache_mode=force_generic_plan" if prepare else ""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            # JIT off: the facet counts are one statement whose estimated cost passes the JIT
            # threshold at 100k claims, and compiling it takes longer than running it.
            # random_page_cost 1.1 (the usual setting for SSDs and cached data, as here): with the
            # default 4 the planner read the whole citation table into a hash for a page's 50
            # claims instead of looking up their ~100 citations by key (3.5-8 ms against 1.5 ms).
            "OPTIONS": {
                "connect_timeout": 5,
                "options": "-c jit=off -c random_page_cost=1.1" + generic,
                **binding,
                **options,
            },
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported: use postgres://… or sqlite:///…"
    )


DEBUG = envbool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is not 1 "
            "(set DJANGO_DEBUG=1 for local development)"
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG=1"

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (no CDN)
    "simple_history",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The API's HTTP contract (claims.api.middleware): gzip of API responses only, CORS for
    # anonymous reads, and versions, problems, Cache-Control and Vary, outside everything that
    # can answer by itself.
    "claims.api.middleware.ApiGZipMiddleware",
    "claims.api.middleware.ReadOnlyCorsMiddleware",
    "claims.api.middleware.ApiHttpMiddleware",
    "claims.request_hygiene.RequestHygieneMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "claims.middleware.DatabaseUnavailableMiddleware",
    "claims.middleware.OneDataVersionPerReadMiddleware",
]

ROOT_URLCONF = "exoclaims.urls"
WSGI_APPLICATION = "exoclaims.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", ""))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed file names in production; plain files while developing and testing.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not envbool("EXOCLAIMS_PLAIN_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The site's canonical address: JSON-LD and nanopublication IRIs and the exo: vocabulary
# (<base>/terms#) are built on it whatever host a request came through, so records fetched through
# two names are the same resources. The default is `make serve`'s; production sets its public one.
EXOCLAIMS_BASE_URL = os.environ.get("EXOCLAIMS_BASE_URL", "").strip().rstrip("/") or "http://127.0.0.1:8000"
_base = urlsplit(EXOCLAIMS_BASE_URL)
if _base.scheme not in {"http", "https"} or not _base.netloc or _base.query or _base.fragment:
    raise ImproperlyConfigured(
        f"EXOCLAIMS_BASE_URL must be an http(s) address without query or fragment (got {EXOCLAIMS_BASE_URL!r})"
    )
# Where make_release writes and /releases/ reads: one directory every web process can read
# (relative paths are from the project directory, whatever directory a process starts in).
EXOCLAIMS_RELEASES_DIR = BASE_DIR / (os.environ.get("EXOCLAIMS_RELEASES_DIR", "").strip() or "releases")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "claims:home"
LOGOUT_REDIRECT_URL = "claims:home"

# Uploads (BibTeX files): refuse anything larger up front.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
BIBTEX_MAX_BYTES = envint("EXOCLAIMS_BIBTEX_MAX_BYTES", 5 * 1024 * 1024)
BIBTEX_MAX_ENTRIES = envint("EXOCLAIMS_BIBTEX_MAX_ENTRIES", 20000)


def cache_from_url(url):
    """The cache every process shares: throttles, sign-in failures and the facet/count cache.

    A per-process cache (LocMemCache) would let each gunicorn worker count requests and password
    guesses on its own, so the default is Django's database cache (a table created by
    ``createcachetable``; ``make serve`` and compose's ``migrate`` service run it), and
    REDIS_URL=redis://… uses Redis instead.
    """
    if not url:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "exoclaims_cache"}
    if urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(f"REDIS_URL must be redis://…, rediss://… or unix://… (got {url!r})")
    return {"BACKEND": "exoclaims.redis_cache.SharedClientRedisCache", "LOCATION": url}


CACHES = {"default": cache_from_url(os.environ.get("REDIS_URL", "").strip())}
# What each process keeps for the data version a read-only request reads (claims.data_version's
# VersionMemo: the entities a filter's names resolve to, a filter's claim count). Off, every
# request asks the database and the cache (bench/settings_uncached.py measures that).
VERSION_MEMO = True

# Requests an anonymous client may make (claims.api.throttling), e.g. 3000/hour.
ANON_RATE = os.environ.get("EXOCLAIMS_ANON_RATE", "3000/hour")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tools send "Authorization: Token <key>" (manage.py drf_create_token NAME); the browser its session.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["claims.api.permissions.ReadAnyoneWriteWithModelPermission"],
    "DEFAULT_FILTER_BACKENDS": ["claims.api.filtering.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "claims.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # JSON only: the browsable API would render forms listing every drug and cargo; /api/docs/ is
    # the interactive view. Download formats are added per endpoint (claims.api.renderers).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "claims.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "claims.api.renderers.NamedFormatNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["claims.api.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": ANON_RATE},
    "EXCEPTION_HANDLER": "claims.api.errors.exception_handler",
}
# How long shared caches and browsers may keep an anonymous API read (Cache-Control: public).
API_CACHE_SECONDS = envint("EXOCLAIMS_API_CACHE_SECONDS", 60)
# How long an Idempotency-Key (and a site form's one-time token) names its first request; older
# ones are a new request and are deleted (claims.api.idempotency, manage.py purge_idempotency_keys).
IDEMPOTENCY_KEY_TTL = timedelta(hours=envint("EXOCLAIMS_IDEMPOTENCY_KEY_HOURS", 24))

# CORS (django-cors-headers, claims.api.middleware.ReadOnlyCorsMiddleware): any origin may read
# the API without credentials; writes get no CORS headers, so they stay with the site's own pages.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Link", "Retry-After", "RateLimit", "RateLimit-Policy", "Content-Disposition"]
CORS_PREFLIGHT_MAX_AGE = 86400

API_DESCRIPTION = """\
Curated claims, citations and entities from the review of exosomes in breast-cancer drug
resistance (Liu et al., Front. Bioeng. Biotechnol. 2023;11:1214648, doi:10.3389/fbioe.2023.1214648,
CC BY 4.0).

**Base**: `/api/v1/` (this document's server); `/api/` is its unversioned alias, kept working.
Changes and the deprecation rule: docs/api.md.

**Reading** needs no account. `claims/` takes the same filters as the claim browser
(`/claims/`): `drug`, `cargo`, `cargo_type`, `cell_line`, `mechanism`, `therapy_class`, `direction`,
`model`, `status`, `citation_support`, `section`, `citation` (a key) and `q` (full text). Different
parameters combine with AND, a repeated parameter means OR (`drug=cisplatin&drug=doxorubicin`), and
entity parameters take a slug, a name or an alias, case-insensitively (`drug=ADM`). An unknown value is
a 400 naming it. Pages hold `page_size` results (default 50; asks above 500 get 500).
`facets/` counts the values of every facet for the same filters.

**Formats**: JSON by default. `?format=csv` (claims: one row a claim, lists joined with "; ";
cells a spreadsheet would run as a formula get a leading apostrophe) and `?format=bibtex` (citations,
or the works claims cite) return the whole filtered set, streamed, not a page. `?format=jsonld` on one
claim gives a nanopublication-shaped JSON-LD record.

**Writing** needs a curator's account: curators add and change claims, citations and entities and
send claims to review; editors also approve, reject, delete and resolve flags. Tools authenticate
with a token, sent as `Authorization: Token <key>`; an administrator creates one with
`python manage.py drf_create_token <username>` (or in the admin, under Tokens). The browser uses its
session (with the CSRF token).

**Errors** are RFC 9457 problems (`application/problem+json`): `type`, `title`, `status`,
`detail`, and for invalid input `errors`, each bad field with its messages (`{"field": ["message"]}`).

**No lost updates**: a claim's responses carry an `ETag`. Send it back as `If-Match` when you change
the claim: if someone changed it meanwhile you get 412 and nothing is written. `If-None-Match` with
the ETag you hold gives 304 when the claim is unchanged.

**Throttling**: anonymous clients get {rate} requests per address (`EXOCLAIMS_ANON_RATE`); signed-in
clients are not throttled. Anonymous responses carry `RateLimit-Policy` and `RateLimit` (IETF draft
ratelimit-headers: quota `q` a window of `w` seconds; `r` left, `t` seconds until one more is free);
past the limit: 429 with a Retry-After header.

**Browsers and caches**: any origin may read without credentials (CORS); writes stay same-origin.
Anonymous reads are `Cache-Control: public, max-age={cache_seconds}`, reads with credentials `private, no-cache`;
responses are gzip-compressed for clients that send `Accept-Encoding: gzip`.
"""

SPECTACULAR_SETTINGS = {
    "TITLE": "ExoClaims API",
    "DESCRIPTION": API_DESCRIPTION.replace("{rate}", ANON_RATE).replace(
        "{cache_seconds}", str(API_CACHE_SECONDS)
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.api.schema.document_malformed_requests",
        "claims.api.schema.document_problems",
        "claims.api.schema.document_downloads_as_sent",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: it would load an image from another site (the CSP forbids it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "defaultModelsExpandDepth": 0},
    "ENUM_NAME_OVERRIDES": {
        "CurationStatusEnum": "claims.vocabulary.CurationStatus",
        "CitationSupportEnum": "claims.vocabulary.CitationSupport",
        "TherapyClassEnum": "claims.vocabulary.TherapyClass",
        "DirectionEnum": "claims.vocabulary.Direction",
        "ModelSystemEnum": "claims.vocabulary.ModelSystem",
        "CargoTypeEnum": "claims.vocabulary.CargoType",
        "CellLineRoleEnum": "claims.vocabulary.CellLineRole",
        "FlagKindEnum": "claims.vocabulary.FlagKind",
    },
}

# Security: on unless debug is.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Sign-in is throttled against password guessing (claims.login_throttle): per username and
# address, and per address whatever the username, over a window that starts at the first failure.
AUTHENTICATION_BACKENDS = ["claims.login_throttle.ThrottledModelBackend"]
LOGIN_FAILURE_LIMIT = envint("EXOCLAIMS_LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = envint("EXOCLAIMS_LOGIN_ADDRESS_FAILURE_LIMIT", 50)
LOGIN_LOCKOUT_SECONDS = envint("EXOCLAIMS_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Behind a proxy every client shares the proxy's address; name the header it sets with the real one
# (e.g. HTTP_X_REAL_IP). Only when that proxy overwrites it: clients can send any header they like.
CLIENT_IP_HEADER = os.environ.get("EXOCLAIMS_CLIENT_IP_HEADER", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
