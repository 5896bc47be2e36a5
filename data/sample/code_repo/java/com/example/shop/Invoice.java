package com.example.shop;

import java.util.ArrayList;
import java.util.List;

/** A list of items and their total. */
public class Invoice {
    private final List<Item> items = new ArrayList<>();

    public void add(String name, int cents) {
        items.add(new Item(name, cents));
    }

    /** The sum of every item's price. */
    public int total() {
        int sum = 0;
        for (Item item : items) {
            sum += item.priceCents();
        }
        return sum;
    }
}
