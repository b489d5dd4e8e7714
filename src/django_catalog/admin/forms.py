"""The forms the admin's transition buttons ask for before they run a service."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from ..validation import normalize_work_types


class CommitBasketForm(forms.Form):
    """Asks which work to spawn before a basket is committed."""

    work_types = forms.CharField(
        required=False,
        help_text=(
            "Comma-separated work types, e.g. collect, report: one work item per line and "
            "type. Leave empty to commit without spawning work."
        ),
    )

    def clean_work_types(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["work_types"].split(",")]
        try:
            return normalize_work_types([name for name in names if name])
        except ValueError as error:
            raise ValidationError(str(error)) from None


class BlockWorkItemForm(forms.Form):
    """A block needs a reason; it is kept as the audit row's description."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class CancelWorkItemForm(forms.Form):
    """A cancellation may say why; the reason is kept as the audit row's description."""

    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
