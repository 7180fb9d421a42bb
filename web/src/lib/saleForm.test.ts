import { describe, expect, it } from "vitest";
import { toLocalInput, validateSale, type SaleFormValues } from "./saleForm";

const start = Date.UTC(2030, 0, 1, 12, 0, 0);
const valid: SaleFormValues = {
  productName: "Sneaker", description: "", price: "99.90", stock: "100", limitPerUser: "1",
  startsAt: toLocalInput(start), endsAt: toLocalInput(start + 60_000),
};

describe("validateSale", () => {
  it("builds the API body from valid input", () => {
    const { errors, sale } = validateSale(valid);
    expect(errors).toEqual({});
    expect(sale).toEqual({ product_name: "Sneaker", price_cents: 9990, stock: 100, limit_per_user: 1, starts_at_ms: start, ends_at_ms: start + 60_000 });
  });

  it("reports every rule the API enforces, all at once", () => {
    const { errors, sale } = validateSale({ ...valid, productName: " ", price: "-1", stock: "1.5", limitPerUser: "1001", endsAt: valid.startsAt });
    expect(sale).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(["endsAt", "limitPerUser", "price", "productName", "stock"]);
  });

  it("accepts the edges of the API's ranges", () => {
    expect(validateSale({ ...valid, price: "0", stock: "0", limitPerUser: "1000" }).sale).not.toBeNull();
    expect(validateSale({ ...valid, stock: "100000001" }).errors.stock).toBeDefined();
    expect(validateSale({ ...valid, limitPerUser: "0" }).errors.limitPerUser).toBeDefined();
    expect(validateSale({ ...valid, productName: "x".repeat(201) }).errors.productName).toBeDefined();
  });
});
