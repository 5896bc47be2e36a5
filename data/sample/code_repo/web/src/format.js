/**
 * Cents as a price a person reads: 1999 -> "19.99".
 */
export function formatCents(cents) {
  return (cents / 100).toFixed(2);
}

export function formatLine(name, cents) {
  return `${name}: ${formatCents(cents)}`;
}
