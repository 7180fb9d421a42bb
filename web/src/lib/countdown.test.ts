import { describe, expect, it } from "vitest";
import { enableInstant, formatCountdown, isBuyEnabled, salePhase } from "./countdown";

describe("formatCountdown", () => {
  it.each([
    [0, "00:00:00.000"],
    [-5, "00:00:00.000"],
    [1, "00:00:00.001"],
    [999, "00:00:00.999"],
    [1_000, "00:00:01.000"],
    [61_001, "00:01:01.001"],
    [3_600_000 * 27 + 59_999, "27:00:59.999"],
    [3_600_000 * 123, "123:00:00.000"],
  ])("%d ms → %s", (ms, text) => expect(formatCountdown(ms)).toBe(text));

  it("rounds a fraction of a millisecond up, so it never shows zero before the start", () => {
    expect(formatCountdown(0.2)).toBe("00:00:00.001");
  });
});

describe("the buy button's enable instant", () => {
  const start = 1_800_000_000_000;
  it("is the start when the clock is exact, never earlier", () => {
    expect(enableInstant(start, 0)).toBe(start);
    expect(isBuyEnabled(start, start - 1, 0)).toBe(false);
    expect(isBuyEnabled(start, start, 0)).toBe(true);
  });
  it("is pushed back by the clock's uncertainty", () => {
    expect(enableInstant(start, 3.2)).toBe(start + 4);
    expect(isBuyEnabled(start, start + 3, 3.2)).toBe(false);
    expect(isBuyEnabled(start, start + 4, 3.2)).toBe(true);
    expect(enableInstant(start, -10)).toBe(start);
  });
});

describe("salePhase", () => {
  const sale = { starts_at_ms: 1000, ends_at_ms: 2000, stock_left: 5 };
  it("follows the window and the stock", () => {
    expect(salePhase(sale, 999)).toBe("upcoming");
    expect(salePhase(sale, 1000)).toBe("live");
    expect(salePhase({ ...sale, stock_left: 0 }, 1500)).toBe("sold_out");
    expect(salePhase(sale, 2000)).toBe("ended");
    expect(salePhase({ starts_at_ms: 1000, ends_at_ms: 2000 }, 1500)).toBe("live");
  });
});
