"""Django settings, read only from SHEQU_* environment variables (and an optional .env)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from shequ import production
from shequ.config import (
    ConfigError,
    env,
    envbool,
    envint,
    envlist,
    envnetworks,
    load_dotenv_file,
    log_format,
    persistent_secret,
)

PACKAGE_DIR = Path(__file__).resolve().parent
load_dotenv_file(Path.cwd())

SHEQU_ENV = env("ENV", "development")
PRODUCTION = SHEQU_ENV == "production"
VAR_DIR = Path(env("VAR_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR = Path(env("DATA_DIR", str(VAR_DIR / "data"))).resolve()

if PRODUCTION and (unsafe := production.problems(os.environ)):
    raise ConfigError(production.report(unsafe))
DEBUG = envbool("DEBUG", not PRODUCTION)
SECRET_KEY = env("SECRET_KEY") or persistent_secret(VAR_DIR, "secret_key")

# PII: Fernet keys (first encrypts, all decrypt) and a separate key for look-up HMACs.
FERNET_KEYS = envlist("FERNET_KEYS") or [
    persistent_secret(VAR_DIR, "fernet_key", lambda: Fernet.generate_key().decode())
]
PII_HMAC_KEY = env("PII_HMAC_KEY") or persistent_secret(VAR_DIR, "pii_hmac_key")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "shequ.core",
    "shequ.hub",
    "shequ.parking",
    "shequ.timebank",
    "shequ.access",
    "shequ.flood",
    "shequ.dashboard",
    "shequ.web",
]

MIDDLEWARE = [
    # Outermost: request id, metrics and the request's log line cover every answer.
    "shequ.core.observability.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "shequ.core.middleware.BodySizeMiddleware",
    "shequ.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shequ.web.errors.ServiceErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Devices' hot paths (exact paths) skip what only a browser needs: no session, CSRF token,
# signed-in user, message or static file (core.devicelane; its tests). The host check and
# Content-Length (CommonMiddleware), language, security headers, body limit, request id and
# metrics stay as for every answer.
DEVICE_PATHS = ("/api/v1/access/check",)
_BROWSER_ONLY = (
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shequ.web.errors.ServiceErrorMiddleware",
)
DEVICE_MIDDLEWARE = [m for m in MIDDLEWARE if m not in _BROWSER_ONLY]

ROOT_URLCONF = "shequ.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "shequ.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shequ.web.context.site",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'shequ.sqlite3'}"
    # Connections stay open between requests (each server thread keeps its own): opening one
    # per request cost more than the health check itself.
    config: dict[str, object] = dict(
        dj_database_url.parse(
            url, conn_max_age=envint("DB_CONN_MAX_AGE", 300), conn_health_checks=True
        )
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "shequ.core.sqlite"  # writers take turns (core/sqlite/base.py)
        # WAL lets readers run beside one writer; IMMEDIATE avoids upgrade deadlocks.
        config["OPTIONS"] = {
            "timeout": envint("SQLITE_BUSY_TIMEOUT", 20),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["TEST"] = {"NAME": ":memory:"}  # pytest-django names Django's engine only
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every API list pages through the bounded page numbers of shequ.core.pagination.
NINJA_PAGINATION_CLASS = "shequ.core.pagination.Pages"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LOGIN_MAX_FAILURES = envint("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)
# Failed logins from one client address (any names) before it is locked out as well.
LOGIN_MAX_FAILURES_PER_ADDRESS = envint("LOGIN_MAX_FAILURES_PER_ADDRESS", 30)

LANGUAGE_CODE = env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["shequ.formats"]  # grouped thousands in zh-Hans as in English
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where `shequ manage collectstatic` writes the files nginx serves (deploy/nginx/shequ.conf).
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static"))).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_SAMESITE = "Lax"
# A staff session ends after a working day and a half: these pages show personal data.
SESSION_COOKIE_AGE = envint("SESSION_HOURS", 12) * 3600
# The CSRF cookie stays readable by the page's own script (it sends it as X-CSRFToken).
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts only from our static files (no inline script or handler); see core/middleware.py.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "bluetooth",
        "hid",
        "midi",
        "accelerometer",
        "gyroscope",
        "magnetometer",
        "display-capture",
        "browsing-topics",
    )
)
# HTTPS only, remembered by browsers for a year, in production (sent on HTTPS requests: behind
# a TLS proxy, set SHEQU_TLS_PROXY_HEADER so that Django knows the request came in on HTTPS).
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", False)
if env("TLS_PROXY_HEADER"):
    # e.g. SHEQU_TLS_PROXY_HEADER=X-Forwarded-Proto: the proxy sets it to "https".
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + env("TLS_PROXY_HEADER").upper().replace("-", "_"),
        "https",
    )

# The reverse proxies whose X-Forwarded-For is believed (addresses or networks): behind nginx
# every request comes from 127.0.0.1, and login limits and the audit log need the client's own.
TRUSTED_PROXIES = envnetworks("TRUSTED_PROXIES")

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("EMAIL_FROM", "shequ@localhost")

# Data hub: DuckDB resources for ingestion and queries, default reject limit per run.
HUB_THREADS = envint("HUB_THREADS", 2)
HUB_MEMORY_LIMIT = env("HUB_MEMORY_LIMIT", "1GB")
HUB_MAX_REJECT_RATE = float(env("HUB_MAX_REJECT_RATE", "0.05"))
# Server folders that file and drop-folder sources may read; nothing else on the server.
HUB_IMPORT_DIRS = envlist("HUB_IMPORT_DIRS") or [str(DATA_DIR / "inbox")]
# Working days (Monday to Friday) an owning department has to decide a data request.
HUB_APPROVAL_DAYS = envint("HUB_APPROVAL_DAYS", 5)
HUB_QUERY_TIMEOUT = float(env("HUB_QUERY_TIMEOUT", "30"))  # seconds per query
HUB_QUERY_MAX_ROWS = envint("HUB_QUERY_MAX_ROWS", 1_000_000)  # most rows a query may return
# Most bytes a query's result may take (413 past it), and the queries running at once (in all,
# and for one user) across every process of the machine; a query waits HUB_QUERY_WAIT seconds
# at most for a free slot, then gets 429 (see hub/query/limits.py).
HUB_QUERY_MAX_BYTES = envint("HUB_QUERY_MAX_BYTES", 100 * 1024 * 1024)
HUB_QUERY_SLOTS = envint("HUB_QUERY_SLOTS", 2)
HUB_QUERY_SLOTS_PER_USER = envint("HUB_QUERY_SLOTS_PER_USER", 1)
HUB_QUERY_WAIT = float(env("HUB_QUERY_WAIT", "1"))
HUB_QUERY_DATABASES = envint("HUB_QUERY_DATABASES", 8)  # sandboxes kept open for reuse
# Skip data files whose region/time bounds in the Delta log cannot hold a row a query keeps
# (docs/hub.md, "At scale"); compaction rewrites a table's files smaller than
# HUB_COMPACT_SMALL_MB once it has HUB_COMPACT_MIN_FILES of them.
HUB_FILE_PRUNING = envbool("HUB_FILE_PRUNING", True)
HUB_COMPACT_SMALL_MB = envint("HUB_COMPACT_SMALL_MB", 32)
HUB_COMPACT_MIN_FILES = envint("HUB_COMPACT_MIN_FILES", 8)
# Files a later version removed (compaction, replace, upsert) are deleted this many hours after
# their removal; versions needing them can no longer be read (docs/hub.md, "At scale").
HUB_VACUUM_RETENTION_HOURS = envint("HUB_VACUUM_RETENTION_HOURS", 168)
if HUB_VACUUM_RETENTION_HOURS < 0:
    raise ImproperlyConfigured("SHEQU_HUB_VACUUM_RETENTION_HOURS must be 0 or more")
# What runs hub queries: DuckDB in-process (default) or Spark (docs/hub.md, "Running on Spark").
HUB_ENGINE = env("HUB_ENGINE", "duckdb").strip().lower()
if HUB_ENGINE not in ("duckdb", "spark"):
    raise ImproperlyConfigured(f"SHEQU_HUB_ENGINE must be duckdb or spark, not {HUB_ENGINE!r}")
SPARK_MASTER = env("SPARK_MASTER", "local[2]")

# Shared parking: where login codes go (a channel id, e.g. an SMS gateway webhook), or the
# console in development; the secret of signed payment callbacks.
PARKING_OTP_CHANNEL = envint("PARKING_OTP_CHANNEL", 0)
PARKING_OTP_CONSOLE = envbool("PARKING_OTP_CONSOLE", not PRODUCTION)
PARKING_PAYMENT_SECRET = env("PARKING_PAYMENT_SECRET") or persistent_secret(
    VAR_DIR, "parking_payment_secret"
)
# Online payment: the provider residents are offered beside paying at the office (a kind in
# shequ.parking.providers; empty: office only). The demo provider is a stand-in cashier that
# takes no money, so production refuses it. Its callbacks are signed with PAYMENT_DEMO_SECRET.
# PAYMENT_NOTIFY_BASE is the public https origin a real provider posts its callbacks to.
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "" if PRODUCTION else "demo")
PAYMENT_DEMO_SECRET = env("PAYMENT_DEMO_SECRET") or persistent_secret(
    VAR_DIR, "payment_demo_secret"
)
PAYMENT_NOTIFY_BASE = env("PAYMENT_NOTIFY_BASE", "").rstrip("/")
# Guidance signs: a garage silent this long inside sharing hours shows "no data", not a number;
# the board is recomputed at most once per this many seconds per process.
# Walking radius within which garages count for an estate (indices, garages shown to residents).
PARKING_WALK_RADIUS_M = float(env("PARKING_WALK_RADIUS_M", "800"))
PARKING_SIGN_STALE_MINUTES = envint("PARKING_SIGN_STALE_MINUTES", 15)
PARKING_SIGN_CACHE_SECONDS = float(env("PARKING_SIGN_CACHE_SECONDS", "1"))

# Time bank: an open request untaken this long alerts community staff; a completed service
# nobody objects to is confirmed after this many days.
TIMEBANK_TAKE_ALERT_MINUTES = envint("TIMEBANK_TAKE_ALERT_MINUTES", 60)
TIMEBANK_AUTO_CONFIRM_DAYS = envint("TIMEBANK_AUTO_CONFIRM_DAYS", 3)
# A volunteer holding this many orders not yet served is not offered more (matching).
TIMEBANK_MAX_ACTIVE_ORDERS = envint("TIMEBANK_MAX_ACTIVE_ORDERS", 3)
# The demo's time bank (R4.3): volunteers and services built through the app's services
# (about a minute or two at the seed's figures; tests of the whole demo build fewer).
TIMEBANK_DEMO_VOLUNTEERS = envint("TIMEBANK_DEMO_VOLUNTEERS", 356)
TIMEBANK_DEMO_SERVICES = envint("TIMEBANK_DEMO_SERVICES", 1680)
# Access control (门禁): how long the access log is kept; a hub dataset read as the watch list
# (empty: none); elders living alone unseen at any gate this long raise a welfare alert, never
# inside the quiet hours (local, "22-7"); the secret whose SHA-256 is the Ed25519 seed that
# signs the devices' offline allow-lists, valid this many hours.
ACCESS_LOG_DAYS = envint("ACCESS_LOG_DAYS", 180)
ACCESS_WATCHLIST_DATASET = env("ACCESS_WATCHLIST_DATASET", "")
ACCESS_STATUS_CHECK_SECONDS = float(env("ACCESS_STATUS_CHECK_SECONDS", "5"))
ACCESS_WELFARE_HOURS = envint("ACCESS_WELFARE_HOURS", 48)
ACCESS_WELFARE_QUIET = env("ACCESS_WELFARE_QUIET", "22-7")
ACCESS_SIGNING_KEY = env("ACCESS_SIGNING_KEY") or persistent_secret(VAR_DIR, "access_signing_key")
ACCESS_ALLOWLIST_HOURS = envint("ACCESS_ALLOWLIST_HOURS", 24)

# Maps: no tile URL draws the GeoJSON alone (offline); AMap/Tencent tiles need MAP_TILE_CRS=gcj02.
MAP_TILE_URL = env("MAP_TILE_URL", "")
MAP_TILE_CRS = env("MAP_TILE_CRS", "wgs84")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", "")

# Flood watch: the largest camera image or task photo kept (a 413 past it); images live under
# DATA_DIR/flood/images and are served only to those who watch their point's region.
FLOOD_IMAGE_MAX_BYTES = envint("FLOOD_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
# The live map's own background without tiles (GeoJSON); default DATA_DIR/flood/basemap.geojson.
FLOOD_BASEMAP = env("FLOOD_BASEMAP", "")

# Dashboards' weekly report (issue 20): the PDF's font, a .ttf/.otf/.ttc with Chinese glyphs
# (empty: the usual places, Debian's fonts-noto-cjk first); the files live under
# DATA_DIR/dashboard/reports.
REPORT_FONT = env("REPORT_FONT", "")

REDIS_URL = env("REDIS_URL")
MQTT_URL = env("MQTT_URL")
# The root of the MQTT topics (flood/services/topics.py): a deployment's own when several
# platforms share one broker.
MQTT_TOPIC_ROOT = env("MQTT_TOPIC_ROOT") or "shequ/v1"

# Django's cache: in Redis when configured, shared by every process; else each process's own.
# (The device rate limits count in Redis directly, or in memory: core/services/ratelimit.py.)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Requests one device token (gate camera, door terminal, gauge) may make in a window of seconds
# before 429 with Retry-After; 0 turns the limit off. A busy door checks a person every second or
# two, a gauge posts a batch a minute: 600 a minute lets both through with room for retries.
DEVICE_RATE_LIMIT = envint("DEVICE_RATE_LIMIT", 600)
DEVICE_RATE_WINDOW = envint("DEVICE_RATE_WINDOW", 60)

if REDIS_URL:
    HUEY = {
        "huey_class": "shequ.core.jobqueue.RedisHuey",
        "name": "shequ",
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "shequ.core.jobqueue.SqliteHuey",
        "name": "shequ",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
    }
HUEY["consumer"] = {"workers": envint("WORKER_THREADS", 2), "worker_type": "thread"}
# Each `shequ worker` records itself this often (``shequ doctor`` reads it); periodic jobs'
# claims (one run per schedule slot across workers) are kept this many days.
WORKER_HEARTBEAT_SECONDS = envint("WORKER_HEARTBEAT_SECONDS", 30)
PERIODIC_CLAIM_DAYS = envint("PERIODIC_CLAIM_DAYS", 7)

# Observability (docs/operations.md): /metrics answers only with this bearer token (404
# without one configured); logs are one JSON object a line (json) or plain text; with
# LOG_REQUESTS each request writes one line (route, status, duration, user id; no path).
METRICS_TOKEN = env("METRICS_TOKEN")
LOG_FORMAT = log_format()
LOG_REQUESTS = envbool("LOG_REQUESTS", LOG_FORMAT == "json")

_loggers: dict[str, dict[str, object]] = {
    "django.db.backends": {"level": "WARNING"},
    "fontTools": {"level": "WARNING"},  # a line per table of every weekly report's font subset
}
if LOG_FORMAT == "json":
    # `shequ worker`: huey gives its logger a text handler of its own unless it has one.
    _loggers["huey"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "shequ.core.observability.logs.JsonFormatter"},
        "text": {"format": "%(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": _loggers,
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATA_DIR.mkdir(parents=True, exist_ok=True)
