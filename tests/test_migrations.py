"""The migrations match the models."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = StringIO()
    try:
        call_command(
            "makemigrations", "django_catalog", "--check", "--dry-run", stdout=out, stderr=out
        )
    except SystemExit as exit_:  # raised by --check when a migration would be written
        pytest.fail(f"Model changes without a migration (exit {exit_.code}):\n{out.getvalue()}")
