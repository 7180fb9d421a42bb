// The shopper's orders (PostgreSQL, through GET /orders).
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { formatPrice } from "../lib/countdown";
import { orderPhaseText, type OrderPhase } from "../lib/purchase";
import { Link } from "../router";
import { useAuth } from "../store/auth";
import { QueryProblem, timeOf } from "../components/Status";

const icons: Record<string, string> = { awaiting_payment: "◷", paid: "✓", cancelled: "✕", expired: "■" };

export function statusText(status: string): string {
  return orderPhaseText[status as OrderPhase] ?? status;
}

export function OrdersPage() {
  const user = useAuth((s) => s.user);
  const query = useQuery({ queryKey: ["orders"], queryFn: api.orders, enabled: user !== null, refetchInterval: 10_000 });
  if (!user) {
    return <p><Link href="/login?next=/orders" className="font-semibold text-indigo-800 underline">Log in</Link> to see your orders.</p>;
  }
  const orders = query.data ?? [];
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-bold">My orders</h1>
      {query.isError && <QueryProblem error={query.error} updatedAt={query.dataUpdatedAt} what="your orders" />}
      {query.isPending && <p role="status">Loading orders…</p>}
      {query.isSuccess && orders.length === 0 && <p>No orders yet. <Link href="/" className="text-indigo-800 underline">See the sales</Link>.</p>}
      {orders.length > 0 && (
        <ul className="space-y-2" aria-label="Orders">
          {orders.map((o) => (
            <li key={o.id} className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-slate-200 bg-white p-3">
              <div>
                <p className="font-semibold">Order #{o.id} · <Link href={`/sales/${o.sale_id}`} className="text-indigo-800 underline">sale {o.sale_id}</Link></p>
                <p className="text-sm text-slate-600">{o.quantity} × {formatPrice(o.price_cents)} · reserved {new Date(o.reserved_at_ms).toLocaleString("en-GB")}</p>
              </div>
              <p className="text-sm font-medium" data-testid={`order-status-${o.id}`}>
                <span aria-hidden="true">{icons[o.status] ?? "•"} </span>{statusText(o.status)}
              </p>
            </li>
          ))}
        </ul>
      )}
      {query.dataUpdatedAt > 0 && <p className="text-xs text-slate-600">Updated {timeOf(query.dataUpdatedAt)}</p>}
    </div>
  );
}
