from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic (demo host project)"
    default_auto_field = "django.db.models.BigAutoField"
