"""A small shop: products, carts and orders."""
