"""The forms the admin's transition buttons ask for, and the checks of its add/change forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ..models import Basket, BasketItem
from ..states import BasketStatus
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


class BasketItemAdminForm(forms.ModelForm):
    """A line is added or changed by hand only in a draft basket, and moved only between drafts.

    The model refuses the same (``BasketFrozenError``); checking here turns it into a form
    error instead of a failed save. The admin supplies the model and the fields.
    """

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        baskets = [cleaned.get("basket")]
        if not self.instance._state.adding:
            baskets.append(Basket.all_objects.filter(items=self.instance.pk).first())
        for basket in baskets:
            if basket is not None and basket.status != BasketStatus.DRAFT:
                raise ValidationError(
                    {"basket": f"Basket {basket.pk} is {basket.status}: its lines cannot change."}
                )
        return cleaned


class WorkItemAdminForm(forms.ModelForm):
    """Work added by hand belongs to a line of a committed basket (a draft is not ordered yet,
    a cancelled basket is not worked on)."""

    def clean_basket_item(self) -> BasketItem:
        line: BasketItem = self.cleaned_data["basket_item"]
        status = Basket.all_objects.values_list("status", flat=True).get(pk=line.basket_id)
        if self.instance._state.adding and status != BasketStatus.COMMITTED:
            raise ValidationError(
                f"Basket {line.basket_id} is {status}: work is added only to lines of a "
                "committed basket."
            )
        return line
