import { Cart } from "./cart";

export function demoReceipt(): string {
  const cart = new Cart();
  cart.add("tea", 450);
  cart.add("cake", 325);
  return cart.receipt();
}
