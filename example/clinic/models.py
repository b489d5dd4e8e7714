"""The demo's host models: the catalog's items belong to an organisation, baskets to a visit."""

from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    reference = models.CharField(max_length=50, unique=True)
    patient = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"Visit {self.reference} ({self.patient})"
