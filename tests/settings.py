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
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_fsm",
    "django_fsm_log",
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

# Fast hashing: the suite creates users, it does not test password storage.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
