package com.example.shop;

/** Anything with a price. */
public interface Priced {
    int priceCents();
}
