// Prometheus HTTP API (query_range) through nginx's /prometheus/ location, shaped for uPlot.
import axios from "axios";

/** The charts: metric names are those MiniShop exports today (GET /metrics). */
export const kCharts = [
  {
    id: "rps",
    title: "Requests per second",
    unit: "req/s",
    expr: "sum(rate(minishop_http_requests_total[15s]))",
    legend: () => "all routes",
  },
  {
    id: "answers",
    title: "Answers on /sales routes by status",
    unit: "answers/s",
    expr: 'sum by (status) (rate(minishop_http_requests_total{route="sales"}[15s]))',
    legend: (m: Record<string, string>) => `HTTP ${m.status ?? "?"}`,
  },
  {
    id: "p99",
    title: "p99 latency, all routes",
    unit: "ms",
    expr: "1000 * histogram_quantile(0.99, sum by (le) (rate(minishop_http_request_duration_seconds_bucket[30s])))",
    legend: () => "p99",
  },
] as const;

export interface Series {
  label: string;
  values: (number | null)[];
}

export interface RangeData {
  /** Unix seconds. */
  times: number[];
  series: Series[];
}

interface MatrixAnswer {
  status: string;
  data?: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
  error?: string;
}

/** Aligns Prometheus's per-series samples on one time axis (null where a series has none). */
export function toRangeData(answer: MatrixAnswer, legend: (m: Record<string, string>) => string): RangeData {
  if (answer.status !== "success" || !answer.data) throw new Error(answer.error ?? "Prometheus query failed");
  const times = new Set<number>();
  for (const r of answer.data.result) for (const [t] of r.values) times.add(t);
  const sorted = [...times].sort((a, b) => a - b);
  const index = new Map(sorted.map((t, i) => [t, i]));
  const series = answer.data.result.map((r) => {
    const values: (number | null)[] = new Array<number | null>(sorted.length).fill(null);
    for (const [t, v] of r.values) {
      const n = Number(v);
      values[index.get(t)!] = Number.isFinite(n) ? n : null;
    }
    return { label: legend(r.metric), values };
  });
  series.sort((a, b) => a.label.localeCompare(b.label));
  return { times: sorted, series };
}

export async function queryRange(expr: string, minutes: number, stepSeconds: number): Promise<MatrixAnswer> {
  const end = Math.floor(Date.now() / 1000);
  const params = { query: expr, start: end - minutes * 60, end, step: stepSeconds };
  const r = await axios.get<MatrixAnswer>("/prometheus/api/v1/query_range", { params, timeout: 5_000 });
  return r.data;
}
