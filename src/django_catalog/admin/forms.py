"""The forms the admin's pages and transition buttons ask for, and the checks of its
add/change forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ..exceptions import MixedCurrencyError
from ..models import Basket, BasketItem, CatalogItem
from ..models.fields import quantity_text
from ..states import BasketStatus
from ..validation import normalize_work_types
from .display import EMPTY, money_text


class WorkTypesField(forms.CharField):
    """Work type names typed as a comma-separated list ("collect, report"); cleans to a list.

    Each name is checked like ``commit_basket``'s work types; an empty box is an empty list.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        names = [name.strip() for name in text.split(",")]
        try:
            return normalize_work_types([name for name in names if name])
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None


class CatalogItemForm(forms.ModelForm):
    """The catalog item's work types are typed as "collect, process, report"."""

    work_types = WorkTypesField(
        help_text=(
            "Comma-separated work types a line of this item spawns when its basket is "
            "committed, e.g. collect, process, report. Empty: no work."
        )
    )

    class Meta:
        model = CatalogItem
        fields = (
            "owner_content_type",
            "owner_id",
            "name",
            "code",
            "description",
            "category",
            "unit_price",
            "currency",
            "is_available",
            "available_from",
            "available_to",
            "work_types",
            "sort_order",
            "metadata",
        )


@dataclass(frozen=True)
class CommitLine:
    """One line of the Commit page: what was ordered and the work it will spawn."""

    line: BasketItem
    quantity: str
    unit_price: str
    total: str
    field: forms.BoundField


class CommitBasketForm(forms.ModelForm):
    """The Commit page: each line with the work it will spawn, prefilled from its item.

    One box per line holds that line's work types (its catalog item's ``work_types`` to
    begin with); an emptied box spawns nothing for that line. The cleaned data is
    ``{"work_types": {line id: [names]}}``, the per-line plan ``commit_basket`` takes. A line
    added after the page was shown has no box in the post, so it spawns its item's defaults.
    """

    class Meta:
        model = Basket
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(
            BasketItem.objects.filter(basket=self.instance)
            .select_related("catalog_item")
            .order_by("created_at", "pk")
        )
        for line in self.lines:
            defaults = line.catalog_item.work_types
            self.fields[self.line_field(line)] = WorkTypesField(
                label=f"Work for {line.catalog_item.name}",
                initial=defaults,
                help_text=f"The item's default: {', '.join(defaults) or 'none'}",
            )

    @staticmethod
    def line_field(line: BasketItem) -> str:
        return f"line_{line.pk.hex}"

    @property
    def line_rows(self) -> list[CommitLine]:
        return [
            CommitLine(
                line=line,
                quantity=quantity_text(line.quantity),
                unit_price=EMPTY
                if line.unit_price is None
                else f"{line.unit_price} {line.currency}",
                total=money_text(line.line_money),
                field=self[self.line_field(line)],
            )
            for line in self.lines
        ]

    @property
    def total_text(self) -> str:
        return basket_total_text(self.instance)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        plan = {}
        for line in self.lines:
            name = self.line_field(line)
            if self.add_prefix(name) in self.data and name in cleaned:
                plan[line.pk] = cleaned[name]
        return {"work_types": plan}


def basket_total_text(basket: Basket) -> str:
    """The basket's total as the admin shows it: "290.00 USD", or each currency's total."""
    try:
        return money_text(basket.total())
    except MixedCurrencyError:
        totals = " + ".join(str(money) for money in basket.totals_by_currency())
        return f"mixed currencies: {totals}"


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
