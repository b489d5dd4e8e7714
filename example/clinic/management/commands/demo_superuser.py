"""``manage.py demo_superuser``: the login for ``make serve``, created or reset, then printed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

# A throwaway demo database on 127.0.0.1: these credentials protect nothing real.
USERNAME = "admin"
PASSWORD = "demo-admin"


class Command(BaseCommand):
    help = "Create (or reset) the demo superuser and print its login."

    def handle(self, *args: Any, **options: Any) -> None:
        user, _ = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(PASSWORD)
        user.save()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo admin: http://127.0.0.1:8000/admin/"))
        self.stdout.write(f"  username: {USERNAME}")
        self.stdout.write(f"  password: {PASSWORD}")
        self.stdout.write("  Try: Baskets > the draft for visit V-1043 > Commit.")
        self.stdout.write(
            "  Then: Work items > Work board, at "
            "http://127.0.0.1:8000/admin/django_catalog/workitem/board/"
        )
        self.stdout.write("")
