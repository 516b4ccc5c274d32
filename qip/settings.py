"""Settings, all from the environment.

With nothing set the app runs on SQLite, a file-system Celery broker and the
console e-mail backend. DATABASE_URL, CELERY_BROKER_URL and EMAIL_URL switch to
PostgreSQL, Redis and SMTP; DJANGO_ENV=production turns on the deployment
hardening that `manage.py check --deploy` looks for.
"""

import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = "pytest" in sys.modules or env("DJANGO_TESTING") == "1"

DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Message-IDs of notification e-mails are made from this, so a resend after a crash is recognisably the same mail.
EMAIL_MESSAGE_DOMAIN = env("EMAIL_MESSAGE_DOMAIN", urlparse(SITE_URL).hostname or "localhost")
# Reminders (issue 6): how far ahead "due soon" looks, and how long overdue before escalating one level.
REMINDER_DAYS_AHEAD = int(env("REMINDER_DAYS_AHEAD", "3"))
ESCALATION_GRACE_DAYS = int(env("ESCALATION_GRACE_DAYS", "7"))
DIGEST_HOUR = int(env("DIGEST_HOUR", "7"))
# An e-mail still unsent this long after its notification was made is sent by the pending_email sweep.
PENDING_EMAIL_AFTER_SECONDS = int(env("PENDING_EMAIL_AFTER_SECONDS", "300"))
# A sender's claim on an e-mail lapses after this long (it died mid-send), so another sender may take it.
EMAIL_CLAIM_LEASE_SECONDS = int(env("EMAIL_CLAIM_LEASE_SECONDS", "600"))
# Commissioner packs (issue 7): packs of up to this many plans are built while you wait; bigger ones by the
# worker. A build that has not finished this long after it started is taken to have died and may be tried again.
PACK_BUILD_NOW_MAX_PLANS = int(env("PACK_BUILD_NOW_MAX_PLANS", "1"))
PACK_BUILD_LEASE_SECONDS = int(env("PACK_BUILD_LEASE_SECONDS", "900"))

VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "qip",
    "actions",
    "evidence",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "qip.middleware.SessionTimeoutMiddleware",
    "qip.middleware.TwoFactorMiddleware",
    "qip.middleware.CurrentOrganisationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # whitenoise serves the collected static files when there is no separate web server for them.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "qip.urls"
WSGI_APPLICATION = "qip.wsgi.application"

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
                "qip.context_processors.navigation",
                "governance.context_processors.notifications",
            ],
        },
    },
]

# Database
_DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
_POSTGRES = _DATABASE_URL.startswith(("postgres:", "postgresql:", "pgsql:"))
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL,
        # Reused for a minute on PostgreSQL: a new connection per page costs more than most pages' queries.
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60" if _POSTGRES else "0")),
        conn_health_checks=True,
    )
}
if _POSTGRES:
    # JIT compiling spent 180 ms on a dashboard query that runs in 75 ms without it (docs/performance.md):
    # short queries never repay it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Users and sign-in
AUTH_USER_MODEL = "qip.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # an invitation link stays valid for three days

# django-axes: lock a username from one address after repeated failures.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"


def axes_username(request, credentials=None):
    """The e-mail as sign-in matches it (case and spaces ignored), so varying them buys no extra attempts."""
    username = (credentials or request.POST).get(AXES_USERNAME_FORM_FIELD)
    return username.strip().lower() if isinstance(username, str) else username


AXES_USERNAME_CALLABLE = axes_username
AXES_IPWARE_PROXY_COUNT = int(env("AXES_PROXY_COUNT", "0")) or None
AXES_VERBOSE = False

# Sessions: the idle and absolute timeouts are enforced server-side by
# qip.middleware.SessionTimeoutMiddleware. The cookie outlives the idle timeout by a few hours
# only so the person can be told why they were signed out; an idle session is refused either way.
# Expired sessions are cleared nightly.
# Two-factor sign-in (qip.two_factor): the name authenticator apps show beside the 6-digit code.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "QIP governance")
SESSION_IDLE_TIMEOUT_MINUTES = int(env("SESSION_IDLE_TIMEOUT_MINUTES", "30"))
# However active, a sign-in lasts at most this long: a shared office computer left signed in all
# day is signed out by the next shift.
SESSION_ABSOLUTE_TIMEOUT_HOURS = int(env("SESSION_ABSOLUTE_TIMEOUT_HOURS", "12"))
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60 + 8 * 60 * 60
# Sessions are rows in the database, so signing out or deactivating someone deletes them for good.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Saved when it changes, not on every page: the idle clock in it moves every 30 seconds of use
# (qip.middleware), and each save renews the cookie's and the row's expiry.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Locale: UK time everywhere it is shown; UTC stored.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# Files
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
EVIDENCE_MAX_UPLOAD_BYTES = int(env("EVIDENCE_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# How many files one piece of evidence takes at once. Django's own per-request limit is kept well
# above it, so someone who picks too many is told so beside the field rather than shown a bare 400.
EVIDENCE_MAX_FILES_PER_UPLOAD = int(env("EVIDENCE_MAX_FILES_PER_UPLOAD", "100"))
DATA_UPLOAD_MAX_NUMBER_FILES = 10 * EVIDENCE_MAX_FILES_PER_UPLOAD
MEDIA_URL = "/media-not-served/"  # files are served only through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}


# E-mail
def email_settings(url):
    if not url or url.startswith("console:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url.startswith("locmem:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    parsed = urlparse(url)
    if parsed.scheme == "file":  # one file per message in a folder: for trying it out, and the worker tests
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": parsed.path}
    if parsed.scheme not in {"smtp", "smtps"}:
        raise RuntimeError(f"EMAIL_URL scheme must be smtp, smtps, file, console or locmem, not {parsed.scheme!r}")
    query = {key: values[-1].lower() for key, values in parse_qs(parsed.query).items()}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls") in {"1", "true", "yes"},
        "EMAIL_TIMEOUT": 30,
    }


globals().update(email_settings(env("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "QIP governance <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: a file-system broker under var/ unless CELERY_BROKER_URL says otherwise.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The file broker is polled; once a second (kombu's default) makes a burst of e-mails crawl.
        "polling_interval": 0.1,
    }
# A queue of its own lets the worker tests run beside a developer's worker on the same broker.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Forms
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content security policy: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The redirect-to-HTTPS check is silenced only when a proxy is said to do it.
    if not SECURE_SSL_REDIRECT:
        SILENCED_SYSTEM_CHECKS = ["security.W008"]

# Tests: quick hashing, and the flush command may lift the audit guard.
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    AUDIT_GUARD_FLUSHABLE = True
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks queued by the code under test run in the test's process; the worker integration tests start
    # real workers in subprocesses, which are not TESTING.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
else:
    AUDIT_GUARD_FLUSHABLE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
