"""Prices, discounts and taxes."""

from .models import Order

VAT = 0.2


def with_vat(cents):
    """A net price with VAT added, rounded to the cent."""
    return round(cents * (1 + VAT))


def order_total(order: Order) -> int:
    """What the customer pays for `order`."""
    return with_vat(order.total_cents())
