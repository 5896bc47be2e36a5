import { formatCents, formatLine } from "./format";

/** Anything that can be priced. */
export interface Priced {
  priceCents(): number;
}

/** A cart in the browser. */
export class Cart implements Priced {
  private lines: Array<[string, number]> = [];

  add(name: string, cents: number): void {
    this.lines.push([name, cents]);
  }

  /** The sum of the lines, in cents. */
  priceCents(): number {
    return this.lines.reduce((sum, [, cents]) => sum + cents, 0);
  }

  receipt(): string {
    const lines = this.lines.map(([name, cents]) => formatLine(name, cents));
    return lines.join("\n") + "\nTotal: " + formatCents(this.priceCents());
  }
}
