// The sales list: live, upcoming (with a countdown), sold out and ended, with stock left.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Sale } from "../api/types";
import { formatCountdown, formatPrice, phaseLabel, salePhase, type SalePhase } from "../lib/countdown";
import { Link } from "../router";
import { useServerNow } from "../store/clock";
import { Card, QueryProblem } from "../components/Status";

export const phaseBadge: Record<SalePhase, string> = {
  live: "bg-green-100 text-green-900 border-green-600",
  upcoming: "bg-sky-100 text-sky-900 border-sky-600",
  sold_out: "bg-red-100 text-red-900 border-red-600",
  ended: "bg-slate-200 text-slate-800 border-slate-500",
};
export const phaseIcon: Record<SalePhase, string> = { live: "●", upcoming: "◷", sold_out: "✕", ended: "■" };

export function PhaseBadge({ phase }: { phase: SalePhase }) {
  return (
    <span className={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-semibold ${phaseBadge[phase]}`}>
      <span aria-hidden="true">{phaseIcon[phase]}</span>
      {phaseLabel[phase]}
    </span>
  );
}

function SaleCard({ sale, now }: { sale: Sale; now: number | null }) {
  const phase = salePhase(sale, now ?? Date.now());
  return (
    <li>
      <Card className="h-full">
        <div className="flex items-start justify-between gap-2">
          <h3 className="text-lg font-semibold">
            <Link href={`/sales/${sale.id}`} className="text-indigo-800 underline-offset-4 hover:underline">{sale.product_name}</Link>
          </h3>
          <PhaseBadge phase={phase} />
        </div>
        {sale.product_description && <p className="mt-1 text-sm text-slate-600">{sale.product_description}</p>}
        <dl className="mt-3 grid grid-cols-2 gap-1 text-sm">
          <dt className="text-slate-600">Price</dt>
          <dd className="font-medium">{formatPrice(sale.price_cents)}</dd>
          <dt className="text-slate-600">Stock left</dt>
          <dd className="tabular font-medium">{sale.stock_left ?? "?"} / {sale.stock_total}</dd>
          {phase === "upcoming" && now !== null && (
            <>
              <dt className="text-slate-600">Starts in</dt>
              <dd className="tabular font-medium">{formatCountdown(sale.starts_at_ms - now).slice(0, 8)}</dd>
            </>
          )}
        </dl>
      </Card>
    </li>
  );
}

const order: SalePhase[] = ["live", "upcoming", "sold_out", "ended"];
const headings: Record<SalePhase, string> = { live: "Live now", upcoming: "Upcoming", sold_out: "Sold out", ended: "Ended" };

export function SalesPage() {
  const now = useServerNow(false);
  const query = useQuery({ queryKey: ["sales"], queryFn: api.sales, refetchInterval: 5_000 });
  const sales = query.data?.sales ?? [];
  const groups = new Map<SalePhase, Sale[]>(order.map((p) => [p, []]));
  for (const s of sales) groups.get(salePhase(s, now ?? query.data?.now_ms ?? Date.now()))!.push(s);
  groups.get("ended")!.sort((a, b) => b.ends_at_ms - a.ends_at_ms);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Flash sales</h1>
      {query.isError && <QueryProblem error={query.error} updatedAt={query.dataUpdatedAt} what="the sales" />}
      {query.isPending && <p role="status">Loading sales…</p>}
      {query.isSuccess && sales.length === 0 && <p>No sales yet.</p>}
      {order.map((phase) => {
        const list = groups.get(phase)!;
        if (list.length === 0) return null;
        const shown = phase === "ended" ? list.slice(0, 6) : list;
        return (
          <section key={phase} aria-labelledby={`h-${phase}`}>
            <h2 id={`h-${phase}`} className="mb-2 text-xl font-semibold">{headings[phase]} <span className="text-base font-normal text-slate-600">({list.length})</span></h2>
            <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
              {shown.map((s) => <SaleCard key={s.id} sale={s} now={now} />)}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
