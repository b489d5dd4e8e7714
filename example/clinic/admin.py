from django.contrib import admin

from .models import Organization, Visit


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("reference", "patient", "organization")
    search_fields = ("reference", "patient")
