import { describe, expect, it } from "vitest";
import { toLocalInput, validateSale, type SaleFormValues } from "./saleForm";

const start = Date.UTC(2030, 0, 1, 12, 0, 0);
const now = start - 60_000;
const day = 86_400_000;
const valid: SaleFormValues = {
  productName: "Sneaker", description: "", price: "99.90", stock: "100", limitPerUser: "1",
  startsAt: toLocalInput(start), endsAt: toLocalInput(start + 60_000),
};

describe("validateSale", () => {
  it("builds the API body from valid input", () => {
    const { errors, sale } = validateSale(valid, now);
    expect(errors).toEqual({});
    expect(sale).toEqual({ product_name: "Sneaker", price_cents: 9990, stock: 100, limit_per_user: 1, starts_at_ms: start, ends_at_ms: start + 60_000 });
  });

  it("reports every rule the API enforces, all at once", () => {
    const { errors, sale } = validateSale({ ...valid, productName: " ", price: "-1", stock: "1.5", limitPerUser: "1001", endsAt: valid.startsAt }, now);
    expect(sale).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(["endsAt", "limitPerUser", "price", "productName", "stock"]);
  });

  it("accepts the edges of the API's ranges and refuses just beyond them", () => {
    const check = (v: Partial<SaleFormValues>, at = now) => validateSale({ ...valid, ...v }, at).errors;
    expect(check({ price: "0", stock: "1", limitPerUser: "1000", productName: "é".repeat(200) })).toEqual({});
    expect(check({ price: "1000000.00", stock: "100000000" })).toEqual({});
    expect(check({ price: "1000000.01" }).price).toBeDefined();
    expect(check({ stock: "0" }).stock).toBeDefined();
    expect(check({ stock: "100000001" }).stock).toBeDefined();
    expect(check({ limitPerUser: "0" }).limitPerUser).toBeDefined();
    expect(check({ productName: "x".repeat(201) }).productName).toBeDefined();
    expect(check({ productName: "tab\there" }).productName).toBeDefined();
    expect(check({ description: "two\nlines\tand a tab" })).toEqual({});
    expect(check({ description: "bell\u0007" }).description).toBeDefined();
  });

  it("checks the window as the API does: not ended, 1 s to 90 days, starting within 366 days", () => {
    const at = (ms: number) => toLocalInput(ms);
    const check = (s: number, e: number, n = now) => validateSale({ ...valid, startsAt: at(s), endsAt: at(e) }, n).errors;
    expect(check(start, start + 1000)).toEqual({});
    expect(check(start, start + 90 * day)).toEqual({});
    expect(check(start, start + 90 * day + 1000).endsAt).toBeDefined();
    expect(check(start, start + 60_000, start + 60_000).endsAt).toMatch(/past/);
    expect(check(now + 366 * day, now + 367 * day)).toEqual({});
    expect(check(now + 367 * day, now + 368 * day).startsAt).toBeDefined();
  });
});
