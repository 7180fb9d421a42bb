// A uPlot line chart of one Prometheus range query, with its latest values as text (the
// chart itself is a picture; the numbers are what a screen reader gets).
import { useEffect, useRef } from "react";
import { useQuery } from "@tanstack/react-query";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { queryRange, toRangeData, type RangeData } from "../lib/prometheus";

const kColors = ["#1d4ed8", "#b91c1c", "#15803d", "#a16207", "#7e22ce", "#0f766e", "#be185d"];
const kDash = [[], [6, 3], [2, 2], [8, 2, 2, 2]];

function Plot({ data, unit }: { data: RangeData; unit: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 180,
      legend: { show: true, live: false },
      scales: { x: { time: true } },
      axes: [
        {
          space: 70,
          values: (_u, splits) => splits.map((t) => new Date(t * 1000).toLocaleTimeString("en-GB", { hour12: false })),
        },
        { label: unit, size: 56 },
      ],
      series: [
        {},
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: kColors[i % kColors.length],
          dash: kDash[i % kDash.length],
          width: 2,
          spanGaps: false,
        })),
      ],
    };
    const plot = new uPlot(opts, [data.times, ...data.series.map((s) => s.values)] as uPlot.AlignedData, el);
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: 180 }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data, unit]);
  return <div ref={ref} aria-hidden="true" className="w-full overflow-hidden" />;
}

function latest(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]!;
  return null;
}

export function Chart({ title, expr, unit, legend, minutes = 10 }: {
  title: string; expr: string; unit: string; legend: (m: Record<string, string>) => string; minutes?: number;
}) {
  const query = useQuery({
    queryKey: ["prometheus", expr, minutes],
    queryFn: async () => toRangeData(await queryRange(expr, minutes, 5), legend),
    refetchInterval: 5_000,
    retry: false,
  });
  return (
    <figure className="rounded-xl border border-slate-200 bg-white p-3 shadow-sm" data-testid="chart">
      <figcaption className="mb-2 font-semibold">{title} <span className="text-sm font-normal text-slate-600">(last {minutes} min)</span></figcaption>
      {query.isError && (
        <p role="status" className="rounded-md border border-amber-400 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="chart-error">
          Prometheus is not reachable: this chart cannot be shown{query.data ? " (below: the last data it returned)" : ""}.
        </p>
      )}
      {query.isPending && <p className="text-sm text-slate-600">Loading…</p>}
      {query.data && query.data.times.length === 0 && <p className="text-sm text-slate-600">No samples yet (Prometheus scrapes every 5 s).</p>}
      {query.data && query.data.times.length > 0 && (
        <>
          <Plot data={query.data} unit={unit} />
          <p className="mt-1 text-xs text-slate-700">
            Latest: {query.data.series.map((s) => {
              const v = latest(s.values);
              return `${s.label} ${v === null ? "–" : v.toFixed(v < 10 ? 2 : 0)} ${unit}`;
            }).join(" · ")}
          </p>
        </>
      )}
    </figure>
  );
}
