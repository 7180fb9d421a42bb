// Validation of the admin's "new sale" form: the same rules as the API (inventory
// ParseNewSale), checked before sending so that the admin sees every problem at once.
import type { NewSale } from "../api/types";

export interface SaleFormValues {
  productName: string;
  description: string;
  /** Price in currency units as typed, e.g. "99.00". */
  price: string;
  stock: string;
  limitPerUser: string;
  /** `datetime-local` values, read in the browser's time zone. */
  startsAt: string;
  endsAt: string;
}

export type SaleFormErrors = Partial<Record<keyof SaleFormValues, string>>;

const isInt = (s: string) => /^\d+$/.test(s.trim());

export function parseLocalDateTime(value: string): number {
  return value ? new Date(value).getTime() : Number.NaN;
}

export function validateSale(v: SaleFormValues): { errors: SaleFormErrors; sale: NewSale | null } {
  const errors: SaleFormErrors = {};
  const name = v.productName.trim();
  if (!name) errors.productName = "Enter a product name.";
  else if (new TextEncoder().encode(name).length > 200) errors.productName = "At most 200 bytes.";
  if (new TextEncoder().encode(v.description).length > 4000) errors.description = "At most 4000 bytes.";
  let priceCents = Number.NaN;
  if (!/^\d+(\.\d{1,2})?$/.test(v.price.trim())) errors.price = "Enter a price like 99 or 99.90 (0 or more).";
  else priceCents = Math.round(Number(v.price.trim()) * 100);
  if (!Number.isNaN(priceCents) && priceCents > Number.MAX_SAFE_INTEGER) errors.price = "Too large.";
  const stock = Number(v.stock);
  if (!isInt(v.stock) || stock > 100_000_000) errors.stock = "A whole number from 0 to 100,000,000.";
  const limit = Number(v.limitPerUser);
  if (!isInt(v.limitPerUser) || limit < 1 || limit > 1000) errors.limitPerUser = "A whole number from 1 to 1000.";
  const starts = parseLocalDateTime(v.startsAt);
  const ends = parseLocalDateTime(v.endsAt);
  if (!(starts > 0)) errors.startsAt = "Enter the start date and time.";
  if (!(ends > 0)) errors.endsAt = "Enter the end date and time.";
  else if (starts > 0 && ends <= starts) errors.endsAt = "The end must be after the start.";
  if (Object.keys(errors).length > 0) return { errors, sale: null };
  const sale: NewSale = {
    product_name: name,
    price_cents: priceCents,
    stock,
    limit_per_user: limit,
    starts_at_ms: starts,
    ends_at_ms: ends,
  };
  if (v.description.trim()) sale.product_description = v.description.trim();
  return { errors, sale };
}

/** A `datetime-local` value (to the second) for an epoch ms, in the browser's time zone. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
