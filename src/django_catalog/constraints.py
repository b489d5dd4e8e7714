"""Database check constraints that load unchanged on every Django version the package supports."""

from __future__ import annotations

import django
from django.db import models
from django.db.models import Q


def check_constraint(*, condition: Q, name: str) -> models.CheckConstraint:
    """A ``CheckConstraint`` built with the keyword the running Django expects.

    Django 5.1 renamed ``check=`` to ``condition=`` and deprecated the old name; Django 4.2
    knows only ``check=``. The models and the migration both build their constraints here,
    so the migration loads on either and ``makemigrations --check`` finds nothing to do.
    """
    if django.VERSION >= (5, 1):
        return models.CheckConstraint(condition=condition, name=name)
    return models.CheckConstraint(check=condition, name=name)  # type: ignore[call-arg]
