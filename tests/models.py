"""Host-project models the tests order against: who offers items, what a basket is for."""

from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    patient = models.CharField(max_length=100)

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return f"Visit of {self.patient}"
