"""What a contract costs per period: the one place where prices, quantities and a coupon's
discount become amounts. The signup page's total (a quote), the self-service account and the
contract's own figures all come from `recurring`, so the page never shows one sum and the
customer is billed another."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import msgspec

CENT = Decimal("0.01")


class Line(msgspec.Struct, frozen=True):
    """One priced line: a unit price (a decimal string, as stored) times a quantity."""

    price: str
    quantity: int

    @property
    def amount(self) -> Decimal:
        """The line's amount, to the cent."""
        return (Decimal(self.price) * self.quantity).quantize(CENT, ROUND_HALF_UP)


class Recurring(msgspec.Struct, frozen=True):
    """The sum per period before the discount, the discount, and what is charged."""

    subtotal: Decimal
    discount_percent: int
    discount: Decimal
    total: Decimal


def recurring(base_price: str, lines: Iterable[Line], discount_percent: int | None) -> Recurring:
    """The plan's price plus every recurring line, less the coupon's percentage (rounded half
    up to the cent, once, on the sum: not per line)."""
    subtotal = Decimal(base_price).quantize(CENT, ROUND_HALF_UP) + sum(
        (line.amount for line in lines), Decimal(0)
    )
    percent = int(discount_percent or 0)
    discount = (subtotal * percent / 100).quantize(CENT, ROUND_HALF_UP)
    return Recurring(subtotal, percent, discount, subtotal - discount)
