// One sale: the countdown on the server's clock, the buy button that enables at the start,
// and the live status of the shopper's purchase and order.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Sale } from "../api/types";
import { enableInstant, formatCountdown, formatPrice, isBuyEnabled, salePhase } from "../lib/countdown";
import { describe, type PurchaseFlow, type PurchaseState } from "../lib/purchase";
import { Link } from "../router";
import { useAuth } from "../store/auth";
import { useClock, useServerNow } from "../store/clock";
import { usePurchaseFlow } from "../hooks";
import { ClockInfo } from "../components/ClockInfo";
import { Card, QueryProblem, primaryButton, secondaryButton, timeOf } from "../components/Status";
import { PhaseBadge } from "./SalesPage";

/**
 * The server's payment deadline (order.payment_deadline_ms, 15 min by default). The API
 * does not send it with the order, so the deployment tells the build (VITE_PAYMENT_DEADLINE_MS).
 */
export const kPaymentDeadlineMs = Number(import.meta.env.VITE_PAYMENT_DEADLINE_MS ?? 900_000);

function Countdown({ sale, now }: { sale: Sale; now: number }) {
  const left = sale.starts_at_ms - now;
  return (
    <div>
      <p className="text-sm font-medium text-slate-600">{left > 0 ? "Starts in" : "Started: the sale is live"}</p>
      <p className="tabular font-mono text-4xl font-bold tracking-tight sm:text-5xl" data-testid="countdown">
        {formatCountdown(left)}
      </p>
      <p className="mt-1 text-sm text-slate-600">
        at {timeOf(sale.starts_at_ms)} server time <ClockInfo />
      </p>
    </div>
  );
}

function OrderActions({ flow, state, now }: { flow: PurchaseFlow; state: Extract<PurchaseState, { kind: "order" }>; now: number | null }) {
  if (state.phase !== "awaiting_payment") return null;
  const deadline = state.order ? state.order.reserved_at_ms + kPaymentDeadlineMs : null;
  return (
    <div className="mt-3 space-y-3">
      {deadline !== null && now !== null && (
        <p className="text-sm">
          Pay within <span className="tabular font-mono font-semibold" data-testid="payment-deadline">{formatCountdown(deadline - now).slice(0, 8)}</span>{" "}
          <span className="text-slate-600">(until {timeOf(deadline)}, the server's default deadline)</span>
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <button type="button" className={primaryButton} disabled={!!state.busy} onClick={() => flow.pay()}>
          {state.busy === "paying" ? "Paying…" : "Pay now"}
        </button>
        <button type="button" className={secondaryButton} disabled={!!state.busy} onClick={() => flow.cancel()}>
          {state.busy === "cancelling" ? "Cancelling…" : "Cancel order"}
        </button>
      </div>
    </div>
  );
}

const stateTone: Record<PurchaseState["kind"], string> = {
  idle: "", submitting: "border-sky-500 bg-sky-50", retrying: "border-amber-500 bg-amber-50",
  pending: "border-sky-500 bg-sky-50", order: "border-green-600 bg-green-50",
  unknown: "border-slate-500 bg-slate-50", rejected: "border-red-600 bg-red-50",
};

function StatusIcon({ state }: { state: PurchaseState }) {
  const icon = state.kind === "rejected" ? "✕" : state.kind === "order"
    ? (state.phase === "paid" ? "✓" : state.phase === "awaiting_payment" ? "◷" : "■") : "…";
  return <span aria-hidden="true" className="mr-1">{icon}</span>;
}

function BuyPanel({ sale, now }: { sale: Sale; now: number | null }) {
  const user = useAuth((s) => s.user);
  const estimate = useClock((s) => s.estimate);
  const [flow, state] = usePurchaseFlow(sale.id, user?.id ?? null);
  const message = describe(state);
  if (!user) {
    return (
      <p className="text-base">
        <Link href={`/login?next=/sales/${sale.id}`} className="font-semibold text-indigo-800 underline">Log in</Link> or{" "}
        <Link href={`/register?next=/sales/${sale.id}`} className="font-semibold text-indigo-800 underline">register</Link> to buy.
      </p>
    );
  }
  const phase = now === null ? null : salePhase(sale, now);
  const started = now !== null && estimate !== null && isBuyEnabled(sale.starts_at_ms, now, estimate.uncertaintyMs);
  const holdsOrder = state.kind === "order" || state.kind === "pending" || state.kind === "unknown";
  const soldOut = state.kind === "rejected" && state.code === "sold_out";
  const enabled = started && phase !== "ended" && phase !== "sold_out" && !soldOut && flow !== null && flow.canBuy();
  let label = "Buy now";
  if (estimate === null) label = "Syncing clock…";
  else if (!started) label = `Opens at ${timeOf(enableInstant(sale.starts_at_ms, estimate.uncertaintyMs))}`;
  else if (phase === "ended") label = "Sale ended";
  else if (phase === "sold_out" || soldOut) label = "Sold out";
  else if (state.kind === "submitting" || state.kind === "retrying") label = "Buying…";
  return (
    <div className="space-y-3">
      {!holdsOrder && (
        <button type="button" className={`${primaryButton} w-full py-3 text-lg sm:w-auto sm:min-w-[14rem]`}
          disabled={!enabled} onClick={() => flow?.buy()} data-testid="buy">
          {label}
        </button>
      )}
      <div role="status" aria-live="polite" aria-atomic="true" data-testid="purchase-status" data-state={state.kind === "order" ? state.phase : state.kind}>
        {message && (
          <p className={`rounded-lg border-l-4 px-3 py-2 ${stateTone[state.kind]}`}>
            <StatusIcon state={state} />
            {message}
            {state.kind === "order" && <span className="ml-1 text-sm text-slate-600">(order #{state.orderId})</span>}
            {state.kind === "order" && state.stale && <span className="ml-1 text-sm text-amber-900">(stale: cannot refresh)</span>}
          </p>
        )}
      </div>
      {flow && state.kind === "order" && <OrderActions flow={flow} state={state} now={now} />}
    </div>
  );
}

export function SalePage({ saleId }: { saleId: number }) {
  const query = useQuery({ queryKey: ["sale", saleId], queryFn: () => api.sale(saleId), refetchInterval: 3_000 });
  const sale = query.data;
  const coarseNow = useServerNow(false);
  const upcoming = sale !== undefined && coarseNow !== null && coarseNow < sale.starts_at_ms + 2_000;
  const fineNow = useServerNow(upcoming);
  const now = upcoming ? fineNow : coarseNow;
  const clockFailed = useClock((s) => s.failed && s.estimate === null);
  return (
    <div className="space-y-4" data-ready={sale !== undefined && now !== null ? "true" : undefined}>
      <p><Link href="/" className="text-sm text-indigo-800 underline">← All sales</Link></p>
      {query.isError && <QueryProblem error={query.error} updatedAt={query.dataUpdatedAt} what="this sale" />}
      {query.isPending && <p role="status">Loading the sale…</p>}
      {sale && (
        <>
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-bold">{sale.product_name}</h1>
            {now !== null && <PhaseBadge phase={salePhase(sale, now)} />}
          </div>
          {sale.product_description && <p className="text-slate-700">{sale.product_description}</p>}
          <div className="grid gap-4 md:grid-cols-2">
            <Card>
              <dl className="grid grid-cols-2 gap-2 text-sm">
                <dt className="text-slate-600">Price</dt><dd className="text-lg font-semibold">{formatPrice(sale.price_cents)}</dd>
                <dt className="text-slate-600">Stock left <span className="text-xs">(approx.)</span></dt>
                <dd className="tabular text-lg font-semibold" data-testid="stock-left">{sale.stock_left ?? "?"} of {sale.stock_total}</dd>
                <dt className="text-slate-600">Limit</dt><dd>{sale.limit_per_user} per shopper</dd>
                <dt className="text-slate-600">Window</dt><dd>{timeOf(sale.starts_at_ms)} – {timeOf(sale.ends_at_ms)}</dd>
              </dl>
            </Card>
            <Card>
              {clockFailed && <p role="alert" className="mb-2 text-sm text-red-800">The server clock cannot be reached: no countdown until it can.</p>}
              {now !== null && upcoming && <div className="mb-4"><Countdown sale={sale} now={now} /></div>}
              <BuyPanel sale={sale} now={now} />
            </Card>
          </div>
        </>
      )}
    </div>
  );
}
