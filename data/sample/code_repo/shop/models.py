"""The shop's records."""

from dataclasses import dataclass


class Record:
    """Something the shop stores."""

    def save(self, store):
        """Write the record to `store`."""
        store.write(self.key(), self)

    def key(self):
        raise NotImplementedError


@dataclass
class Product(Record):
    """A thing for sale."""

    sku: str
    price_cents: int

    def key(self):
        return f"product:{self.sku}"


@dataclass
class Order(Record):
    """What a customer bought."""

    number: int
    lines: list

    def key(self):
        return f"order:{self.number}"

    def total_cents(self):
        """The order's total, in cents."""
        return sum(line.price_cents for line in self.lines)
