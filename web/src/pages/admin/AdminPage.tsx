// Admin home: every sale with a link to its live dashboard.
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import { formatPrice, salePhase } from "../../lib/countdown";
import { Link } from "../../router";
import { useServerNow } from "../../store/clock";
import { QueryProblem, primaryButton, secondaryButton, timeOf } from "../../components/Status";
import { PhaseBadge } from "../SalesPage";
import { RequireAdmin } from "./RequireAdmin";

export default function AdminPage() {
  const now = useServerNow(false);
  const query = useQuery({ queryKey: ["sales"], queryFn: api.sales, refetchInterval: 5_000 });
  const sales = [...(query.data?.sales ?? [])].sort((a, b) => b.id - a.id);
  return (
    <RequireAdmin>
      <div className="space-y-4">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h1 className="text-2xl font-bold">Admin</h1>
          <div className="flex gap-2">
            <Link href="/admin/sales/new" className={primaryButton}>New sale</Link>
            <Link href="/admin/dead-letters" className={secondaryButton}>Dead letters</Link>
          </div>
        </div>
        {query.isError && <QueryProblem error={query.error} updatedAt={query.dataUpdatedAt} what="the sales" />}
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Sales</caption>
            <thead className="bg-slate-100">
              <tr><th scope="col" className="p-2">Id</th><th scope="col" className="p-2">Product</th><th scope="col" className="p-2">State</th>
                <th scope="col" className="p-2">Stock left</th><th scope="col" className="hidden p-2 sm:table-cell">Price</th><th scope="col" className="p-2">Starts</th></tr>
            </thead>
            <tbody>
              {sales.map((s) => (
                <tr key={s.id} className="border-t border-slate-200">
                  <td className="p-2">{s.id}</td>
                  <td className="p-2"><Link href={`/admin/sales/${s.id}`} className="font-medium text-indigo-800 underline">{s.product_name}</Link></td>
                  <td className="p-2"><PhaseBadge phase={salePhase(s, now ?? Date.now())} /></td>
                  <td className="tabular p-2">{s.stock_left ?? "?"} / {s.stock_total}</td>
                  <td className="hidden p-2 sm:table-cell">{formatPrice(s.price_cents)}</td>
                  <td className="p-2">{new Date(s.starts_at_ms).toLocaleString("en-GB")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {query.dataUpdatedAt > 0 && <p className="text-xs text-slate-600">Updated {timeOf(query.dataUpdatedAt)}</p>}
      </div>
    </RequireAdmin>
  );
}
