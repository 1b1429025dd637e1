"""Django settings, derived from the typed `ArrearsSettings` in `conf.py`; nothing to edit here per deployment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from arrears.conf import get_settings

CONF = get_settings()
PACKAGE_DIR = Path(__file__).resolve().parent

SECRET_KEY = CONF.secret_key
DEBUG = CONF.debug
ALLOWED_HOSTS = CONF.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONF.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "arrears.core",
    "arrears.audit",
    "arrears.accounts",
    "arrears.portfolio",
    "arrears.rules",
    "arrears.delinquency",
    "arrears.risk",
    "arrears.strategy",
    "arrears.cases",
    "arrears.compliance",
    "arrears.contact",
    "arrears.negotiation",
    "arrears.legal",
    "arrears.batch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "arrears.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "arrears.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "arrears.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "arrears.urls"
WSGI_APPLICATION = "arrears.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "arrears.core.context_processors.navigation",
            ],
        },
    },
]

_db = dj_database_url.parse(CONF.resolved_database_url, conn_max_age=60)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests use a file too, so that the close's worker processes (which read through connectorx) see it; one per
    # test process, so that two test runs side by side do not share it.
    _db["TEST"] = {"NAME": str(Path(_db["NAME"]).with_name(f"test_{os.getpid()}_{Path(_db['NAME']).name}"))}
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets readers proceed during the nightly batch; IMMEDIATE takes the write lock up front so two
        # writers queue instead of failing with "database is locked" half-way through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = CONF.language_code
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = CONF.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = CONF.var_dir / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root before collectstatic
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = CONF.var_dir / "media"

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = CONF.smtp_host or "localhost"
EMAIL_PORT = CONF.smtp_port
EMAIL_HOST_USER = CONF.smtp_user
EMAIL_HOST_PASSWORD = CONF.smtp_password
EMAIL_USE_TLS = CONF.smtp_tls
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = CONF.mail_from
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CONF.env == "prod"
CSRF_COOKIE_SECURE = CONF.env == "prod"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": CONF.log_level},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
