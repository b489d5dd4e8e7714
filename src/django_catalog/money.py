"""An amount of money in one currency, as the catalog shows and sums it.

Prices are stored with two decimal places (see :mod:`.models.fields`); a line's total
(quantity x unit price) is rounded half up to those two places, and a basket's total is the
sum of its lines' rounded totals, so the total always equals the sum of the lines shown.
This module imports nothing of the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: Decimal places of every price column, and so of every amount shown.
MONEY_PLACES = 2


def round_money(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to the price columns' two decimal places."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-MONEY_PLACES), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    """An amount in one ISO 4217 currency; prints as ``"12.50 EUR"``."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{round_money(self.amount)} {self.currency}"
