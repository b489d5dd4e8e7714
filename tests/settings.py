"""Settings for the test suite.

``CATALOG_TEST_DATABASE=postgres`` runs it on PostgreSQL (see ``tests/postgres.py``);
otherwise it runs on an in-memory SQLite database.
"""

import os

import django_catalog

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_fsm",
    "django_fsm_log",
    "pgtrigger",
    "django_catalog",
    "tests",
]

DJANGO_FSM_LOG_IGNORED_MODELS = [*django_catalog.FSM_LOG_IGNORED_MODELS]

if os.environ.get("CATALOG_TEST_DATABASE", "sqlite") == "postgres":
    from tests.postgres import postgres_settings

    DATABASES = {"default": postgres_settings()}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The admin (tests/test_admin.py) needs sessions, auth, messages and templates.
ROOT_URLCONF = "tests.urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
# Fast hashing: the suite creates users, it does not test password storage.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
