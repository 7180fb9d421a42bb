// What the sale page shows at a given server instant: the countdown text and whether the
// buy button is enabled. Pure functions of (sale, server time, clock uncertainty).

import type { Sale } from "../api/types";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** `hh:mm:ss.mmm` (hours may exceed 99); zero or negative durations show all zeros. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  const millis = total % 1000;
  const seconds = Math.floor(total / 1000) % 60;
  const minutes = Math.floor(total / 60_000) % 60;
  const hours = Math.floor(total / 3_600_000);
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(millis, 3)}`;
}

/**
 * The estimated server instant at which the buy button enables: the start itself, pushed
 * back by the clock's uncertainty, so that even if the estimate runs ahead of the server
 * by its whole error bound the click cannot arrive before the start (which the API would
 * answer `425`). Never earlier than the start.
 */
export function enableInstant(startsAtMs: number, uncertaintyMs: number): number {
  return startsAtMs + Math.max(0, Math.ceil(uncertaintyMs));
}

export function isBuyEnabled(startsAtMs: number, serverNowMs: number, uncertaintyMs: number): boolean {
  return serverNowMs >= enableInstant(startsAtMs, uncertaintyMs);
}

export type SalePhase = "upcoming" | "live" | "sold_out" | "ended";

export function salePhase(sale: Pick<Sale, "starts_at_ms" | "ends_at_ms" | "stock_left">, serverNowMs: number): SalePhase {
  if (serverNowMs >= sale.ends_at_ms) return "ended";
  if (sale.stock_left === 0) return "sold_out";
  if (serverNowMs < sale.starts_at_ms) return "upcoming";
  return "live";
}

export const phaseLabel: Record<SalePhase, string> = {
  upcoming: "Upcoming",
  live: "Live now",
  sold_out: "Sold out",
  ended: "Ended",
};

export function formatPrice(cents: number): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100);
}
