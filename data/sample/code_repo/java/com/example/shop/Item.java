package com.example.shop;

/** One item on an invoice. */
public class Item implements Priced {
    private final String name;
    private final int cents;

    public Item(String name, int cents) {
        this.name = name;
        this.cents = cents;
    }

    /** The item's price, in cents. */
    public int priceCents() {
        return cents;
    }
}
