// A sale's live dashboard: the stats endpoint every second (Redis, PostgreSQL, outbox,
// the I1–I5 checks) and Prometheus charts of the whole server.
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import { salePhase } from "../../lib/countdown";
import { kCharts } from "../../lib/prometheus";
import { Link } from "../../router";
import { useServerNow } from "../../store/clock";
import { Chart } from "../../components/Chart";
import { Card, QueryProblem, timeOf } from "../../components/Status";
import { PhaseBadge } from "../SalesPage";
import { RequireAdmin } from "./RequireAdmin";

const kInvariantNames: Record<string, string> = {
  i1_no_oversell: "I1 no oversell",
  i2_per_user_limit: "I2 per-user limit",
  i3_no_lost_order: "I3 no lost order",
  i4_no_phantom_order: "I4 no phantom order",
  i5_stock_returned_once: "I5 stock returned once",
};

function Stat({ label, value, testId }: { label: string; value: number | string; testId?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-3">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="tabular text-2xl font-bold" data-testid={testId}>{value}</dd>
    </div>
  );
}

function Invariants({ invariants }: { invariants: Record<string, boolean> }) {
  return (
    <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-5" aria-label="Invariants">
      {Object.entries(invariants).map(([key, ok]) => (
        <li key={key} data-testid={`invariant-${key}`} data-ok={ok}
          className={`rounded-lg border-2 px-3 py-2 text-sm font-semibold ${ok ? "border-green-600 bg-green-50 text-green-900" : "border-red-600 bg-red-50 text-red-900"}`}>
          <span aria-hidden="true">{ok ? "✓ " : "✕ "}</span>{kInvariantNames[key] ?? key}: {ok ? "holds" : "VIOLATED"}
        </li>
      ))}
    </ul>
  );
}

export default function DashboardPage({ saleId }: { saleId: number }) {
  const now = useServerNow(false);
  const sale = useQuery({ queryKey: ["sale", saleId], queryFn: () => api.sale(saleId), refetchInterval: 5_000 });
  const stats = useQuery({ queryKey: ["stats", saleId], queryFn: () => api.stats(saleId), refetchInterval: 1_000, retry: false });
  const s = stats.data;
  return (
    <RequireAdmin>
      <div className="space-y-4">
        <p><Link href="/admin" className="text-sm text-indigo-800 underline">← All sales</Link></p>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-bold">{sale.data ? sale.data.product_name : `Sale ${saleId}`} <span className="text-base font-normal text-slate-600">#{saleId}</span></h1>
          {sale.data && now !== null && <PhaseBadge phase={salePhase(sale.data, now)} />}
          {sale.data && <Link href={`/sales/${saleId}`} className="text-sm text-indigo-800 underline">Shopper's page</Link>}
        </div>
        {stats.isError && <QueryProblem error={stats.error} updatedAt={stats.dataUpdatedAt} what="the sale's stats" />}
        {stats.isPending && !stats.isError && <p role="status">Loading stats…</p>}
        {s && (
          <>
            <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6">
              <Stat label="Stock left (Redis)" value={s.redis_stock} testId="stat-stock" />
              <Stat label="Initial stock" value={s.initial_stock} />
              <Stat label="Reserved units" value={s.reserved_units} testId="stat-reserved" />
              <Stat label="Orders in PostgreSQL" value={s.orders_pg} testId="stat-orders" />
              <Stat label="Outbox backlog" value={s.outbox_backlog} testId="stat-backlog" />
              <Stat label="Stock drift" value={s.stock_drift} />
            </dl>
            <Card>
              <h2 className="mb-2 font-semibold">Invariants</h2>
              <Invariants invariants={s.invariants} />
              <p className="mt-2 text-xs text-slate-600">From GET /admin/sales/{saleId}/stats, updated {timeOf(stats.dataUpdatedAt)}.</p>
            </Card>
          </>
        )}
        <section aria-labelledby="charts-h" className="space-y-2">
          <h2 id="charts-h" className="text-xl font-semibold">Server metrics</h2>
          <div className="grid gap-3 lg:grid-cols-3">
            {kCharts.map((c) => <Chart key={c.id} title={c.title} expr={c.expr} unit={c.unit} legend={c.legend} />)}
          </div>
        </section>
      </div>
    </RequireAdmin>
  );
}
