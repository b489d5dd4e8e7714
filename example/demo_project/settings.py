"""Settings of the demo project: a clinic that installs django-catalog as the README says.

The database is an SQLite file, ``CATALOG_DEMO_DB`` or ``example/demo.sqlite3``.
Demo only: the secret key is public and DEBUG is on.
"""

import os
from pathlib import Path

import django_catalog

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # What the README's "Install" section asks for:
    "django_fsm",
    "django_fsm_log",
    "pgtrigger",
    "django_catalog",
    # The host project: who offers items (organisations) and what is ordered for (visits).
    "clinic",
]

# django-fsm-log's own StateLog cannot hold the catalog's UUID keys; the catalog audits itself.
DJANGO_FSM_LOG_IGNORED_MODELS = [*django_catalog.FSM_LOG_IGNORED_MODELS]

# Events for other systems: the lab interface and billing receive every committed order.
# No TASKS setting: Django's immediate backend delivers right after each commit, in-process.
CATALOG_EVENT_HANDLERS = {
    "basket.committed": [
        "clinic.integrations.send_order_to_lab",
        "clinic.integrations.charge_order",
    ],
}
# Retry a failed delivery at once (the default waits 10 s, doubling), so the demo shows it.
CATALOG_EVENT_BACKOFF_SECONDS = 0

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CATALOG_DEMO_DB") or BASE_DIR / "demo.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "demo_project.urls"
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
STATIC_URL = "static/"
