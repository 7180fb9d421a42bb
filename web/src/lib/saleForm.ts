// Validation of the admin's "new sale" form: the same rules as the API (inventory
// ParseNewSale, docs/decisions.md), checked before sending so that the admin sees every
// problem at once; the API's answer is still shown if it refuses.
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

const kMaxPriceCents = 100_000_000;
const kMaxStock = 100_000_000;
const kDayMs = 86_400_000;
/** Whether `text` holds a control character the API refuses (`allowed` ones excepted). */
function hasControl(text: string, allowed = ""): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if ((c < 0x20 || c === 0x7f) && !allowed.includes(ch)) return true;
  }
  return false;
}

/** Checks the form against the API's rules at `nowMs` (the server's clock when known). */
export function validateSale(v: SaleFormValues, nowMs: number): { errors: SaleFormErrors; sale: NewSale | null } {
  const errors: SaleFormErrors = {};
  const name = v.productName.trim();
  if (!name) errors.productName = "Enter a product name.";
  else if ([...name].length > 200) errors.productName = "At most 200 characters.";
  else if (hasControl(name)) errors.productName = "No control characters.";
  if ([...v.description].length > 4000) errors.description = "At most 4000 characters.";
  else if (hasControl(v.description, "\n\t")) errors.description = "No control characters.";
  let priceCents = Number.NaN;
  if (!/^\d+(\.\d{1,2})?$/.test(v.price.trim())) errors.price = "Enter a price like 99 or 99.90 (0 or more).";
  else priceCents = Math.round(Number(v.price.trim()) * 100);
  if (!Number.isNaN(priceCents) && priceCents > kMaxPriceCents) errors.price = "At most 1,000,000.00.";
  const stock = Number(v.stock);
  if (!isInt(v.stock) || stock < 1 || stock > kMaxStock) errors.stock = "A whole number from 1 to 100,000,000.";
  const limit = Number(v.limitPerUser);
  if (!isInt(v.limitPerUser) || limit < 1 || limit > 1000) errors.limitPerUser = "A whole number from 1 to 1000.";
  const starts = parseLocalDateTime(v.startsAt);
  const ends = parseLocalDateTime(v.endsAt);
  if (!(starts > 0)) errors.startsAt = "Enter the start date and time.";
  else if (starts > nowMs + 366 * kDayMs) errors.startsAt = "At most 366 days ahead.";
  if (!(ends > 0)) errors.endsAt = "Enter the end date and time.";
  else if (ends <= nowMs) errors.endsAt = "The end is in the past: the sale would never open.";
  else if (starts > 0 && ends - starts < 1000) errors.endsAt = "The end must be at least 1 s after the start.";
  else if (starts > 0 && ends - starts > 90 * kDayMs) errors.endsAt = "A sale lasts at most 90 days.";
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
