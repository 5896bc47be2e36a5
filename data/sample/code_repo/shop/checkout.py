"""Turning a cart into an order."""

from shop import pricing
from shop.models import Order, Product


class Checkout:
    """One customer's way from a cart to a paid order."""

    def __init__(self, store):
        self.store = store
        self.cart = []

    def add(self, sku, price_cents):
        """Put a product in the cart."""
        self.cart.append(Product(sku, price_cents))

    def place(self, number):
        """Make the order, store it and say what it costs."""
        order = Order(number, list(self.cart))
        order.save(self.store)
        self.cart.clear()
        return pricing.order_total(order)
