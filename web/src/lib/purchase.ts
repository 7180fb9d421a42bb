// The purchase state machine of one sale page: buy → (retry) → pending → awaiting_payment →
// paid / cancelled / expired. Independent of React: the page subscribes to its state.
//
// Rules it keeps:
//  - one purchase request per click: a click while a purchase is under way is ignored;
//  - one Idempotency-Key per click, reused by every retry of that click (network error,
//    `503`, `429`), so no retry can buy twice; a new click gets a new key;
//  - `503`/`429` wait for Retry-After plus jitter; polls back off with jitter.
import { isApiError, messageFor, toApiError, type ApiError } from "../api/errors";
import type { Order, PurchaseAccepted, ReservationStatus } from "../api/types";
import { backoffDelay, kPollBackoff, retryAfterDelay } from "./backoff";

export interface PurchaseDeps {
  purchase: (saleId: number, key: string) => Promise<PurchaseAccepted>;
  myReservation: (saleId: number) => Promise<ReservationStatus>;
  order: (orderId: number) => Promise<Order>;
  pay: (orderId: number, key: string) => Promise<Order>;
  cancel: (orderId: number, key: string) => Promise<Order>;
  /** Resolves after `ms`, or rejects once `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  newKey: () => string;
  /** Called on `425`: the clock estimate was off; the page re-syncs it. */
  onNotStarted?: () => void;
}

/** Order states the app knows; any other status string is shown as the server sent it. */
export type OrderPhase = "awaiting_payment" | "paid" | "cancelled" | "expired";

export type PurchaseState =
  | { kind: "idle" }
  | { kind: "submitting"; attempt: number }
  | { kind: "retrying"; code: string; message: string; delayMs: number; attempt: number }
  | { kind: "pending"; reservationId: string; stale: boolean }
  | { kind: "order"; phase: OrderPhase; orderId: number; order?: Order; busy?: "paying" | "cancelling"; notice?: string; stale?: boolean }
  | { kind: "unknown"; status: string; orderId?: number }
  | { kind: "rejected"; code: string; status: number; message: string };

export const kMaxPurchaseAttempts = 6;
export const kMaxLifecycleAttempts = 4;
const kOrderWatchMs = 15_000;

const kOrderPhases: readonly string[] = ["awaiting_payment", "paid", "cancelled", "expired"];

function normalize(e: unknown): ApiError {
  return isApiError(e) ? e : toApiError(e);
}

/** True for answers after which the same request may be sent again with the same key. */
export function isRetryable(err: ApiError): boolean {
  return err.kind !== "http" || err.status === 503 || err.status === 429 || err.status === 502 || err.status === 504;
}

class Stopped extends Error {}

export class PurchaseFlow {
  private state_: PurchaseState = { kind: "idle" };
  private listeners = new Set<(s: PurchaseState) => void>();
  private controller = new AbortController();
  private running = false;
  /** Keys handed out so far, newest last (for tests and the debug panel). */
  readonly keys: string[] = [];

  constructor(private readonly saleId: number, private readonly deps: PurchaseDeps) {}

  get state(): PurchaseState {
    return this.state_;
  }

  subscribe(listener: (s: PurchaseState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.controller.abort();
    this.listeners.clear();
  }

  /** Whether a click on "buy" would send a request now. */
  canBuy(): boolean {
    return !this.running && (this.state_.kind === "idle" || this.state_.kind === "rejected");
  }

  /** One click on "buy". Returns false (and sends nothing) when a purchase is under way. */
  buy(): boolean {
    if (!this.canBuy()) return false;
    const key = this.deps.newKey();
    this.keys.push(key);
    void this.run(() => this.purchase(key));
    return true;
  }

  /** Picks up an earlier reservation (a reload): polls it if the server knows one. */
  resume(): void {
    if (this.running || this.state_.kind !== "idle") return;
    void this.run(async () => {
      try {
        const s = await this.deps.myReservation(this.saleId);
        await this.follow(s);
      } catch (e) {
        const err = normalize(e);
        if (err.status !== 404 && err.status !== 401) {
          // Unknown whether an order exists: say nothing rather than guess.
        }
      }
    });
  }

  pay(): boolean {
    return this.lifecycle("paying", (id, key) => this.deps.pay(id, key));
  }

  cancel(): boolean {
    return this.lifecycle("cancelling", (id, key) => this.deps.cancel(id, key));
  }

  // --- internals ---

  private set(state: PurchaseState): void {
    if (this.controller.signal.aborted) return;
    this.state_ = state;
    for (const l of this.listeners) l(state);
  }

  private async run(task: () => Promise<void>): Promise<void> {
    this.running = true;
    try {
      await task();
    } catch (e) {
      if (!(e instanceof Stopped)) throw e;
    } finally {
      this.running = false;
      // canBuy() changed: let the page re-render the button.
      if (!this.controller.signal.aborted) for (const l of this.listeners) l(this.state_);
    }
  }

  private async sleep(ms: number): Promise<void> {
    if (this.controller.signal.aborted) throw new Stopped();
    try {
      await this.deps.sleep(ms, this.controller.signal);
    } catch {
      throw new Stopped();
    }
    if (this.controller.signal.aborted) throw new Stopped();
  }

  private async purchase(key: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.set({ kind: "submitting", attempt });
      let accepted: PurchaseAccepted;
      try {
        accepted = await this.deps.purchase(this.saleId, key);
      } catch (e) {
        const err = normalize(e);
        if (isRetryable(err) && attempt + 1 < kMaxPurchaseAttempts) {
          const delayMs = err.kind === "http"
            ? retryAfterDelay(err.retryAfterMs, this.deps.random)
            : backoffDelay(kPollBackoff, attempt + 1, this.deps.random);
          this.set({ kind: "retrying", code: err.code, message: err.message, delayMs, attempt });
          await this.sleep(delayMs);
          continue;
        }
        if (err.status === 425) this.deps.onNotStarted?.();
        if (err.status === 409 && err.code === "limit_reached") {
          // The shopper may already hold an order (another tab, an earlier click): show it.
          const existing = await this.tryReservation();
          if (existing) return this.follow(existing);
        }
        this.set({ kind: "rejected", code: err.code, status: err.status, message: err.message });
        return;
      }
      this.set({ kind: "pending", reservationId: accepted.reservation_id, stale: false });
      return this.poll(accepted.reservation_id);
    }
  }

  private async tryReservation(): Promise<ReservationStatus | null> {
    try {
      return await this.deps.myReservation(this.saleId);
    } catch {
      return null;
    }
  }

  /** Moves to the state a reservation status describes, polling while it is pending. */
  private async follow(s: ReservationStatus): Promise<void> {
    if (s.status === "failed") return this.failed();
    if (s.status === "pending" || (s.status === "awaiting_payment" && !s.order_id)) {
      this.set({ kind: "pending", reservationId: s.reservation_id, stale: false });
      return this.poll(s.reservation_id);
    }
    if (kOrderPhases.includes(s.status) && s.order_id) return this.enterOrder(s.status as OrderPhase, s.order_id);
    this.set({ kind: "unknown", status: s.status, ...(s.order_id ? { orderId: s.order_id } : {}) });
    return this.poll(s.reservation_id);
  }

  private async poll(reservationId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.sleep(backoffDelay(kPollBackoff, attempt, this.deps.random));
      let s: ReservationStatus;
      try {
        s = await this.deps.myReservation(this.saleId);
      } catch (e) {
        const err = normalize(e);
        if (err.status === 401) {
          this.set({ kind: "rejected", code: err.code, status: err.status, message: err.message });
          return;
        }
        // 404: not visible yet; anything else: keep the last known state, marked stale.
        if (this.state_.kind === "pending") this.set({ ...this.state_, stale: err.status !== 404 });
        continue;
      }
      if (s.status === "pending" || (s.status === "awaiting_payment" && !s.order_id)) {
        this.set({ kind: "pending", reservationId, stale: false });
        continue;
      }
      if (s.status === "failed") return this.failed();
      if (kOrderPhases.includes(s.status) && s.order_id) return this.enterOrder(s.status as OrderPhase, s.order_id);
      this.set({ kind: "unknown", status: s.status, ...(s.order_id ? { orderId: s.order_id } : {}) });
    }
  }

  /**
   * The order could not be written: the server voided the reservation and gave its unit and
   * the shopper's quota back, so another click may buy again.
   */
  private failed(): void {
    this.set({ kind: "rejected", code: "order_failed", status: 0, message: messageFor("order_failed") });
  }

  private async enterOrder(phase: OrderPhase, orderId: number): Promise<void> {
    this.set({ kind: "order", phase, orderId });
    try {
      const order = await this.deps.order(orderId);
      this.applyOrder(order);
    } catch {
      // The status is known from the reservation; the details (deadline) come later.
    }
    if (this.phase() === "awaiting_payment") void this.watch(orderId);
  }

  private phase(): string | null {
    return this.state_.kind === "order" ? this.state_.phase : null;
  }

  private applyOrder(order: Order, notice?: string): void {
    if (kOrderPhases.includes(order.status)) {
      this.set({ kind: "order", phase: order.status as OrderPhase, orderId: order.id, order, ...(notice ? { notice } : {}) });
    } else {
      this.set({ kind: "unknown", status: order.status, orderId: order.id });
    }
  }

  /** While awaiting payment, checks the order now and then: it may expire or be paid elsewhere. */
  private async watch(orderId: number): Promise<void> {
    try {
      while (this.phase() === "awaiting_payment") {
        await this.sleep(kOrderWatchMs + kOrderWatchMs * this.deps.random());
        const s = this.state_;
        if (s.kind !== "order" || s.phase !== "awaiting_payment" || s.busy) continue;
        try {
          const order = await this.deps.order(orderId);
          const now = this.state_;
          if (now.kind === "order" && !now.busy) this.applyOrder(order);
        } catch {
          const now = this.state_;
          if (now.kind === "order" && !now.busy) this.set({ ...now, stale: true });
        }
      }
    } catch (e) {
      if (!(e instanceof Stopped)) throw e;
    }
  }

  private lifecycle(busy: "paying" | "cancelling", call: (orderId: number, key: string) => Promise<Order>): boolean {
    const s = this.state_;
    if (s.kind !== "order" || s.phase !== "awaiting_payment" || s.busy) return false;
    const key = this.deps.newKey();
    this.keys.push(key);
    const base = { ...s };
    delete base.notice;
    void this.run(async () => {
      for (let attempt = 0; ; attempt++) {
        this.set({ ...base, busy });
        try {
          const order = await call(s.orderId, key);
          this.applyOrder(order);
          return;
        } catch (e) {
          const err = normalize(e);
          if (isRetryable(err) && attempt + 1 < kMaxLifecycleAttempts) {
            this.set({ ...base, busy, notice: err.message });
            await this.sleep(err.kind === "http"
              ? retryAfterDelay(err.retryAfterMs, this.deps.random)
              : backoffDelay(kPollBackoff, attempt + 1, this.deps.random));
            continue;
          }
          if (err.status === 409 || err.status === 422) {
            // Someone else moved the order (expiry, another tab): show where it is now.
            try {
              this.applyOrder(await this.deps.order(s.orderId), err.message);
              return;
            } catch {
              // fall through: keep the known state with the message
            }
          }
          this.set({ ...base, notice: messageFor(err.code, err.message) });
          if (base.phase === "awaiting_payment") void this.watch(s.orderId);
          return;
        }
      }
    });
    return true;
  }
}

export const orderPhaseText: Record<OrderPhase, string> = {
  awaiting_payment: "Reserved: awaiting payment",
  paid: "Paid",
  cancelled: "Cancelled",
  expired: "Expired: the payment deadline passed",
};

/** The line a screen reader announces for a state. */
export function describe(state: PurchaseState): string {
  switch (state.kind) {
    case "idle": return "";
    case "submitting": return state.attempt === 0 ? "Sending your purchase…" : `Sending your purchase again (attempt ${state.attempt + 1})…`;
    case "retrying": return `${state.message} Retrying in ${(state.delayMs / 1000).toFixed(1)} s.`;
    case "pending": return state.stale ? "Reserved; the status cannot be refreshed right now (last known: pending)." : "Reserved! Confirming your order…";
    case "order": {
      const base = state.busy === "paying" ? "Paying…" : state.busy === "cancelling" ? "Cancelling…" : orderPhaseText[state.phase];
      return state.notice ? `${base}. ${state.notice}` : base;
    }
    case "unknown": return `Order status: ${state.status}.`;
    case "rejected": return state.message;
  }
}

export const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const t = setTimeout(() => { signal.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(new Error("aborted")); };
    signal.addEventListener("abort", onAbort, { once: true });
  });
