import { describe, expect, it, vi } from "vitest";
import type { ApiError } from "../api/errors";
import type { Order, PurchaseAccepted, ReservationStatus } from "../api/types";
import { describe as describeState, PurchaseFlow, kMaxPurchaseAttempts, type PurchaseDeps } from "./purchase";

const httpError = (status: number, code: string, retryAfterMs?: number): ApiError => ({
  kind: "http", status, code, message: `server says ${code}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});
const networkError: ApiError = { kind: "network", status: 0, code: "network", message: "offline" };
const accepted: PurchaseAccepted = { reservation_id: "7-1-1", status: "pending", sale_id: 7, quantity: 1 };
const order = (status: string): Order => ({ id: 11, reservation_id: "7-1-1", sale_id: 7, quantity: 1, price_cents: 900, status, reserved_at_ms: 1 });
const reservation = (status: string, order_id?: number): ReservationStatus => ({ sale_id: 7, reservation_id: "7-1-1", status, ...(order_id ? { order_id } : {}) });

/** Deps whose answers come from scripts; sleeps are recorded and return at once. */
function harness(script: {
  purchase?: Array<PurchaseAccepted | ApiError>;
  reservations?: Array<ReservationStatus | ApiError>;
  orders?: Array<Order | ApiError>;
  pay?: Array<Order | ApiError>;
  cancel?: Array<Order | ApiError>;
  /** Let the slow order watch (every 15-30 s) run; otherwise its sleeps never end. */
  watch?: boolean;
}) {
  const calls = { purchaseKeys: [] as string[], payKeys: [] as string[], cancelKeys: [] as string[], reservations: 0 };
  const sleeps: number[] = [];
  let keys = 0;
  const next = <T,>(list: Array<T | ApiError> | undefined, fallback?: () => Promise<T>): Promise<T> => {
    const v = list?.shift();
    if (v === undefined) return fallback ? fallback() : new Promise<T>(() => {});
    // Rejected as an Error carrying the ApiError's fields, as the real client's errors are Errors.
    return "kind" in (v as object) && "code" in (v as object)
      ? Promise.reject(Object.assign(new Error((v as ApiError).message), v))
      : Promise.resolve(v as T);
  };
  const last = { reservation: undefined as ReservationStatus | undefined };
  const deps: PurchaseDeps = {
    purchase: (_sale, key) => { calls.purchaseKeys.push(key); return next(script.purchase); },
    myReservation: () => {
      calls.reservations++;
      const v = script.reservations?.[0];
      if (script.reservations && script.reservations.length === 1 && v && !("kind" in v)) {
        last.reservation = v; // the last scripted status repeats, as the server would answer
        return Promise.resolve(v);
      }
      return next(script.reservations);
    },
    order: () => next(script.orders),
    pay: (_id, key) => { calls.payKeys.push(key); return next(script.pay); },
    cancel: (_id, key) => { calls.cancelKeys.push(key); return next(script.cancel); },
    sleep: (ms) => {
      if (ms >= 15_000 && !script.watch) return new Promise(() => {});
      sleeps.push(ms);
      return sleeps.length > 200 ? new Promise(() => {}) : Promise.resolve();
    },
    random: () => 0.5,
    newKey: () => `key-${++keys}`,
    onNotStarted: vi.fn(),
  };
  const flow = new PurchaseFlow(7, deps);
  const states: string[] = [];
  flow.subscribe((s) => states.push(s.kind === "order" ? `order:${s.phase}${s.busy ? `:${s.busy}` : ""}` : s.kind));
  return { flow, deps, calls, sleeps, states };
}

const settled = (flow: PurchaseFlow, kind: string, phase?: string) =>
  vi.waitFor(() => {
    const s = flow.state;
    expect(s.kind).toBe(kind);
    if (phase) expect(s.kind === "order" && s.phase).toBe(phase);
  });

describe("PurchaseFlow", () => {
  it("buys, polls until awaiting_payment, pays: paid", async () => {
    const h = harness({
      purchase: [accepted],
      reservations: [reservation("pending"), reservation("pending"), reservation("awaiting_payment", 11)],
      orders: [order("awaiting_payment")],
      pay: [order("paid")],
    });
    expect(h.flow.buy()).toBe(true);
    await settled(h.flow, "order", "awaiting_payment");
    expect(h.flow.pay()).toBe(true);
    await settled(h.flow, "order", "paid");
    expect(h.states).toEqual(expect.arrayContaining(["submitting", "pending", "order:awaiting_payment", "order:awaiting_payment:paying", "order:paid"]));
    expect(h.calls.purchaseKeys).toEqual(["key-1"]);
    expect(h.calls.payKeys).toEqual(["key-2"]);
    expect(describeState(h.flow.state)).toBe("Paid");
  });

  it("sends one request for a double click, and a new key for a new click", async () => {
    const h = harness({ purchase: [httpError(503, "unavailable", 0), httpError(410, "sold_out"), httpError(410, "sold_out")] });
    expect(h.flow.buy()).toBe(true);
    expect(h.flow.buy()).toBe(false); // the second click of a double click
    await settled(h.flow, "rejected");
    // The retry after 503 reused the click's key.
    expect(h.calls.purchaseKeys).toEqual(["key-1", "key-1"]);
    await vi.waitFor(() => expect(h.flow.canBuy()).toBe(true));
    expect(h.flow.buy()).toBe(true);
    await vi.waitFor(() => expect(h.calls.purchaseKeys).toEqual(["key-1", "key-1", "key-2"]));
  });

  it("honours Retry-After on 503 and 429, with jitter on top, never less", async () => {
    const h = harness({ purchase: [httpError(503, "unavailable", 2_000), httpError(429, "rate_limited", 1_000), accepted], reservations: [reservation("pending")] });
    h.flow.buy();
    await settled(h.flow, "pending");
    expect(h.sleeps[0]).toBe(2_500); // 2000 + 50% × random(0.5)
    expect(h.sleeps[1]).toBe(1_250);
    expect(h.calls.purchaseKeys).toEqual(["key-1", "key-1", "key-1"]);
    expect(h.states).toContain("retrying");
  });

  it("retries a network failure and a 503 timeout with the same key (the first may have reserved)", async () => {
    const h = harness({ purchase: [networkError, httpError(503, "timeout"), accepted], reservations: [reservation("pending")] });
    h.flow.buy();
    await settled(h.flow, "pending");
    expect(new Set(h.calls.purchaseKeys)).toEqual(new Set(["key-1"]));
    expect(h.calls.purchaseKeys).toHaveLength(3);
  });

  it("gives up after a bounded number of attempts and says the shop is busy", async () => {
    const h = harness({ purchase: Array.from({ length: 10 }, () => httpError(503, "unavailable", 100)) });
    h.flow.buy();
    await settled(h.flow, "rejected");
    expect(h.calls.purchaseKeys).toHaveLength(kMaxPurchaseAttempts);
    expect(h.flow.state).toMatchObject({ code: "unavailable", status: 503 });
  });

  it.each([
    [410, "sold_out"],
    [403, "ended"],
    [404, "not_found"],
    [401, "unauthorized"],
    [400, "bad_request"],
    [418, "something_new"],
  ])("ends a purchase answered %d %s without a retry", async (status, code) => {
    const h = harness({ purchase: [httpError(status, code)] });
    h.flow.buy();
    await settled(h.flow, "rejected");
    expect(h.flow.state).toMatchObject({ code, status, message: `server says ${code}` });
    expect(h.calls.purchaseKeys).toHaveLength(1);
  });

  it("re-syncs the clock on 425 and lets the shopper click again", async () => {
    const h = harness({ purchase: [httpError(425, "not_started")] });
    h.flow.buy();
    await settled(h.flow, "rejected");
    expect(h.deps.onNotStarted).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(h.flow.canBuy()).toBe(true));
  });

  it("on 409 limit_reached shows the order the shopper already holds", async () => {
    const h = harness({ purchase: [httpError(409, "limit_reached")], reservations: [reservation("paid", 11)], orders: [order("paid")] });
    h.flow.buy();
    await settled(h.flow, "order", "paid");
  });

  it("polls with growing, jittered delays rather than a fixed interval", async () => {
    const h = harness({ purchase: [accepted], reservations: [...Array.from({ length: 8 }, () => reservation("pending")), reservation("awaiting_payment", 11)], orders: [order("awaiting_payment")] });
    h.flow.buy();
    await settled(h.flow, "order", "awaiting_payment");
    const polls = h.sleeps.slice(0, 8);
    for (let i = 1; i < polls.length; i++) expect(polls[i]!).toBeGreaterThanOrEqual(polls[i - 1]!);
    expect(polls[7]!).toBeGreaterThan(polls[0]! * 5);
    expect(Math.max(...polls)).toBeLessThanOrEqual(8_000);
  });

  it("keeps polling through errors, marking the status stale", async () => {
    const h = harness({ purchase: [accepted], reservations: [networkError, httpError(503, "unavailable"), reservation("awaiting_payment", 11)], orders: [order("awaiting_payment")] });
    const stale: boolean[] = [];
    h.flow.subscribe((s) => { if (s.kind === "pending") stale.push(s.stale); });
    h.flow.buy();
    await settled(h.flow, "order", "awaiting_payment");
    expect(stale).toContain(true);
  });

  it("shows a status it does not know as the server sent it, and keeps polling", async () => {
    const h = harness({ purchase: [accepted], reservations: [reservation("under_review"), reservation("awaiting_payment", 11)], orders: [order("awaiting_payment")] });
    h.flow.buy();
    await settled(h.flow, "order", "awaiting_payment");
    expect(h.states).toContain("unknown");
    expect(describeState({ kind: "unknown", status: "under_review" })).toMatch("under_review");
  });

  it("cancels with its own key: cancelled", async () => {
    const h = harness({ purchase: [accepted], reservations: [reservation("awaiting_payment", 11)], orders: [order("awaiting_payment")], cancel: [networkError, order("cancelled")] });
    h.flow.buy();
    await settled(h.flow, "order", "awaiting_payment");
    expect(h.flow.cancel()).toBe(true);
    expect(h.flow.pay()).toBe(false); // busy: a second action is not sent
    await settled(h.flow, "order", "cancelled");
    expect(h.calls.cancelKeys).toEqual(["key-2", "key-2"]);
    expect(h.calls.payKeys).toEqual([]);
  });

  it("shows expired when paying finds the deadline passed", async () => {
    const h = harness({ purchase: [accepted], reservations: [reservation("awaiting_payment", 11)], orders: [order("awaiting_payment"), order("expired")], pay: [httpError(409, "conflict")] });
    h.flow.buy();
    await settled(h.flow, "order", "awaiting_payment");
    h.flow.pay();
    await settled(h.flow, "order", "expired");
    expect(describeState(h.flow.state)).toMatch(/Expired/);
  });

  it("notices while awaiting payment that the order expired, checking only every 15-30 s", async () => {
    const h = harness({ purchase: [accepted], reservations: [reservation("awaiting_payment", 11)], orders: [order("awaiting_payment"), order("awaiting_payment"), order("expired")], watch: true });
    h.flow.buy();
    await settled(h.flow, "order", "expired");
    const watchSleeps = h.sleeps.filter((ms) => ms >= 15_000);
    expect(watchSleeps).toHaveLength(2);
    for (const ms of watchSleeps) expect(ms).toBeLessThanOrEqual(30_000);
  });

  it("keeps awaiting payment with the reason when the payment is declined", async () => {
    const h = harness({ purchase: [accepted], reservations: [reservation("awaiting_payment", 11)], orders: [order("awaiting_payment")], pay: [httpError(402, "payment_declined")] });
    h.flow.buy();
    await settled(h.flow, "order", "awaiting_payment");
    h.flow.pay();
    await vi.waitFor(() => {
      const s = h.flow.state;
      expect(s).toMatchObject({ kind: "order", phase: "awaiting_payment" });
      expect(s.kind === "order" ? s.notice : "").toMatch(/declined/);
    });
  });

  it("stops polling when the server voided the reservation (failed), and lets the shopper buy again", async () => {
    const h = harness({ purchase: [accepted], reservations: [reservation("pending"), reservation("failed")] });
    h.flow.buy();
    await settled(h.flow, "rejected");
    expect(h.flow.state).toMatchObject({ code: "order_failed" });
    expect(describeState(h.flow.state)).toMatch(/went back to stock/);
    const polls = h.calls.reservations;
    await new Promise((r) => setTimeout(r, 20));
    expect(h.calls.reservations).toBe(polls);
    await vi.waitFor(() => expect(h.flow.canBuy()).toBe(true));
  });

  it("resumes an earlier reservation after a reload", async () => {
    const h = harness({ reservations: [reservation("awaiting_payment", 11)], orders: [order("awaiting_payment")] });
    h.flow.resume();
    await settled(h.flow, "order", "awaiting_payment");
    expect(h.calls.purchaseKeys).toEqual([]);
  });

  it("stays idle on resume when the shopper has no reservation", async () => {
    const h = harness({ reservations: [httpError(404, "not_found")] });
    h.flow.resume();
    await vi.waitFor(() => expect(h.calls.reservations).toBe(1));
    await vi.waitFor(() => expect(h.flow.canBuy()).toBe(true));
    expect(h.flow.state.kind).toBe("idle");
  });

  it("stops polling once disposed", async () => {
    const h = harness({ purchase: [accepted], reservations: [reservation("pending")] });
    h.flow.buy();
    await settled(h.flow, "pending");
    h.flow.dispose();
    const n = h.calls.reservations;
    await new Promise((r) => setTimeout(r, 20));
    expect(h.calls.reservations).toBeLessThanOrEqual(n + 1);
  });
});
