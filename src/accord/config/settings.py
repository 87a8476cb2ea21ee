"""Settings, read from the environment.

ACCORD_DATABASE_URL   postgres://user:pass@host:5432/db, or sqlite:///path (default: an SQLite
                      file in ACCORD_DATA_DIR, with WAL and foreign keys on)
ACCORD_DATA_DIR       where the embedded database and uploads live (default ./.accord)
ACCORD_SECRET_KEY     required when ACCORD_DEBUG is off
ACCORD_DEBUG          1/true for development; off by default
ACCORD_ALLOWED_HOSTS  comma-separated host names (default: localhost names)
ACCORD_CACHE          memory (per process, the default) or database (shared by all processes)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

DEV_SECRET_KEY = "accord-development-only-not-secret"  # noqa: S105 - refused outside debug


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ACCORD_DATA_DIR", ".accord")).resolve()
# The analytics engine for large workspaces (ClickHouse): chdb:///dir or clickhouse://host:8123/db
ANALYTICS_URL = os.environ.get("ACCORD_ANALYTICS_URL", "").strip()

DEBUG = _flag("ACCORD_DEBUG")
SECRET_KEY = os.environ.get("ACCORD_SECRET_KEY", "")
if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ACCORD_SECRET_KEY is missing or is the development default. Set it to a long random "
            "value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set "
            "ACCORD_DEBUG=1 for local development."
        )
    SECRET_KEY = DEV_SECRET_KEY

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ACCORD_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("ACCORD_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks_db",
    "accord.core",
    "accord.identity",
    "accord.crm",
    "accord.marketing",
    "accord.definitions",
    "accord.handoff",
    "accord.metrics",
    "accord.attribution",
    "accord.experiments",
    "accord.meetings",
    "accord.alignment",
    "accord.integrations",
    "accord.demo",
    "accord.web",
    "accord.api",
    "accord.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accord.web.database_middleware.DatabaseUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accord.web.middleware.CurrentWorkspaceMiddleware",
    "accord.web.figures.RecentFiguresMiddleware",
]

ROOT_URLCONF = "accord.config.urls"
WSGI_APPLICATION = "accord.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.web.context.workspace_context",
            ],
        },
    }
]


def _database_config() -> dict[str, object]:
    url = os.environ.get("ACCORD_DATABASE_URL", "").strip()
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'accord.sqlite3'}"
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    engine = str(config["ENGINE"])
    if engine.endswith("sqlite3"):
        # WAL lets readers work while a writer commits; IMMEDIATE transactions avoid the
        # "database is locked" upgrade deadlock; foreign keys are on in Django's SQLite backend.
        # A 128 MB page cache (the default is 2 MB) keeps index pages of large tables in memory.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000; PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY;"
            ),
        }
        config["CONN_MAX_AGE"] = 0
        # Tests use a file, not memory, so a second process (a CLI run, a worker) can share it.
        # The process id keeps concurrent test runs on one machine apart.
        test_name = f"test-accord-{os.getpid()}.sqlite3"
        config["TEST"] = {"NAME": str(Path(str(config["NAME"])).with_name(test_name))}
    elif "postgresql" in engine:
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(
            f"ACCORD_DATABASE_URL: unsupported database '{url.split(':', 1)[0]}'. "
            "Use postgres://… or sqlite:///…"
        )
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
# A new member's link to choose their password (Django's password-reset token) lasts a week.
PASSWORD_RESET_TIMEOUT = 7 * 24 * 3600
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Only needed for `collectstatic` behind a separate web server; WhiteNoise serves the files from
# the installed package otherwise.
STATIC_ROOT = os.environ.get("ACCORD_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Plain storage: WhiteNoise serves files straight from the installed package through the
    # finders, so neither the demo nor a pip-installed server needs a collectstatic step.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy: scripts only from Accord's own static files (htmx and Vega are
# vendored; charts run Vega's expression interpreter, so no eval); inline style attributes are
# allowed, inline scripts and event handlers are not.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if not DEBUG and not _flag("ACCORD_INSECURE_HTTP"):
    # Production behind HTTPS. ACCORD_INSECURE_HTTP=1 is for the loopback demo only.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _flag("ACCORD_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("ACCORD_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

NINJA_PAGINATION_PER_PAGE = 50
# API requests allowed per token (per client address without a token) in a window:
# "<count>/<second|minute|hour|day>", or "off". Over it: 429 with Retry-After.
ACCORD_API_RATE_LIMIT = os.environ.get("ACCORD_API_RATE_LIMIT", "600/minute").strip()
# Sign-in throttling: failed attempts per account and per client address within the window
# (seconds) before sign-in is refused until the window has passed.
ACCORD_LOGIN_MAX_FAILURES = int(os.environ.get("ACCORD_LOGIN_MAX_FAILURES", "5"))
ACCORD_LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("ACCORD_LOGIN_MAX_FAILURES_PER_IP", "20"))
ACCORD_LOGIN_WINDOW_SECONDS = int(os.environ.get("ACCORD_LOGIN_WINDOW_SECONDS", "900"))

# The cache behind API rate limits, sign-in throttling, the data version and metric results:
# "memory" (each process its own, the default) or "database" (one shared by every process and
# host, in the accord_cache table, created by `accord migrate`).
ACCORD_CACHE = os.environ.get("ACCORD_CACHE", "memory").strip().lower()
if ACCORD_CACHE not in {"memory", "database"}:
    raise ImproperlyConfigured(f"ACCORD_CACHE: '{ACCORD_CACHE}' is not memory or database.")
CACHES = {
    # Room for the rate-limit and sign-in counters of many clients: at the default 300
    # entries, a burst of junk requests would evict the counters that lock an account.
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
    if ACCORD_CACHE == "memory"
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "accord_cache"}
}
# Metric results are cached per (spec, workspace, data version) for this many seconds (0: off).
# A change this process commits is seen at once; one committed by another process within it.
ACCORD_METRICS_CACHE_SECONDS = float(os.environ.get("ACCORD_METRICS_CACHE_SECONDS", "5"))

# Import uploads larger than this are refused (megabytes).
ACCORD_MAX_UPLOAD_MB = int(os.environ.get("ACCORD_MAX_UPLOAD_MB", "200"))
# Outbound webhooks: seconds between attempts (comma-separated), attempts, request timeout.
ACCORD_WEBHOOK_RETRY_DELAYS = tuple(
    int(x)
    for x in os.environ.get("ACCORD_WEBHOOK_RETRY_DELAYS", "30,120,600,3600,21600").split(",")
)
ACCORD_WEBHOOK_MAX_ATTEMPTS = int(
    os.environ.get("ACCORD_WEBHOOK_MAX_ATTEMPTS", str(len(ACCORD_WEBHOOK_RETRY_DELAYS) + 1))
)
ACCORD_WEBHOOK_TIMEOUT = float(os.environ.get("ACCORD_WEBHOOK_TIMEOUT", "10"))
# Webhooks reach public addresses only, unless this is set: a receiver on the local network,
# loopback or a cloud metadata address would let an admin make the server call inside its own
# network (server-side request forgery).
ACCORD_WEBHOOK_ALLOW_PRIVATE = _flag("ACCORD_WEBHOOK_ALLOW_PRIVATE")
# The address people open Accord at: links in emails (the weekly digest) and Slack messages.
ACCORD_BASE_URL = os.environ.get("ACCORD_BASE_URL", "http://localhost:8000").strip().rstrip("/")

# Email (SLA escalations). With ACCORD_SMTP_HOST set, mail goes out over that SMTP server; in
# development (or with ACCORD_MAIL_OUTBOX=1, as the demo sets) without it, each message is
# written as a file under <data dir>/outbox (nothing is lost or sent by surprise on a laptop);
# in production without it, to an SMTP server on localhost:25.
DEFAULT_FROM_EMAIL = os.environ.get("ACCORD_EMAIL_FROM", "accord@localhost")
if os.environ.get("ACCORD_SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["ACCORD_SMTP_HOST"],
                "port": int(os.environ.get("ACCORD_SMTP_PORT", "587")),
                "username": os.environ.get("ACCORD_SMTP_USER", ""),
                "password": os.environ.get("ACCORD_SMTP_PASSWORD", ""),
                "use_tls": os.environ.get("ACCORD_SMTP_TLS", "1") == "1",
            },
        }
    }
elif not DEBUG and os.environ.get("ACCORD_MAIL_OUTBOX") != "1":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "localhost", "port": 25},
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "outbox")},
        }
    }

# Background work runs on the database (no broker): `accord worker` executes the queued tasks.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "imports", "webhooks"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ACCORD_LOG_LEVEL", "WARNING")},
}
